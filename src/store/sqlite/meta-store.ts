/**
 * @module store/sqlite/meta-store
 * The `meta` noun of SqliteStore: small named values (the account id made at the first start, ...).
 */
import type { Database as Db } from 'better-sqlite3';
import type { MetaStore } from '../store.js';

export function metaStore(db: Db): MetaStore {
  const get = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
  const set = db.prepare<[string, string]>(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  return {
    get: async (key) => get.get(key)?.value,
    set: async (key, value) => { set.run(key, value); },
  };
}
