/**
 * @module store/postgres/commit-ops
 * Sends one batch of writes (write-batch.ts) to PostgreSQL as one transaction and tells each write
 * how it went. It knows SQL text and results, not turns, tasks or connections.
 *
 * Design note.
 * - The fast way: `BEGIN; w1; w2; ...; COMMIT` as one simple-protocol message (several when it is
 *   large): one round trip for the whole turn. Adjacent writes of one row kind (RowKind: the broker's
 *   enqueue, dequeue, track, retained put) share one multi-row statement, which PostgreSQL runs
 *   several times faster than as many one-row statements; a row whose key is already in the
 *   statement starts a new one where that matters (an upsert cannot change one row twice).
 * - Any statement's error aborts the whole transaction. It is rolled back and, on a deadlock or
 *   serialization failure (two nodes' batches crossing), sent again; otherwise it runs again one write
 *   at a time, each in a savepoint, so that only the failing write rejects (as in SQLite, where a
 *   failed statement fails alone) and the others commit.
 * - An error that says the connection is gone (connection.ts, isUnavailable) is thrown at once: then
 *   nothing of the batch is known to have committed.
 */
import type { Client, QueryResult } from 'pg';
import { StoreUnavailableError } from '../../errors.js';
import { isUnavailable } from './connection.js';

/** A kind of one-row write that adjacent calls may merge into one statement. */
export interface RowKind {
  /** The statement for some rows, given their `(...)` literals joined by commas. */
  statement: (rows: string) => string;
  /** Whether rows with the same key may share a statement (a DELETE's may; an upsert's may not). */
  sameKeyTogether: boolean;
}

export interface Op {
  /** The write's statements, `;`-separated; empty for a row write. */
  text: string;
  statements: number;
  /** Turns the last statement's result into the port method's value (a row write has none). */
  map: ((result: QueryResult) => unknown) | undefined;
  kind: RowKind | undefined;
  /** A row write's `(...)` literal and its key. */
  row: string;
  key: string;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Deadlock and serialization failure: nothing wrong with the writes, only with their timing. */
const RETRYABLE = new Set(['40P01', '40001']);
const ATTEMPTS = 3;
/** A batch larger than this goes out in several messages of the one transaction. */
const MESSAGE_BYTES = 1 << 20;
/** Rows one merged statement takes at most. */
const ROWS_PER_STATEMENT = 1000;

const results = (r: QueryResult | QueryResult[]): QueryResult[] => (Array.isArray(r) ? r : [r]);

/** The ops in one transaction; each op's outcome. Throws when the transaction itself failed. */
export async function commitOps(client: Client, ops: readonly Op[]): Promise<Outcome[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await together(client, ops);
    } catch (err) {
      if (isUnavailable(err)) throw err;
      await client.query('ROLLBACK');
      const code = (err as { code?: string }).code ?? '';
      if (!RETRYABLE.has(code) || attempt >= ATTEMPTS) break;
    }
  }
  return oneByOne(client, ops);
}

/** The statements of the fast way, and for each op the index of its last statement's result (-1: none). */
function statements(ops: readonly Op[]): { texts: string[]; resultOf: number[] } {
  const texts: string[] = [];
  const resultOf: number[] = [];
  let total = 0;
  let run: { kind: RowKind; rows: string[]; keys: Set<string> } | undefined;
  const push = (text: string, count: number): void => {
    texts.push(text);
    total += count;
  };
  const close = (): void => {
    if (run !== undefined) push(run.kind.statement(run.rows.join(',\n')), 1);
    run = undefined;
  };
  for (const op of ops) {
    const kind = op.kind;
    if (kind === undefined) {
      close();
      push(op.text, op.statements);
      resultOf.push(total - 1);
      continue;
    }
    if (run === undefined || run.kind !== kind || run.rows.length >= ROWS_PER_STATEMENT || (!kind.sameKeyTogether && run.keys.has(op.key))) {
      close();
      run = { kind, rows: [], keys: new Set() };
    }
    run.rows.push(op.row);
    if (!kind.sameKeyTogether) run.keys.add(op.key);
    resultOf.push(-1);
  }
  close();
  return { texts, resultOf };
}

/** The fast way: the whole transaction in as few messages as its size allows; any error fails it all. */
async function together(client: Client, ops: readonly Op[]): Promise<Outcome[]> {
  const { texts, resultOf } = statements(ops);
  const all: QueryResult[] = [];
  let message = 'BEGIN';
  for (const text of texts) {
    if (message.length > MESSAGE_BYTES) {
      all.push(...results(await client.query(message)));
      message = text;
    } else {
      message += ';\n' + text;
    }
  }
  all.push(...results(await client.query(message + ';\nCOMMIT')));
  if (all[all.length - 1]?.command !== 'COMMIT') throw new StoreUnavailableError('the transaction did not commit');
  // Results count from BEGIN's.
  return ops.map((op, i) => mapped(op, resultOf[i] === -1 ? undefined : all[(resultOf[i] ?? 0) + 1]));
}

/** The careful way, after an error: each op in a savepoint, so that a failing op fails alone. */
async function oneByOne(client: Client, ops: readonly Op[]): Promise<Outcome[]> {
  await client.query('BEGIN');
  const outcomes: Outcome[] = [];
  for (const op of ops) {
    const text = op.kind === undefined ? op.text : op.kind.statement(op.row);
    try {
      const done = results(await client.query(`SAVEPOINT write;\n${text};\nRELEASE SAVEPOINT write`));
      outcomes.push(mapped(op, done[done.length - 2]));
    } catch (err) {
      if (isUnavailable(err)) throw err;
      await client.query('ROLLBACK TO SAVEPOINT write');
      outcomes.push({ ok: false, error: err });
    }
  }
  const commit = await client.query('COMMIT');
  if (commit.command !== 'COMMIT') throw new StoreUnavailableError('the transaction did not commit');
  return outcomes;
}

function mapped(op: Op, result: QueryResult | undefined): Outcome {
  if (op.map === undefined) return { ok: true, value: undefined };
  try {
    if (result === undefined) throw new Error('a write has no result');
    return { ok: true, value: op.map(result) };
  } catch (error) {
    return { ok: false, error };
  }
}
