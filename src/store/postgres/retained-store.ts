/**
 * @module store/postgres/retained-store
 * The `retained` noun of PostgresStore: the last retained message of each topic.
 */
import type { RetainedRow, RetainedStore } from '../store.js';
import type { Reader } from './reader.js';
import { qosOf } from './records.js';
import { sql } from './sql.js';
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

export function retainedStore(read: Reader, batch: WriteBatch): RetainedStore {
  return {
    put: (row) => batch.write(sql`
      INSERT INTO retained (topic, payload, qos, properties, updated_at)
      VALUES (${row.topic}, ${row.payload}, ${row.qos}, ${row.properties}, ${row.updatedAt})
      ON CONFLICT (topic) DO UPDATE SET payload = excluded.payload, qos = excluded.qos,
        properties = excluded.properties, updated_at = excluded.updated_at`, () => undefined),
    delete: (topic) => batch.write(sql`DELETE FROM retained WHERE topic = ${topic}`, (r) => r.rowCount !== 0),
    get: async (topic) => {
      const record = await read.first<RetainedRecord>('SELECT * FROM retained WHERE topic = $1', [topic]);
      return record && toRow(record);
    },
    all: async () => (await read.rows<RetainedRecord>('SELECT * FROM retained ORDER BY topic')).map(toRow),
  };
}
