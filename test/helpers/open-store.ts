/**
 * @module test/helpers/open-store
 * Opens a Store backend from a location string, so that a test and a child process it starts can open
 * the same data: a postgres:// URL (with ?schema=) is a PostgresStore, anything else a SQLite file path.
 */
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';

export async function openStoreAt(location: string): Promise<Store> {
  if (/^postgres(ql)?:\/\//.test(location)) return openPostgresStore({ url: location, onError: () => undefined });
  return SqliteStore.open(location);
}
