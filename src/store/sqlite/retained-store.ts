/**
 * @module store/sqlite/retained-store
 * The `retained` noun of SqliteStore: the last retained message of each topic.
 */
import type { Database as Db } from 'better-sqlite3';
import type { RetainedRow, RetainedStore } from '../store.js';

export function retainedStore(db: Db): RetainedStore {
  type Row = { topic: string; payload: Buffer; qos: number; properties: string | null; updated_at: number };
  const toRow = (r: Row): RetainedRow => ({ topic: r.topic, payload: r.payload, qos: r.qos === 2 ? 2 : r.qos === 1 ? 1 : 0, properties: r.properties, updatedAt: r.updated_at });
  const put = db.prepare<[string, Buffer, number, string | null, number]>(
    'INSERT INTO retained (topic, payload, qos, properties, updated_at) VALUES (?, ?, ?, ?, ?) '
    + 'ON CONFLICT (topic) DO UPDATE SET payload = excluded.payload, qos = excluded.qos, properties = excluded.properties, updated_at = excluded.updated_at');
  const get = db.prepare<[string], Row>('SELECT * FROM retained WHERE topic = ?');
  const all = db.prepare<[], Row>('SELECT * FROM retained ORDER BY topic');
  const del = db.prepare<[string]>('DELETE FROM retained WHERE topic = ?');
  return {
    put: async (row) => { put.run(row.topic, row.payload, row.qos, row.properties, row.updatedAt); },
    delete: async (topic) => del.run(topic).changes > 0,
    get: async (topic) => {
      const row = get.get(topic);
      return row && toRow(row);
    },
    all: async () => all.all().map(toRow),
  };
}
