/**
 * @module store/postgres/migrate
 * Brings a store's schema up to date with MIGRATIONS, on a connection of its own, refusing a schema
 * written by a newer topicd. Nodes starting together against one database take turns: the whole
 * check-and-apply runs under a session advisory lock keyed by the schema's name, so two of them never
 * apply the same migration or race on CREATE SCHEMA. Each migration commits with its row in
 * `schema_migrations`, or not at all (PostgreSQL's DDL is transactional).
 */
import { Client } from 'pg';
import { storeError, type ConnectionSettings } from './connection.js';
import { MIGRATIONS, type Migration } from './migrations.js';

/** First key of topicd's advisory locks on migrations ('tp' 0x0001); the second is hashtext(schema). */
const MIGRATION_LOCK = 0x74700001;

/** Applies the migrations the schema has not seen yet; resolves the schema's version. */
export async function migrate(settings: ConnectionSettings, migrations: readonly Migration[] = MIGRATIONS): Promise<number> {
  // Numbers may skip (see migrations.ts) but must grow, or an entry would be skipped for good.
  migrations.forEach((m, i) => {
    const before = migrations[i - 1];
    if (before && m.version <= before.version) throw new Error(`migration ${m.version} follows ${before.version}: versions must increase`);
  });
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  const client = new Client(settings.client);
  // A lost connection fails the query that is waiting; the event itself needs no handling here.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    throw storeError(err);
  }
  try {
    await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [MIGRATION_LOCK, settings.schema]);
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [settings.schema]);
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${settings.quotedSchema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${settings.quotedSchema}.schema_migrations (
      version    integer PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const current = Number((await client.query<{ v: number }>('SELECT coalesce(max(version), 0) AS v FROM schema_migrations')).rows[0]?.v ?? 0);
    if (current > latest) {
      throw new Error(`schema ${settings.schema} has schema version ${current}, newer than this topicd knows (${latest}); upgrade topicd`);
    }
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [migration.version]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    }
    return latest;
  } catch (err) {
    throw storeError(err);
  } finally {
    // Ending the session releases the advisory lock.
    await client.end().catch(() => undefined);
  }
}
