/**
 * @module store/postgres/connection
 * How PostgresStore reaches PostgreSQL: its options, the settings every one of its connections shares
 * (its schema alone on the search_path, bigints read as numbers, synchronous commit), and which
 * errors mean "PostgreSQL is not there" (StoreUnavailableError) rather than a statement's own fault.
 * It opens no connection itself.
 */
import { DatabaseError, escapeIdentifier, types, type ClientConfig, type CustomTypesConfig } from 'pg';
import { StoreUnavailableError } from '../../errors.js';

export interface PostgresStoreOptions {
  /** postgres://USER[:PASSWORD]@HOST[:PORT]/DB, optionally with ?schema=NAME. */
  url: string;
  /** The schema holding every table (made if missing); wins over ?schema= in the URL. Default `topicd`. */
  schema?: string | undefined;
  /** Errors that belong to no call (an idle connection lost, ...); default: a process warning. */
  onError?: ((err: Error) => void) | undefined;
  /** Connections for reads (the pool's size); writes have one of their own. Default 4. */
  readConnections?: number | undefined;
  /** A connection attempt that takes longer fails (StoreUnavailable). Default 5,000 ms. */
  connectTimeoutMs?: number | undefined;
  /**
   * A turn's writes that have not committed after this long are given up: their connection is closed
   * and they reject with StoreUnavailable (a server that stopped answering must not hold every
   * acknowledgement forever). Default 15,000 ms.
   */
  writeTimeoutMs?: number | undefined;
  /** application_name of the store's connections, as pg_stat_activity shows it. Default `topicd`. */
  applicationName?: string | undefined;
}

export interface ConnectionSettings {
  schema: string;
  /** The schema quoted for DDL (it is also checked against SCHEMA_NAME). */
  quotedSchema: string;
  /** Everything a pg Client or Pool of this store is made with. */
  client: ClientConfig;
  onError: (err: Error) => void;
  readConnections: number;
  writeTimeoutMs: number;
}

/** Lowercase, so that it needs no quoting anywhere; not pg_ (PostgreSQL reserves those). */
const SCHEMA_NAME = /^(?!pg_)[a-z_][a-z0-9_]{0,62}$/;
const INT8 = 20;

// Epoch milliseconds, seq numbers and counts are bigints; well inside 2^53, so plain numbers.
const parseInt8 = (text: string): number => Number(text);
const TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    (oid === INT8 && format !== 'binary' ? parseInt8 : types.getTypeParser(oid, format))) as CustomTypesConfig['getTypeParser'],
};

export function connectionSettings(options: PostgresStoreOptions): ConnectionSettings {
  const url = new URL(options.url);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new TypeError(`not a postgres:// URL: ${url.protocol}`);
  const schema = options.schema ?? url.searchParams.get('schema') ?? 'topicd';
  url.searchParams.delete('schema');
  if (!SCHEMA_NAME.test(schema)) throw new TypeError(`schema name must match ${SCHEMA_NAME.source}: ${JSON.stringify(schema)}`);
  return {
    schema,
    quotedSchema: escapeIdentifier(schema),
    client: {
      connectionString: url.toString(),
      application_name: options.applicationName ?? 'topicd',
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      keepAlive: true,
      types: TYPES,
      // Only the store's schema is searched (pg_catalog always is), so the SQL names no schema; a
      // commit is durable when it returns, whatever the server's default for synchronous_commit; and
      // a backslash in a plain literal is a backslash (sql.ts writes bytes as '\x...').
      options: `-c search_path=${schema} -c synchronous_commit=on -c standard_conforming_strings=on`,
    },
    onError: options.onError ?? ((err) => process.emitWarning(err, 'TopicdStoreError')),
    readConnections: options.readConnections ?? 4,
    writeTimeoutMs: options.writeTimeoutMs ?? 15_000,
  };
}

/**
 * Whether an error says PostgreSQL could not be reached or the connection is gone, rather than that a
 * statement failed: SQLSTATE classes 08 (connection), 57P01-03 (shut down, terminated), 53 (out of
 * connections, disk, memory); a socket's error (ECONNREFUSED, ECONNRESET, ...); pg's own word that the
 * connection ended or timed out.
 */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  if (err instanceof DatabaseError) return /^(08|57P0|53)/.test(err.code ?? '');
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) || /connection|not queryable|timeout/i.test(err.message);
}

/** The error a caller sees: StoreUnavailableError when PostgreSQL is not there, the error itself otherwise. */
export function storeError(err: unknown): unknown {
  if (err instanceof StoreUnavailableError || !isUnavailable(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new StoreUnavailableError(`PostgreSQL is unavailable: ${message}`, err);
}
