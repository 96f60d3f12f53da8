/**
 * @module store/postgres/shadow-store
 * The `shadows` noun of PostgresStore: one row per (thing, shadow) (migration 2), tombstones
 * included, as SQLite keeps them. A write is a compare-and-set on (version, deleted): PostgreSQL
 * re-checks the condition on the row it locks, so of two nodes writing one version only one wins.
 */
import type { PageRequest, ShadowStore } from '../store.js';
import { CLASSIC_SHADOW } from '../store.js';
import { listPage, listing } from './keyset.js';
import { toShadow, type ShadowRecord } from '../records.js';
import type { Reader } from './reader.js';
import { sql } from './sql.js';
import type { WriteBatch } from './write-batch.js';


export function shadowStore(read: Reader, batch: WriteBatch): ShadowStore {
  const named = listing<{ shadow_name: string }>('SELECT shadow_name FROM shadows',
    'thing_name = $2 AND shadow_name <> $3 AND deleted_at IS NULL', ['shadow_name'], ['string'], 2, (r) => [r.shadow_name]);
  return {
    get: async (thingName, shadowName) => {
      const record = await read.first<ShadowRecord>('SELECT * FROM shadows WHERE thing_name = $1 AND shadow_name = $2', [thingName, shadowName]);
      return record && toShadow(record);
    },
    put: async (row, expect) => {
      if (expect === null) {
        return batch.write(sql`
          INSERT INTO shadows (thing_name, shadow_name, document, version, updated_at, deleted_at)
          VALUES (${row.thingName}, ${row.shadowName}, ${row.document}, ${row.version}, ${row.updatedAt}, ${row.deletedAt})
          ON CONFLICT (thing_name, shadow_name) DO NOTHING`, (r) => r.rowCount !== 0);
      }
      return batch.write(sql`
        UPDATE shadows SET document = ${row.document}, version = ${row.version}, updated_at = ${row.updatedAt}, deleted_at = ${row.deletedAt}
        WHERE thing_name = ${row.thingName} AND shadow_name = ${row.shadowName}
          AND version = ${expect.version} AND (deleted_at IS NOT NULL) = ${expect.deleted}`, (r) => r.rowCount !== 0);
    },
    listNamed: (thingName: string, page: PageRequest) => listPage(read, named, page, [thingName, CLASSIC_SHADOW], (r) => r.shadow_name),
  };
}
