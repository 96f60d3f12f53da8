/**
 * @module bench/store-write
 * What a durable write costs in each Store backend, for the cluster work: the broker's hot path per
 * QoS 1 message to a persistent session is one `sessions.enqueue` when it is routed and one
 * `sessions.dequeue` when the client acknowledges it, neither awaited; the acknowledgement to the
 * publisher waits for `afterDurable`. Not part of `npm test` nor `npm run bench`:
 *
 *   npm run build && node dist/bench/store-write.js [--seconds 3] [--pg postgres://postgres@127.0.0.1:5432/test] [--only sqlite|postgres]
 *
 * Two measures per backend and per number of messages a turn carries (1, 10, 100, 1000):
 * - `turn by turn`: a turn's enqueues, wait for afterDurable, then its dequeues, wait again (what one
 *   publisher waiting for each PUBACK sees): round trips per second and the time of one;
 * - `sustained`: every turn issues that many enqueues and the dequeues of the turn before, with up to
 *   16 turns not yet durable (many publishers at once): messages per second, each two writes.
 * SQLite runs in a temporary directory, PostgreSQL in a schema made for the run and dropped after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openPostgresStore } from '../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { SessionMessageRow, Store } from '../src/store/store.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? (args[at + 1] ?? fallback) : fallback;
};
const SECONDS = Number(option('seconds', '3'));
const PG_URL = option('pg', 'postgres://postgres@127.0.0.1:5432/test');
const ONLY = option('only', '');
const SIZES = [1, 10, 100, 1000];
const IN_FLIGHT = 16;
const PAYLOAD = Buffer.alloc(256, 7);

const message = (seq: number): SessionMessageRow =>
  ({ seq, topic: `bench/${seq % 100}`, payload: PAYLOAD, qos: 1, properties: null, expiresAt: null });
const durable = (store: Store): Promise<boolean> =>
  new Promise((resolve) => store.afterDurable((_: undefined, ok) => resolve(ok), undefined));

interface Row {
  backend: string;
  size: number;
  roundTripsPerSecond: number;
  roundTripMs: number;
  messagesPerSecond: number;
}

async function turnByTurn(store: Store, size: number, start: number): Promise<{ perSecond: number; ms: number; next: number }> {
  let seq = start;
  let rounds = 0;
  const began = performance.now();
  const until = began + SECONDS * 1000;
  while (performance.now() < until) {
    const first = seq + 1;
    for (let i = 0; i < size; i++) void store.sessions.enqueue('bench', message(++seq));
    if (!(await durable(store))) throw new Error('a write failed');
    for (let s = first; s <= seq; s++) void store.sessions.dequeue('bench', s);
    if (!(await durable(store))) throw new Error('a write failed');
    rounds++;
  }
  const seconds = (performance.now() - began) / 1000;
  return { perSecond: rounds / seconds, ms: (seconds * 1000) / rounds, next: seq };
}

async function sustained(store: Store, size: number, start: number): Promise<{ perSecond: number; next: number }> {
  let seq = start;
  let done = 0;
  const waiting: Array<Promise<boolean>> = [];
  let previous: number[] = [];
  const began = performance.now();
  const until = began + SECONDS * 1000;
  while (performance.now() < until) {
    const now: number[] = [];
    for (let i = 0; i < size; i++) {
      now.push(++seq);
      void store.sessions.enqueue('bench', message(seq));
    }
    for (const s of previous) void store.sessions.dequeue('bench', s);
    done += previous.length;
    previous = now;
    waiting.push(durable(store));
    if (waiting.length >= IN_FLIGHT) {
      if (!(await waiting.shift())) throw new Error('a write failed');
    } else {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  for (const s of previous) void store.sessions.dequeue('bench', s);
  done += previous.length;
  await Promise.all([...waiting, durable(store)]);
  return { perSecond: done / ((performance.now() - began) / 1000), next: seq };
}

async function measure(backend: string, store: Store): Promise<Row[]> {
  const rows: Row[] = [];
  await store.sessions.put({ clientId: 'bench', expirySeconds: 3600, disconnectedAt: null, owner: null });
  let seq = 0;
  for (const size of SIZES) {
    const a = await turnByTurn(store, size, seq);
    const b = await sustained(store, size, a.next);
    seq = b.next;
    rows.push({ backend, size, roundTripsPerSecond: a.perSecond, roundTripMs: a.ms, messagesPerSecond: b.perSecond });
    console.error(`${backend} ${size}: ${a.ms.toFixed(2)} ms per round trip, ${Math.round(b.perSecond)} messages/s sustained`);
  }
  return rows;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  if (ONLY === '' || ONLY === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'topicd-bench-store-'));
    const store = SqliteStore.open(join(dir, 'store.db'));
    try {
      rows.push(...await measure('sqlite', store));
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (ONLY === '' || ONLY === 'postgres') {
    const schema = `topicd_bench_${process.pid}`;
    const store = await openPostgresStore({ url: PG_URL, schema });
    try {
      rows.push(...await measure('postgres', store));
    } finally {
      await store.close();
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  }
  console.log('| backend | messages per turn | turn by turn: round trips/s | ms per round trip | sustained: messages/s (2 writes each) |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.backend} | ${r.size} | ${r.roundTripsPerSecond.toFixed(0)} | ${r.roundTripMs.toFixed(2)} | ${r.messagesPerSecond.toFixed(0)} |`);
  }
}

await main();
