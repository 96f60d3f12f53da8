/**
 * @module store/postgres/write-batch
 * How PostgresStore keeps the Store port's durability promise without a round trip per write: every
 * write of one event-loop turn joins one transaction, sent at the turn's end (the check phase) on the
 * store's one write connection, in one message where it can (commit-ops.ts; sql.ts writes the values
 * in). Once it commits, the turn's write promises settle with their results and the tasks given to
 * `afterDurable` run, in call order (the transports' socket flushes: PUBACKs, HTTP 200s).
 *
 * Design note.
 * - One batch is in flight at a time; the writes made meanwhile gather into the next, so a busy
 *   broker sends fewer, bigger transactions (group commit) and the order of writes is the order of
 *   calls. Tasks wait for every batch before theirs. How a batch is sent, and how a failing write is
 *   kept from failing the others, is commit-ops.ts.
 * - A lost connection, a server that is down, or a batch that has not committed within
 *   `writeTimeoutMs`: every write of the batch rejects with StoreUnavailableError, its tasks get
 *   `durable = false` (the transports cut those sockets instead of acknowledging), and so do the tasks
 *   of the batch that gathered meanwhile (they may acknowledge writes of the failed one). The
 *   connection is dropped; the next batch opens a new one, so the store recovers by itself once the
 *   server is back. A batch whose COMMIT was sent when the connection broke may have committed:
 *   it is reported failed anyway, since nothing must be acknowledged that is not known durable.
 */
import { performance } from 'node:perf_hooks';
import { Client, type QueryResult } from 'pg';
import type { CommitObserver } from '../store.js';
import { StoreUnavailableError } from '../../errors.js';
import { commitOps, type Op, type Outcome, type RowKind } from './commit-ops.js';
import { storeError, type ConnectionSettings } from './connection.js';
import { Sql } from './sql.js';

type Task = (arg: unknown, durable: boolean) => void;

class Batch {
  /** performance.now() at the first write: the commit observer's latency runs from here. */
  readonly begunAt = performance.now();
  readonly ops: Op[] = [];
  /** (task, arg) pairs, flat, so the hot path allocates no closure. */
  readonly tasks: unknown[] = [];
  /** The batch before it failed while this one gathered. */
  tainted = false;
}

/** The one connection that writes; a new one after any failure. */
class WriteConnection {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;

  constructor(private readonly settings: ConnectionSettings) {}

  get(): Promise<Client> {
    if (this.connecting !== undefined) return this.connecting;
    const client = new Client(this.settings.client);
    this.client = client;
    const lost = (err?: Error): void => {
      if (this.client === client) this.drop();
      if (err !== undefined) this.settings.onError(err);
    };
    client.on('error', lost);
    client.on('end', () => lost());
    this.connecting = client.connect().then(() => client, (err: unknown) => {
      if (this.client === client) this.drop();
      throw err;
    });
    return this.connecting;
  }

  /** Forgets the connection and closes its socket (an unfinished query on it fails at once). */
  drop(): void {
    const client = this.client;
    this.client = undefined;
    this.connecting = undefined;
    client?.connection.stream.destroy();
  }

  async end(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.connecting = undefined;
    await client?.end().catch(() => undefined);
  }
}

export class WriteBatch {
  private readonly connection: WriteConnection;
  private pending: Batch | undefined;
  private running = false;
  private scheduled = false;
  private closed = false;
  private readonly idle: Array<() => void> = [];
  observer: CommitObserver | undefined;

  constructor(private readonly settings: ConnectionSettings) {
    this.connection = new WriteConnection(settings);
  }

  /** Queues a write (its statements run in order, in one savepoint); resolves with `map` of the last one's result once committed. */
  write<R>(statements: Sql | readonly Sql[], map: (result: QueryResult) => R): Promise<R> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('the store is closed'));
    const list = statements instanceof Sql ? [statements] : statements;
    return new Promise<R>((resolve, reject) => {
      const text = list.length === 1 ? (list[0] as Sql).text : list.map((s) => s.text).join(';\n');
      this.batch().ops.push({
        text, statements: list.length, map, kind: undefined, row: '', key: '', resolve: resolve as (value: unknown) => void, reject,
      });
      this.schedule();
    });
  }

  /** Queues a one-row write of `kind` (`row` is its `(...)` literal) that may share a statement with its neighbours. */
  writeRow(kind: RowKind, row: Sql, key: string): Promise<void> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('the store is closed'));
    return new Promise<void>((resolve, reject) => {
      this.batch().ops.push({ text: '', statements: 1, map: undefined, kind, row: row.text, key, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /** See Durability.afterDurable (store/store.ts). */
  afterDurable<T>(task: (arg: T, durable: boolean) => void, arg: T): void {
    this.batch().tasks.push(task, arg);
    this.schedule();
  }

  /** Sends what is pending, waits for every batch, then closes the write connection. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.running || this.pending !== undefined) {
      await new Promise<void>((resolve) => {
        this.idle.push(resolve);
        this.schedule();
      });
    }
    await this.connection.end();
  }

  private batch(): Batch {
    this.pending ??= new Batch();
    return this.pending;
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.pending;
    if (batch === undefined) {
      this.idle.splice(0).forEach((resolve) => resolve());
      return;
    }
    this.pending = undefined;
    this.running = true;
    void this.run(batch).finally(() => {
      this.running = false;
      if (this.pending !== undefined) this.schedule();
      else this.idle.splice(0).forEach((resolve) => resolve());
    });
  };

  private async run(batch: Batch): Promise<void> {
    const durable = batch.ops.length === 0 || await this.commit(batch.ops);
    if (batch.ops.length > 0) this.observer?.((performance.now() - batch.begunAt) / 1000, durable);
    if (!durable && this.pending !== undefined) this.pending.tainted = true;
    const tasks = batch.tasks;
    const ok = durable && !batch.tainted;
    for (let i = 0; i < tasks.length; i += 2) {
      try {
        (tasks[i] as Task)(tasks[i + 1], ok);
      } catch (err) {
        // One failed task must not leave every other socket corked.
        process.emitWarning(err instanceof Error ? err : new Error(String(err)), 'TopicdTurnTaskFailed');
      }
    }
  }

  /** Commits the ops and settles each; false when the transaction as a whole was lost. */
  private async commit(ops: Op[]): Promise<boolean> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.connection.drop();
    }, this.settings.writeTimeoutMs);
    try {
      const client = await this.connection.get();
      const outcomes = await commitOps(client, ops);
      ops.forEach((op, i) => {
        const outcome = outcomes[i] as Outcome;
        if (outcome.ok) op.resolve(outcome.value);
        else op.reject(outcome.error);
      });
      return true;
    } catch (err) {
      this.connection.drop();
      const error = timedOut
        ? new StoreUnavailableError(`PostgreSQL did not commit within ${this.settings.writeTimeoutMs} ms`, err)
        : storeError(err);
      for (const op of ops) op.reject(error);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
