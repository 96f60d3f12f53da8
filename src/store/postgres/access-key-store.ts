/**
 * @module store/postgres/access-key-store
 * The `accessKeys` noun of PostgresStore: topicd's SigV4 access keys.
 */
import type { AccessKeyRow, AccessKeyStore } from '../store.js';
import type { Reader } from './reader.js';
import { sql } from './sql.js';
import type { WriteBatch } from './write-batch.js';

interface AccessKeyRecord {
  access_key_id: string;
  secret_access_key: string;
  created_at: number;
  is_admin: boolean;
}

const toAccessKey = (r: AccessKeyRecord): AccessKeyRow => ({
  accessKeyId: r.access_key_id, secretAccessKey: r.secret_access_key, createdAt: r.created_at, isAdmin: r.is_admin,
});

export function accessKeyStore(read: Reader, batch: WriteBatch): AccessKeyStore {
  return {
    get: async (accessKeyId) => {
      const record = await read.first<AccessKeyRecord>('SELECT * FROM access_keys WHERE access_key_id = $1', [accessKeyId]);
      return record && toAccessKey(record);
    },
    // A duplicate id is a bug (ids are random), so the key's violation is let through.
    insert: async (key) => batch.write(sql`
      INSERT INTO access_keys (access_key_id, secret_access_key, created_at, is_admin)
      VALUES (${key.accessKeyId}, ${key.secretAccessKey}, ${key.createdAt}, ${key.isAdmin})`, () => undefined),
    list: async () => (await read.rows<AccessKeyRecord>('SELECT * FROM access_keys ORDER BY created_at, access_key_id')).map(toAccessKey),
    delete: async (accessKeyId) => batch.write(sql`DELETE FROM access_keys WHERE access_key_id = ${accessKeyId}`, (r) => r.rowCount !== 0),
  };
}
