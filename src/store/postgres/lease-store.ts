/**
 * @module store/postgres/lease-store
 * The `leases` noun of PostgresStore: cluster node leases and each node's live connections. Taking a
 * dead node's connections is one statement (delete the expired leases, delete and return their
 * connections), so when several nodes look at once, each connection goes to exactly one of them.
 */
import type { NodeConnectionRow, NodeLeaseStore } from '../store.js';
import { sql } from './sql.js';
import type { WriteBatch } from './write-batch.js';

const nothing = (): void => undefined;

export function leaseStore(batch: WriteBatch): NodeLeaseStore {
  return {
    renew: async (node, until) => batch.write(sql`
      INSERT INTO node_leases (node, expires_at) VALUES (${node}, ${until})
      ON CONFLICT (node) DO UPDATE SET expires_at = excluded.expires_at`, nothing),
    takeExpired: async (now) => batch.write(sql`
      WITH dead AS (DELETE FROM node_leases WHERE expires_at < ${now} RETURNING node)
      DELETE FROM node_connections c USING dead WHERE c.node = dead.node RETURNING c.node, c.session_id, c.record`,
    (result) => (result.rows as Array<{ node: string; session_id: string; record: string }>)
      .map((r): NodeConnectionRow => ({ node: r.node, sessionId: r.session_id, record: r.record }))),
    putConnection: async (row) => batch.write(sql`
      INSERT INTO node_connections (node, session_id, record) VALUES (${row.node}, ${row.sessionId}, ${row.record})
      ON CONFLICT (node, session_id) DO UPDATE SET record = excluded.record`, nothing),
    deleteConnection: async (node, sessionId) => batch.write(sql`DELETE FROM node_connections WHERE node = ${node} AND session_id = ${sessionId}`, nothing),
    release: async (node) => batch.write([
      sql`DELETE FROM node_connections WHERE node = ${node}`,
      sql`DELETE FROM node_leases WHERE node = ${node}`,
    ], nothing),
  };
}
