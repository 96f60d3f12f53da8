/**
 * @module store/sqlite/access-key-store
 * The `accessKeys` noun of SqliteStore: topicd's SigV4 access keys. Secrets are stored sealed
 * (store/secret-sealer.ts, migration 30) and handed out in plain text, as SigV4 verification needs them.
 */
import type { Database as Db } from 'better-sqlite3';
import type { SecretSealer } from '../secret-sealer.js';
import type { AccessKeyRow, AccessKeyStore } from '../store.js';

interface AccessKeyRecord {
  access_key_id: string;
  sealed_secret: string;
  created_at: number;
  is_admin: number;
}

export function accessKeyStore(db: Db, sealer: SecretSealer): AccessKeyStore {
  const toAccessKey = (r: AccessKeyRecord): AccessKeyRow => ({
    accessKeyId: r.access_key_id, secretAccessKey: sealer.open(r.sealed_secret, r.access_key_id), createdAt: r.created_at, isAdmin: r.is_admin === 1,
  });
  const get = db.prepare<[string], AccessKeyRecord>('SELECT * FROM access_keys WHERE access_key_id = ?');
  // A duplicate id is a bug (ids are random), so the constraint error is let through.
  const insert = db.prepare<[string, string, number, number]>(
    'INSERT INTO access_keys (access_key_id, sealed_secret, created_at, is_admin) VALUES (?, ?, ?, ?)');
  const list = db.prepare<[], AccessKeyRecord>('SELECT * FROM access_keys ORDER BY created_at, access_key_id');
  const del = db.prepare<[string]>('DELETE FROM access_keys WHERE access_key_id = ?');
  return {
    get: async (accessKeyId) => {
      const record = get.get(accessKeyId);
      return record && toAccessKey(record);
    },
    insert: async (key) => {
      insert.run(key.accessKeyId, sealer.seal(key.secretAccessKey, key.accessKeyId), key.createdAt, key.isAdmin ? 1 : 0);
    },
    list: async () => list.all().map(toAccessKey),
    delete: async (accessKeyId) => del.run(accessKeyId).changes > 0,
  };
}
