/**
 * @module test/unit/store-contract-durability
 * The durability half of the Store contract (store/store.ts, Durability): what every backend promises
 * about when a write is durable, checked from outside the store (another store on the same data, a
 * writer process killed with SIGKILL). Called by storeContract for each backend.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RetainedRow, Store } from '../../src/store/store.js';

/** How a backend's test file lets the contract reach its data from outside a store. */
export interface StoreBackend {
  /** Opens a fresh, empty store. */
  open(): Promise<Store>;
  /** Where the store keeps its data, as `openAt` and the writer child (store-writer-child.ts) take it. */
  locate(store: Store): string;
  /** Opens another store on the data at `location`. */
  openAt(location: string): Promise<Store>;
}

const WRITER_CHILD = fileURLToPath(new URL('./store-writer-child.js', import.meta.url));
const row = (topic: string): RetainedRow => ({ topic, payload: Buffer.from(topic), qos: 1, properties: null, updatedAt: 1 });
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function until(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function durabilityContract(backend: StoreBackend, store: () => Store): void {
  describe('durability', () => {
    test('durability - the commit observer hears of each commit of a turn\'s writes, once, with its duration', async () => {
      const heard: Array<[number, boolean]> = [];
      store().observeCommits((seconds, committed) => heard.push([seconds, committed]));
      try {
        await Promise.all([store().retained.put(row('observed/a')), store().retained.put(row('observed/b'))]);
        await until(() => heard.length >= 1, 'a commit');
        assert.equal(heard.length, 1, 'two writes of one turn are one commit');
        const [seconds, committed] = heard[0]!;
        assert.equal(committed, true);
        assert.ok(seconds >= 0 && seconds < 10, `${seconds} s`);
        await store().meta.get('k');
        await nextTurn();
        assert.equal(heard.length, 1, 'a read commits nothing');
      } finally {
        store().observeCommits(() => undefined);
      }
    });

    test('durability - once a write\'s promise settles, another store on the same data sees it', async () => {
      const other = await backend.openAt(backend.locate(store()));
      try {
        await store().meta.set('k', 'v');
        assert.equal(await other.meta.get('k'), 'v');
        // Writes of one turn, none awaited: each is visible to the other store when its promise settles.
        const seen = await Promise.all(Array.from({ length: 20 }, (_, i) =>
          store().retained.put(row(`d/${i}`)).then(() => other.retained.get(`d/${i}`))));
        assert.deepEqual(seen.map((r) => r?.topic), Array.from({ length: 20 }, (_, i) => `d/${i}`));
      } finally {
        await other.close();
      }
    });

    test('durability - afterDurable runs after the turn, once the writes issued before it are visible elsewhere, in call order', async () => {
      const other = await backend.openAt(backend.locate(store()));
      try {
        const order: string[] = [];
        const counts: Array<Promise<number>> = [];
        const task = (round: number, durable: boolean): void => {
          order.push(`task ${round} ${durable}`);
          // Read from the other store now: what the task may acknowledge must already be there.
          counts.push(other.retained.all().then((all) => all.length));
        };
        for (let round = 0; round < 4; round++) {
          for (let i = 0; i < 5; i++) void store().retained.put(row(`r${round}/${i}`));
          store().afterDurable(task, round);
          if (round === 1) await nextTurn();
        }
        await Promise.resolve();
        assert.ok(!order.some((t) => t.startsWith('task 2') || t.startsWith('task 3')), 'the last turn\'s tasks wait for its end');
        await until(() => order.length === 4, 'the tasks');
        assert.deepEqual(order, ['task 0 true', 'task 1 true', 'task 2 true', 'task 3 true']);
        const seen = await Promise.all(counts);
        seen.forEach((n, round) => assert.ok(n >= (round + 1) * 5, `task ${round} ran when another connection saw ${n} rows`));
        let ran = false;
        store().afterDurable(() => { ran = true; }, undefined);
        assert.equal(ran, false, 'not in the same turn, even with nothing to wait for');
        await until(() => ran, 'a task with no write before it');
      } finally {
        await other.close();
      }
    });

    test('durability - a write that fails rejects alone; the rest of its turn commits and its tasks run', async () => {
      const key = { accessKeyId: 'AKIADUPLICATE', secretAccessKey: 's', createdAt: 1, isAdmin: false };
      await store().accessKeys.insert(key);
      const before = store().retained.put(row('before'));
      const duplicate = store().accessKeys.insert({ ...key, secretAccessKey: 'other' });
      const after = store().meta.set('after', 'yes');
      let durable: boolean | undefined;
      store().afterDurable((_: undefined, d) => { durable = d; }, undefined);
      await assert.rejects(duplicate);
      await before;
      await after;
      await until(() => durable !== undefined, 'the task');
      assert.equal(durable, true);
      assert.equal((await store().retained.get('before'))?.topic, 'before');
      assert.equal(await store().meta.get('after'), 'yes');
      assert.equal((await store().accessKeys.get(key.accessKeyId))?.secretAccessKey, 's');
    });

    test('durability - a turn\'s writes, none awaited, apply in call order', async () => {
      const s = store();
      await s.sessions.put({ clientId: 'a', expirySeconds: 60, disconnectedAt: null, owner: null });
      const message = (seq: number, topic = `t/${seq}`) => ({ seq, topic, payload: Buffer.from([seq]), qos: 2 as const, properties: null, expiresAt: null });
      const writes: Array<Promise<void>> = [];
      for (let seq = 1; seq <= 6; seq++) writes.push(s.sessions.enqueue('a', message(seq)));
      writes.push(s.sessions.track('a', 2, 7, false), s.sessions.track('a', 2, 7, true));
      writes.push(s.sessions.dequeue('a', 3), s.sessions.dequeue('a', 3), s.sessions.enqueue('a', message(3, 'again')));
      writes.push(s.sessions.enqueue('a', message(5, 'replaced')), s.sessions.dequeue('a', 6), s.sessions.dequeue('a', 1));
      writes.push(s.retained.put(row('r')), s.retained.put({ ...row('r'), payload: Buffer.from('last') }), s.retained.put(row('q')));
      await Promise.all(writes);
      const [stored] = await s.sessions.all();
      assert.deepEqual(stored?.messages, [
        { ...message(2), packetId: 7, released: true }, message(3, 'again'), message(4), message(5, 'replaced'),
      ]);
      assert.deepEqual((await s.retained.get('r'))?.payload, Buffer.from('last'));
      assert.equal((await s.retained.all()).length, 2);
    });

    test('durability - a failing write among like writes of its turn rejects alone', async () => {
      const s = store();
      await s.sessions.put({ clientId: 'a', expirySeconds: 60, disconnectedAt: null, owner: null });
      const message = (seq: number) => ({ seq, topic: 't', payload: Buffer.from([seq]), qos: 1 as const, properties: null, expiresAt: null });
      const before = s.sessions.enqueue('a', message(1));
      // No session 'nobody': its messages have nothing to belong to.
      const orphan = s.sessions.enqueue('nobody', message(2));
      const after = s.sessions.enqueue('a', message(3));
      await assert.rejects(orphan);
      await before;
      await after;
      assert.deepEqual((await s.sessions.all()).map((x) => [x.session.clientId, x.messages.map((m) => m.seq)]), [['a', [1, 3]]]);
    });

    test('durability - close commits what is pending and runs its tasks, leaving nothing pending; a write after it rejects', async () => {
      const location = backend.locate(store());
      const settled: string[] = [];
      const writes = [0, 1, 2].map((i) => store().retained.put(row(`c/${i}`)).then(() => { settled.push(`write ${i}`); }));
      store().afterDurable((_: undefined, durable) => { settled.push(`task ${durable}`); }, undefined);
      await store().close();
      await nextTurn();
      assert.deepEqual([...settled].sort(), ['task true', 'write 0', 'write 1', 'write 2']);
      await Promise.all(writes);
      await assert.rejects(store().retained.put(row('late')));
      const again = await backend.openAt(location);
      try {
        assert.deepEqual((await again.retained.all()).map((r) => r.topic), ['c/0', 'c/1', 'c/2']);
      } finally {
        await again.close();
      }
    });

    test('durability - a writer killed with SIGKILL loses no write it was told was durable', async () => {
      const location = backend.locate(store());
      const child = spawn(process.execPath, [WRITER_CHILD, location], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      let tasks = 0;
      child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString(); });
      child.stdout.on('data', (chunk: Buffer) => {
        const text = chunk.toString();
        out += text;
        tasks += text.split('\n').filter((line) => line.startsWith('t ')).length;
        // Killed in the middle of its work: writes in flight, tasks queued.
        if (tasks >= 200 && child.exitCode === null) child.kill('SIGKILL');
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const signal = await exited;
      clearTimeout(timer);
      assert.equal(signal, 'SIGKILL', `the writer died on its own: ${err}`);
      // Only whole lines count: the last one may have been cut by the kill.
      const lines = out.split('\n').slice(0, -1);
      const written = lines.filter((l) => l.startsWith('w ')).map((l) => Number(l.slice(2)));
      const upTo = Math.max(0, ...lines.filter((l) => l.startsWith('t ')).map((l) => Number(l.slice(2))));
      assert.ok(tasks >= 200 && written.length > 0, `the writer acknowledged writes before the kill (${tasks} tasks)`);
      const after = await backend.openAt(location);
      try {
        const session = (await after.sessions.all()).find((s) => s.session.clientId === 'writer');
        const stored = new Set(session?.messages.map((m) => m.seq));
        const lost = written.filter((seq) => !stored.has(seq));
        for (let seq = 1; seq <= upTo; seq++) if (!stored.has(seq)) lost.push(seq);
        assert.deepEqual(lost, [], `of ${written.length} settled writes and tasks up to ${upTo}, ${stored.size} stored`);
      } finally {
        await after.close();
      }
    });
  });
}
