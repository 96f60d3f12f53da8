/**
 * @module store/sqlite/turn-batch
 * How SqliteStore keeps the Store port's durability promise cheaply: every write of one event-loop
 * turn goes into one transaction, committed at the turn's end (the check phase, after every I/O
 * callback of the turn has run). Then, in order, the turn's write promises settle and the tasks
 * given to `afterDurable` run (the transports' socket flushes, which carry PUBACKs and HTTP 200s).
 *
 * Design note. A commit is most of a small write's cost, and a busy broker makes hundreds of writes a
 * turn (queued QoS 1 messages, acknowledgements, retained messages), so this is where the store's
 * throughput comes from; acknowledgements still leave only after the commit, so nothing acknowledged
 * is lost to a crash. Writes begin the transaction themselves: each write statement is wrapped when
 * prepared, so every part of the store (and every part added later) is batched without knowing it.
 * A write inside an explicit `db.transaction()` nests as a savepoint (better-sqlite3), and a failed
 * statement rolls back alone. A failed COMMIT (disk full) rejects the turn's write promises and tells
 * every `afterDurable` task `false`, so nothing of that turn is acknowledged.
 * One setImmediate serves the whole turn; tasks are (function, argument) pairs so the hot path
 * allocates no closure.
 */
import { performance } from 'node:perf_hooks';
import type { Database as Db } from 'better-sqlite3';
import type { CommitObserver } from '../store.js';

type Task = (arg: never, durable: boolean) => void;

export class TurnBatch {
  /** Write statements run so far; a port method that moved it wrote, and waits for the commit. */
  writes = 0;
  private readonly tasks: unknown[] = [];
  private scheduled = false;
  /** The open transaction's outcome, made on the first write that waits for it. */
  private outcome: { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } | undefined;
  /** When the open transaction began (performance.now()), for the commit observer. */
  private begunAt = 0;
  observer: CommitObserver | undefined;

  constructor(private readonly db: Db) {}

  /** Wraps `db.prepare` so that every write statement joins the turn's transaction. */
  install(): void {
    const db = this.db;
    const prepare = db.prepare.bind(db);
    db.prepare = ((source: string) => {
      const statement = prepare(source);
      if (statement.reader) return statement;
      const run = statement.run.bind(statement);
      statement.run = (...params: unknown[]) => {
        if (!db.inTransaction) {
          db.exec('BEGIN');
          this.begunAt = performance.now();
          this.schedule();
        }
        this.writes++;
        return run(...params);
      };
      return statement;
    }) as typeof db.prepare;
  }

  /** Resolves once the transaction open now has committed (at once when none is open). */
  committed(): Promise<void> {
    if (!this.db.inTransaction) return Promise.resolve();
    if (this.outcome === undefined) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
      this.outcome = { promise, resolve, reject };
    }
    return this.outcome.promise;
  }

  /** See Durability.afterDurable (store/store.ts). */
  afterDurable<T>(task: (arg: T, durable: boolean) => void, arg: T): void {
    this.tasks.push(task as Task, arg);
    this.schedule();
  }

  /** Commits now (close, shutdown); the tasks still run at the turn's end. */
  commitNow(): boolean {
    return this.commit();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.endTurn);
  }

  private readonly endTurn = (): void => {
    this.scheduled = false;
    const durable = this.commit();
    // Tasks queued while these run belong to the next turn, so a task that re-queues cannot starve I/O.
    const tasks = this.tasks.splice(0, this.tasks.length);
    for (let i = 0; i < tasks.length; i += 2) {
      try {
        (tasks[i] as (arg: unknown, durable: boolean) => void)(tasks[i + 1], durable);
      } catch (err) {
        // One failed task must not leave every other socket corked.
        process.emitWarning(err instanceof Error ? err : new Error(String(err)), 'TopicdTurnTaskFailed');
      }
    }
  };

  /** Ends the open transaction, if any; false when its COMMIT failed (and it was rolled back). */
  private commit(): boolean {
    const db = this.db;
    const outcome = this.outcome;
    this.outcome = undefined;
    if (!db.open || !db.inTransaction) {
      outcome?.resolve();
      return true;
    }
    try {
      db.exec('COMMIT');
      this.observer?.((performance.now() - this.begunAt) / 1000, true);
      outcome?.resolve();
      return true;
    } catch (err) {
      // A failed COMMIT must not leave the batch open forever: later turns start afresh.
      if (db.inTransaction) db.exec('ROLLBACK');
      this.observer?.((performance.now() - this.begunAt) / 1000, false);
      outcome?.reject(err);
      return false;
    }
  }
}

/**
 * Makes each method of a noun store durable: when a call wrote, its promise settles only after the
 * turn's commit (with the commit's error, if it failed). Reads settle at once.
 */
export function durableMethods<T extends object>(noun: T, batch: TurnBatch): T {
  const out = {} as Record<string, unknown>;
  for (const [name, value] of Object.entries(noun)) {
    if (typeof value !== 'function') {
      out[name] = value;
      continue;
    }
    const fn = value as (...args: unknown[]) => Promise<unknown>;
    out[name] = (...args: unknown[]): Promise<unknown> => {
      const before = batch.writes;
      const result = fn(...args);
      if (batch.writes === before) return result;
      const commit = batch.committed();
      return result.then((value) => commit.then(() => value));
    };
  }
  return out as T;
}
