/**
 * @module store/postgres/meta-store
 * The `meta` noun of PostgresStore: small named values (the account id made at the first start, ...).
 */
import type { MetaStore } from '../store.js';
import type { Reader } from './reader.js';
import { sql } from './sql.js';
import type { WriteBatch } from './write-batch.js';

export function metaStore(read: Reader, batch: WriteBatch): MetaStore {
  return {
    get: async (key) => (await read.first<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key]))?.value,
    set: async (key, value) => batch.write(
      sql`INSERT INTO meta (key, value) VALUES (${key}, ${value}) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, () => undefined),
  };
}
