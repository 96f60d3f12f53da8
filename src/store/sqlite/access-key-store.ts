/**
 * @module store/sqlite/access-key-store
 * The `accessKeys` noun of SqliteStore: topicd's SigV4 access keys.
 */
import type { Database as Db } from 'better-sqlite3';
import type { AccessKeyRow, AccessKeyStore } from '../store.js';

interface AccessKeyRecord {
  access_key_id: string;
  secret_access_key: string;
  created_at: number;
  is_admin: number;
}

const toAccessKey = (r: AccessKeyRecord): AccessKeyRow => ({
  accessKeyId: r.access_key_id, secretAccessKey: r.secret_access_key, createdAt: r.created_at, isAdmin: r.is_admin === 1,
});

export function accessKeyStore(db: Db): AccessKeyStore {
  const get = db.prepare<[string], AccessKeyRecord>('SELECT * FROM access_keys WHERE access_key_id = ?');
  // A duplicate id is a bug (ids are random), so the constraint error is let through.
  const insert = db.prepare<[string, string, number, number]>(
    'INSERT INTO access_keys (access_key_id, secret_access_key, created_at, is_admin) VALUES (?, ?, ?, ?)');
  const list = db.prepare<[], AccessKeyRecord>('SELECT * FROM access_keys ORDER BY created_at, access_key_id');
  const del = db.prepare<[string]>('DELETE FROM access_keys WHERE access_key_id = ?');
  return {
    get: async (accessKeyId) => {
      const record = get.get(accessKeyId);
      return record && toAccessKey(record);
    },
    insert: async (key) => { insert.run(key.accessKeyId, key.secretAccessKey, key.createdAt, key.isAdmin ? 1 : 0); },
    list: async () => list.all().map(toAccessKey),
    delete: async (accessKeyId) => del.run(accessKeyId).changes > 0,
  };
}
