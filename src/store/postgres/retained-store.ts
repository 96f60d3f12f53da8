/**
 * @module store/postgres/retained-store
 * The `retained` noun of PostgresStore: the last retained message of each topic.
 */
import type { RetainedRow, RetainedStore } from '../store.js';
import type { Reader } from './reader.js';
import { qosOf } from '../records.js';
import { sql } from './sql.js';
import type { RowKind } from './commit-ops.js';
import type { WriteBatch } from './write-batch.js';

interface RetainedRecord {
  topic: string;
  payload: Buffer;
  qos: number;
  properties: string | null;
  updated_at: number;
}

const toRow = (r: RetainedRecord): RetainedRow =>
  ({ topic: r.topic, payload: r.payload, qos: qosOf(r.qos), properties: r.properties, updatedAt: r.updated_at });

/** Inserts or replaces retained messages; a topic twice in a turn goes in two statements, in order. */
const PUT: RowKind = {
  statement: (rows) => `
    INSERT INTO retained (topic, payload, qos, properties, updated_at) VALUES ${rows}
    ON CONFLICT (topic) DO UPDATE SET payload = excluded.payload, qos = excluded.qos,
      properties = excluded.properties, updated_at = excluded.updated_at`,
  sameKeyTogether: false,
};

export function retainedStore(read: Reader, batch: WriteBatch): RetainedStore {
  return {
    put: async (row) => batch.writeRow(PUT, sql`(${row.topic}, ${row.payload}, ${row.qos}, ${row.properties}, ${row.updatedAt})`, row.topic),
    delete: async (topic) => batch.write(sql`DELETE FROM retained WHERE topic = ${topic}`, (r) => r.rowCount !== 0),
    get: async (topic) => {
      const record = await read.first<RetainedRecord>('SELECT * FROM retained WHERE topic = $1', [topic]);
      return record && toRow(record);
    },
    all: async () => (await read.rows<RetainedRecord>('SELECT * FROM retained ORDER BY topic')).map(toRow),
  };
}
