/**
 * @module store/sqlite/shadow-store
 * The `shadows` noun of SqliteStore: one row per (thing, shadow) in table `shadows` (migration 20),
 * tombstones included. Writes are compare-and-set on (version, deleted) so the port's promise holds
 * for any backend; the named-shadow listing pages by name with the shared keyset helpers.
 */
import type { Database as Db } from 'better-sqlite3';
import type { ShadowRow, ShadowStore } from '../store.js';
import { CLASSIC_SHADOW } from '../store.js';
import { toShadow, type ShadowRecord } from '../records.js';
import { checkLimit, decodeToken, pickKeyset, prepareKeyset, toPage } from './keyset.js';


const params = (row: ShadowRow): Record<string, unknown> => ({
  thingName: row.thingName,
  shadowName: row.shadowName,
  document: row.document,
  version: row.version,
  updatedAt: row.updatedAt,
  deletedAt: row.deletedAt,
});

interface ListParams {
  limit: number;
  after: string | null;
  thingName: string;
  classic: string;
}

export function shadowStore(db: Db): ShadowStore {
  const get = db.prepare<[string, string], ShadowRecord>('SELECT * FROM shadows WHERE thing_name = ? AND shadow_name = ?');
  const insert = db.prepare<[Record<string, unknown>]>(`
    INSERT INTO shadows (thing_name, shadow_name, document, version, updated_at, deleted_at)
    VALUES (@thingName, @shadowName, @document, @version, @updatedAt, @deletedAt)
    ON CONFLICT (thing_name, shadow_name) DO NOTHING`);
  const replace = db.prepare<[Record<string, unknown>]>(`
    UPDATE shadows SET document = @document, version = @version, updated_at = @updatedAt, deleted_at = @deletedAt
    WHERE thing_name = @thingName AND shadow_name = @shadowName
      AND version = @expectVersion AND (deleted_at IS NOT NULL) = @expectDeleted`);
  const list = prepareKeyset<ListParams, { shadow_name: string }>(db, 'SELECT shadow_name FROM shadows',
    'thing_name = @thingName AND shadow_name <> @classic AND deleted_at IS NULL', 'shadow_name', '@after');
  return {
    get: async (thingName, shadowName) => {
      const record = get.get(thingName, shadowName);
      return record && toShadow(record);
    },
    put: async (row, expect) => {
      if (expect === null) return insert.run(params(row)).changes > 0;
      return replace.run({ ...params(row), expectVersion: expect.version, expectDeleted: expect.deleted ? 1 : 0 }).changes > 0;
    },
    listNamed: async (thingName, page) => {
      const limit = checkLimit(page.limit);
      const after = page.after === undefined ? null : decodeToken(page.after, ['string'])[0] as string;
      const records = pickKeyset(list, page).all({ limit: limit + 1, after, thingName, classic: CLASSIC_SHADOW });
      return toPage(records, limit, (r) => r.shadow_name, (r) => [r.shadow_name]);
    },
  };
}
