/**
 * @module store/postgres/reader
 * The reads of PostgresStore: a small pool of connections, apart from the one that writes, with bound
 * parameters. A read sees every write whose promise settled before the read was made (a write's
 * promise settles after its COMMIT), not writes still waiting for their turn's batch.
 */
import { Pool, type QueryResultRow } from 'pg';
import { isUnavailable, storeError, type ConnectionSettings } from './connection.js';

export type Rows = <R extends QueryResultRow>(text: string, values?: unknown[]) => Promise<R[]>;

export class Reader {
  private readonly pool: Pool;

  constructor(settings: ConnectionSettings) {
    this.pool = new Pool({ ...settings.client, max: settings.readConnections, idleTimeoutMillis: 30_000 });
    // An idle connection that dies (server restart, pg_terminate_backend) is dropped by the pool; say so.
    this.pool.on('error', (err) => settings.onError(err));
  }

  /** The rows of one read; StoreUnavailableError when PostgreSQL cannot be reached. */
  readonly rows: Rows = async <R extends QueryResultRow>(text: string, values?: unknown[]): Promise<R[]> => {
    try {
      return (await this.pool.query<R>(text, values)).rows;
    } catch (err) {
      // Once more on a fresh connection: a pooled one may have died since it was last used.
      if (!isUnavailable(err)) throw err;
    }
    try {
      return (await this.pool.query<R>(text, values)).rows;
    } catch (err) {
      throw storeError(err);
    }
  };

  async first<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<R | undefined> {
    return (await this.rows<R>(text, values))[0];
  }

  /** Several reads that see one consistent state (a REPEATABLE READ, READ ONLY transaction). */
  async snapshot<T>(read: (rows: Rows) => Promise<T>): Promise<T> {
    let client;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw storeError(err);
    }
    let failure: Error | undefined;
    // Checked out, a connection has no listener of the pool's: one that dies between two reads must
    // not crash the process (the read waiting on it fails instead).
    const ignore = (): void => undefined;
    client.on('error', ignore);
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const result = await read(async <R extends QueryResultRow>(text: string, values?: unknown[]) => (await client.query<R>(text, values)).rows);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
      throw storeError(err);
    } finally {
      client.removeListener('error', ignore);
      // A connection that failed mid-transaction is not given back to the pool.
      client.release(failure);
    }
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}
