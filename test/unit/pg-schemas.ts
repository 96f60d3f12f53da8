/**
 * @module test/unit/pg-schemas
 * Schemas of their own for the PostgreSQL tests on the machine's shared server: each name is new to
 * this process, and `dropSchemas` (run it in `after`) drops every one that was handed out.
 */
import pg from 'pg';

/** The machine's PostgreSQL (trust authentication, database `test`); TOPICD_TEST_PG overrides it. */
export const PG_URL = process.env['TOPICD_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';

const made: string[] = [];
const run = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

export function freshSchema(): string {
  const name = `topicd_test_${run}_${made.length + 1}`;
  made.push(name);
  return name;
}

/** Runs SQL on a connection of its own (an administrator's, outside any store). */
export async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Empties every table of the schema but its migration record, as a fresh store's. */
export async function emptySchema(schema: string): Promise<void> {
  await admin(async (client) => {
    // Tables that reference others first; DELETE, not TRUNCATE, which costs far more on small tables.
    const tables = await client.query<{ name: string }>(`
      SELECT quote_ident(t.tablename) AS name FROM pg_tables t
      WHERE t.schemaname = $1 AND t.tablename <> 'schema_migrations'
      ORDER BY EXISTS (SELECT 1 FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = to_regclass(quote_ident($1) || '.' || quote_ident(t.tablename))) DESC`,
    [schema]);
    const statements = tables.rows.map((t) => `DELETE FROM ${pg.escapeIdentifier(schema)}.${t.name}`);
    if (statements.length > 0) await client.query(`BEGIN; ${statements.join('; ')}; COMMIT`);
  });
}

export async function dropSchemas(): Promise<void> {
  const names = made.splice(0);
  if (names.length === 0) return;
  await admin(async (client) => {
    for (const name of names) await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(name)} CASCADE`);
  });
}
