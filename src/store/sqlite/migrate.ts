/**
 * @module store/sqlite/migrate
 * Brings a database's schema up to date with MIGRATIONS, refusing one written by a newer topicd.
 */
import type { Database as Db } from 'better-sqlite3';
import { MIGRATIONS, type MigrationContext } from './migrations.js';

/** Applies the migrations the database has not seen yet, each in its own transaction. */
export function migrate(db: Db, context: MigrationContext): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
  // Numbers may skip (see migrations.ts) but must grow, or an entry would be skipped for good.
  MIGRATIONS.forEach((m, i) => {
    const before = MIGRATIONS[i - 1];
    if (before && m.version <= before.version) throw new Error(`migration ${m.version} follows ${before.version}: versions must increase`);
  });
  if (current > latest) {
    throw new Error(`database ${db.name} has schema version ${current}, newer than this topicd knows (${latest}); upgrade topicd`);
  }
  let scrubbed = false;
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    if (migration.scrubs === true) scrubbed = true;
    db.transaction(() => {
      db.exec(migration.sql);
      migration.run?.(db, context);
      // PRAGMA takes no bound parameters; the version is a number from our own table.
      db.pragma(`user_version = ${Math.trunc(migration.version)}`);
    }).immediate();
  }
  if (scrubbed) {
    // Overwritten values live on in free space within pages, in free pages and in WAL frames: VACUUM
    // rewrites every page of the file, and the checkpoint cuts the WAL to nothing.
    db.exec('VACUUM');
    db.pragma('wal_checkpoint(TRUNCATE)');
  }
  return latest;
}
