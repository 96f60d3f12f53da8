/**
 * @module test/unit/shadow-service.test
 * ShadowService end to end below the broker: a real SqliteStore in a temp dir, a clock the test
 * moves, and a recording ShadowOutlet (the service's boundary) that also checks, from a second
 * database connection, that a document is committed before any message about it leaves.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { isTopicdError } from '../../src/errors.js';
import { ShadowService, type ShadowOutlet } from '../../src/services/shadow/index.js';
import type { ShadowLimits } from '../../src/services/shadow/limits.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'topicd-shadow-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const T0 = 1_700_000_000_000;
const S0 = T0 / 1000;

interface Sent {
  /** '*' for a publish to every subscriber, else the client id a reply went to. */
  to: string;
  topic: string;
  body: Record<string, unknown>;
}

/** Records what the service sends and, per message, what another connection sees committed. */
class Recorder implements ShadowOutlet {
  sent: Sent[] = [];
  committedVersions: Array<number | null> = [];
  constructor(private readonly path: string) {}
  publish(topic: string, payload: Buffer): void {
    this.record('*', topic, payload);
  }
  reply(clientId: string, topic: string, payload: Buffer): void {
    this.record(clientId, topic, payload);
  }
  take(): Sent[] {
    const sent = this.sent;
    this.sent = [];
    return sent;
  }
  private record(to: string, topic: string, payload: Buffer): void {
    this.sent.push({ to, topic, body: JSON.parse(payload.toString()) as Record<string, unknown> });
    const other = new Database(this.path, { readonly: true });
    try {
      const row = other.prepare<[], { version: number }>("SELECT version FROM shadows WHERE thing_name = 'lamp' AND shadow_name = ''").get();
      this.committedVersions.push(row?.version ?? null);
    } finally {
      other.close();
    }
  }
}

const json = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));
const parse = (b: Buffer): Record<string, unknown> => JSON.parse(b.toString()) as Record<string, unknown>;
const P = '$aws/things/lamp/shadow';

describe('shadow - service', () => {
  let path: string;
  let store: SqliteStore;
  let out: Recorder;
  let clock: number;
  let shadows: ShadowService;
  const make = (limits?: Partial<ShadowLimits>): ShadowService => new ShadowService({ shadows: store.shadows, outlet: out, now: () => clock, limits });

  beforeEach(() => {
    path = join(dir, `shadow-${++files}.db`);
    store = SqliteStore.open(path);
    out = new Recorder(path);
    clock = T0;
    shadows = make();
  });
  afterEach(async () => { await store.close(); });

  test('shadow - AWS: /get of a missing shadow: 404 to the requester only, the token echoed; named shadows quote their own name', async () => {
    await shadows.handlePublish(`${P}/get`, json({ clientToken: 'c1' }), 'dev');
    await shadows.handlePublish('$aws/things/lamp/shadow/name/cfg/get', Buffer.alloc(0), 'app');
    assert.deepEqual(out.take(), [
      { to: 'dev', topic: `${P}/get/rejected`, body: { code: 404, message: "No shadow exists with name: 'lamp'", timestamp: S0, clientToken: 'c1' } },
      { to: 'app', topic: '$aws/things/lamp/shadow/name/cfg/get/rejected', body: { code: 404, message: "No shadow exists with name: 'cfg'", timestamp: S0 } },
    ]);
  });

  test('shadow - AWS: an update is stored before accepted, delta and documents go to every subscriber', async () => {
    await shadows.handlePublish(`${P}/update`, json({ state: { desired: { color: 'RED', power: 'on' } }, clientToken: 'u1' }), 'app');
    const meta = { color: { timestamp: S0 }, power: { timestamp: S0 } };
    assert.deepEqual(out.take(), [
      { to: '*', topic: `${P}/update/accepted`, body: { state: { desired: { color: 'RED', power: 'on' } }, metadata: { desired: meta }, version: 1, timestamp: S0, clientToken: 'u1' } },
      { to: '*', topic: `${P}/update/delta`, body: { version: 1, timestamp: S0, state: { color: 'RED', power: 'on' }, metadata: meta, clientToken: 'u1' } },
      { to: '*', topic: `${P}/update/documents`, body: { current: { state: { desired: { color: 'RED', power: 'on' } }, metadata: { desired: meta }, version: 1 }, timestamp: S0, clientToken: 'u1' } },
    ]);
    assert.deepEqual(out.committedVersions, [1, 1, 1], 'another connection saw version 1 committed before each message');

    clock += 5000;
    await shadows.handlePublish(`${P}/update`, json({ state: { reported: { color: 'RED', power: 'off' } } }), 'dev');
    const [accepted, delta, documents, ...rest] = out.take();
    assert.equal(rest.length, 0);
    assert.deepEqual(accepted?.body, { state: { reported: { color: 'RED', power: 'off' } }, metadata: { reported: { color: { timestamp: S0 + 5 }, power: { timestamp: S0 + 5 } } }, version: 2, timestamp: S0 + 5 });
    assert.deepEqual(delta, { to: '*', topic: `${P}/update/delta`, body: { version: 2, timestamp: S0 + 5, state: { power: 'on' }, metadata: { power: { timestamp: S0 } } } },
      'AWS: a delta is sent while desired and reported differ, whoever updated');
    assert.deepEqual(documents?.body, {
      previous: { state: { desired: { color: 'RED', power: 'on' } }, metadata: { desired: meta }, version: 1 },
      current: { state: { desired: { color: 'RED', power: 'on' }, reported: { color: 'RED', power: 'off' } }, metadata: { desired: meta, reported: { color: { timestamp: S0 + 5 }, power: { timestamp: S0 + 5 } } }, version: 2 },
      timestamp: S0 + 5,
    });

    await shadows.handlePublish(`${P}/update`, json({ state: { reported: { power: 'on' } } }), 'dev');
    assert.deepEqual(out.take().map((m) => m.topic), [`${P}/update/accepted`, `${P}/update/documents`], 'no delta once they agree');
  });

  test('shadow - AWS: /get answers the requester only: desired, reported, delta, metadata, version', async () => {
    await shadows.handlePublish(`${P}/update`, json({ state: { desired: { color: 'RED', sequence: ['RED', 'GREEN', 'BLUE'] }, reported: { color: 'GREEN' } } }), 'app');
    out.take();
    clock += 2000;
    await shadows.handlePublish(`${P}/get`, json({ clientToken: 'g' }), 'dev');
    assert.deepEqual(out.take(), [{ to: 'dev', topic: `${P}/get/accepted`, body: {
      state: { desired: { color: 'RED', sequence: ['RED', 'GREEN', 'BLUE'] }, reported: { color: 'GREEN' }, delta: { color: 'RED', sequence: ['RED', 'GREEN', 'BLUE'] } },
      metadata: { desired: { color: { timestamp: S0 }, sequence: [{ timestamp: S0 }, { timestamp: S0 }, { timestamp: S0 }] }, reported: { color: { timestamp: S0 } } },
      version: 1, timestamp: S0 + 2, clientToken: 'g',
    } }]);
  });

  test('shadow - AWS: optimistic locking (device-shadow-data-flow.md): version 9 against 10 is 409 to the requester, 10 is accepted as 11', async () => {
    for (let i = 0; i < 10; i++) await shadows.updateThingShadow('lamp', undefined, json({ state: { desired: { colors: ['RED', 'GREEN', 'BLUE'] } } }));
    out.take();
    await shadows.handlePublish(`${P}/update`, json({ state: { desired: { colors: ['BLUE'] } }, version: 9, clientToken: '426bfd96-e720-46d3-95cd-014e3ef12bb6' }), 'app');
    assert.deepEqual(out.take(), [{ to: 'app', topic: `${P}/update/rejected`, body: { code: 409, message: 'Version conflict', timestamp: S0, clientToken: '426bfd96-e720-46d3-95cd-014e3ef12bb6' } }]);
    await shadows.handlePublish(`${P}/update`, json({ state: { desired: { colors: ['BLUE'] } }, version: 10 }), 'app');
    assert.equal(out.take()[0]?.body.version, 11);
    assert.deepEqual(parse(await shadows.getThingShadow('lamp')).state, { desired: { colors: ['BLUE'] }, delta: { colors: ['BLUE'] } });
  });

  test('shadow - AWS: delete keeps the version; a re-create within 48 h continues it, after 48 h it restarts', async () => {
    for (let i = 0; i < 3; i++) await shadows.updateThingShadow('lamp', undefined, json({ state: { reported: { n: i } } }));
    out.take();
    await shadows.handlePublish(`${P}/delete`, json({ clientToken: 'd' }), 'app');
    assert.deepEqual(out.take(), [{ to: '*', topic: `${P}/delete/accepted`, body: { version: 3, timestamp: S0, clientToken: 'd' } }]);
    await shadows.handlePublish(`${P}/get`, Buffer.alloc(0), 'dev');
    assert.equal(out.take()[0]?.body.code, 404, 'gone');
    await shadows.handlePublish(`${P}/delete`, Buffer.alloc(0), 'app');
    assert.deepEqual(out.take(), [{ to: 'app', topic: `${P}/delete/rejected`, body: { code: 404, message: "No shadow exists with name: 'lamp'", timestamp: S0 } }]);

    clock += 47 * 3600_000;
    assert.equal(parse(await shadows.updateThingShadow('lamp', undefined, json({ state: { reported: { n: 9 } } }))).version, 4);
    assert.deepEqual(parse(await shadows.getThingShadow('lamp')).state, { reported: { n: 9 } }, 'nothing of the deleted document comes back');
    assert.deepEqual(parse(await shadows.deleteThingShadow('lamp')), { version: 4, timestamp: S0 + 47 * 3600 });
    clock += 48 * 3600_000;
    assert.equal(parse(await shadows.updateThingShadow('lamp', undefined, json({ state: { reported: { n: 1 } } }))).version, 1);
  });

  test('shadow - AWS: "state": null empties the shadow, which still exists and counts on', async () => {
    await shadows.updateThingShadow('lamp', undefined, json({ state: { desired: { a: 1 }, reported: { a: 2 } } }));
    const accepted = parse(await shadows.updateThingShadow('lamp', undefined, json({ state: null })));
    assert.deepEqual(accepted, { state: null, metadata: {}, version: 2, timestamp: S0 });
    assert.deepEqual(parse(await shadows.getThingShadow('lamp')), { state: {}, metadata: {}, version: 2, timestamp: S0 });
  });

  test('shadow - concurrent updates of one shadow lose nothing and publish in version order', async () => {
    shadows = make({ maxInFlightPerThing: 0 });
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      shadows.updateThingShadow('lamp', undefined, json({ state: { reported: { [`k${i}`]: i } } }))));
    assert.deepEqual(answers.map((a) => parse(a).version).sort((a, b) => Number(a) - Number(b)), Array.from({ length: 40 }, (_, i) => i + 1));
    const accepted = out.take().filter((m) => m.topic.endsWith('/update/accepted')).map((m) => m.body.version);
    assert.deepEqual(accepted, Array.from({ length: 40 }, (_, i) => i + 1), 'messages leave in version order');
    const got = parse(await shadows.getThingShadow('lamp'));
    assert.equal(got.version, 40);
    assert.equal(Object.keys((got.state as { reported: object }).reported).length, 40, 'no lost update');
  });

  test('shadow - concurrent updates naming the same version: exactly one wins, the others get 409', async () => {
    shadows = make({ maxInFlightPerThing: 0 });
    await shadows.updateThingShadow('lamp', undefined, json({ state: { desired: { v: 0 } } }));
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) =>
      shadows.updateThingShadow('lamp', undefined, json({ state: { desired: { v: i } }, version: 1 }))));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.ok(isTopicdError(r.reason) && r.reason.code === 'ConflictException' && r.reason.status === 409);
    assert.equal(parse(await shadows.getThingShadow('lamp')).version, 2);
  });

  test('shadow - AWS: more requests in flight for one thing than the limit are refused 429; other things are not held up', async () => {
    shadows = make({ maxInFlightPerThing: 2 });
    const update = (thing: string): Promise<Buffer> => shadows.updateThingShadow(thing, undefined, json({ state: { reported: { a: 1 } } }));
    const results = await Promise.allSettled([update('lamp'), update('lamp'), update('lamp'), update('other')]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const refused = (results[2] as PromiseRejectedResult).reason as { code: string; status: number };
    assert.deepEqual([refused.code, refused.status], ['ThrottlingException', 429]);
    await update('lamp');
  });

  test('shadow - AWS: requests per second per thing over the quota are refused 429 (MQTT: on /rejected)', async () => {
    shadows = make({ requestsPerSecondPerThing: 2 });
    for (let i = 0; i < 3; i++) await shadows.handlePublish(`${P}/update`, json({ state: { reported: { i } }, clientToken: `t${i}` }), 'dev');
    assert.deepEqual(out.take().filter((m) => m.to === 'dev'), [{ to: 'dev', topic: `${P}/update/rejected`, body: { code: 429, message: 'Too Many Requests', timestamp: S0, clientToken: 't2' } }]);
    clock += 1000;
    await shadows.handlePublish(`${P}/update`, json({ state: { reported: { i: 3 } } }), 'dev');
    assert.equal(out.take()[0]?.body.version, 3);
  });

  test('shadow - AWS: 413 when the merged state would pass 8 KB, though the request alone does not', async () => {
    await shadows.handlePublish(`${P}/update`, json({ state: { reported: { a: 'x'.repeat(5000) } } }), 'dev');
    assert.equal(out.take()[0]?.topic, `${P}/update/accepted`);
    await shadows.handlePublish(`${P}/update`, json({ state: { reported: { b: 'y'.repeat(5000) } }, clientToken: 'big' }), 'dev');
    assert.deepEqual(out.take(), [{ to: 'dev', topic: `${P}/update/rejected`, body: { code: 413, message: 'The payload exceeds the maximum size allowed', timestamp: S0, clientToken: 'big' } }]);
    assert.equal(parse(await shadows.getThingShadow('lamp')).version, 1, 'nothing written');
  });

  test('shadow - AWS: 400 and 415 documents over MQTT', async () => {
    await shadows.handlePublish(`${P}/update`, json({ state: { desired: 'on' }, clientToken: 'x' }), 'dev');
    await shadows.handlePublish(`${P}/update`, Buffer.from([0xc3, 0x28]), 'dev');
    assert.deepEqual(out.take(), [
      { to: 'dev', topic: `${P}/update/rejected`, body: { code: 400, message: 'Desired node must be an object', timestamp: S0, clientToken: 'x' } },
      { to: 'dev', topic: `${P}/update/rejected`, body: { code: 415, message: 'Unsupported documented encoding; supported encoding is UTF-8', timestamp: S0 } },
    ]);
  });

  test('shadow - AWS: a store that fails is 500 Internal service failure, on /rejected and as the REST error', async () => {
    await store.close();
    await shadows.handlePublish(`${P}/update`, json({ state: { reported: { a: 1 } }, clientToken: 'z' }), 'dev');
    assert.deepEqual(out.sent, [{ to: 'dev', topic: `${P}/update/rejected`, body: { code: 500, message: 'Internal service failure', timestamp: S0, clientToken: 'z' } }]);
    await assert.rejects(shadows.getThingShadow('lamp'), (err: unknown) => isTopicdError(err) && err.code === 'InternalFailureException' && err.status === 500);
    store = SqliteStore.open(path);
  });

  test('shadow - REST: errors are the HTTP answer and nothing is published; names are checked', async () => {
    const refused = async (p: Promise<unknown>, code: string, status: number, message?: RegExp): Promise<void> =>
      assert.rejects(p, (err: unknown) => isTopicdError(err) && err.code === code && err.status === status && (message === undefined || message.test(err.message)));
    await refused(shadows.getThingShadow('lamp', 'cfg'), 'ResourceNotFoundException', 404, /^No shadow exists with name: 'cfg'$/);
    await refused(shadows.updateThingShadow('lamp', undefined, Buffer.from('{')), 'InvalidRequestException', 400, /^Invalid JSON$/);
    await refused(shadows.deleteThingShadow('lamp'), 'ResourceNotFoundException', 404);
    await refused(shadows.getThingShadow('bad name'), 'InvalidRequestException', 400);
    await refused(shadows.getThingShadow('lamp', 'bad/name'), 'InvalidRequestException', 400);
    assert.deepEqual(out.sent, []);
  });

  test('shadow - REST: an update publishes accepted, delta and documents as MQTT does; shadows exist for unregistered names', async () => {
    const body = parse(await shadows.updateThingShadow('never-registered', 'cfg', json({ state: { desired: { a: 1 } }, clientToken: 'r' })));
    assert.deepEqual(body, { state: { desired: { a: 1 } }, metadata: { desired: { a: { timestamp: S0 } } }, version: 1, timestamp: S0, clientToken: 'r' });
    const prefix = '$aws/things/never-registered/shadow/name/cfg/update';
    assert.deepEqual(out.take().map((m) => [m.to, m.topic]), [['*', `${prefix}/accepted`], ['*', `${prefix}/delta`], ['*', `${prefix}/documents`]]);
    assert.deepEqual(parse(await shadows.getThingShadow('never-registered', 'cfg')).state, { desired: { a: 1 }, delta: { a: 1 } });
    await assert.rejects(shadows.getThingShadow('never-registered', ''), /^ShadowError: No shadow exists with name: 'never-registered'$/, 'the name \'\' is the classic shadow');
  });

  test('shadow - REST: ListNamedShadowsForThing lists named shadows by name, paged; classic left out; unknown thing empty', async () => {
    for (const name of ['c', 'a', 'b']) await shadows.updateThingShadow('lamp', name, json({ state: { reported: { x: 1 } } }));
    await shadows.updateThingShadow('lamp', undefined, json({ state: { reported: { x: 1 } } }));
    await shadows.deleteThingShadow('lamp', 'b');
    const first = await shadows.listNamedShadowsForThing('lamp', { pageSize: 1 });
    assert.deepEqual([first.results, first.timestamp], [['a'], S0]);
    assert.equal(typeof first.nextToken, 'string');
    assert.deepEqual(await shadows.listNamedShadowsForThing('lamp', { pageSize: 1, nextToken: first.nextToken }), { results: ['c'], timestamp: S0 });
    assert.deepEqual(await shadows.listNamedShadowsForThing('nobody'), { results: [], timestamp: S0 });
    for (const pageSize of [0, 101, 1.5]) {
      await assert.rejects(shadows.listNamedShadowsForThing('lamp', { pageSize }), (err: unknown) => isTopicdError(err) && err.code === 'InvalidRequestException');
    }
    await assert.rejects(shadows.listNamedShadowsForThing('lamp', { nextToken: 'junk' }), (err: unknown) => isTopicdError(err) && err.code === 'InvalidRequestException');
  });

  test('shadow - topics that are not shadow requests (response topics, others) are ignored', async () => {
    for (const topic of [`${P}/update/accepted`, `${P}/get/rejected`, '$aws/things/lamp/jobs/get', 'a/b']) {
      await shadows.handlePublish(topic, json({ state: { reported: { a: 1 } } }), 'dev');
    }
    assert.deepEqual(out.sent, []);
  });

  test('shadow - describeShadow (the console): the live document, version and last write time; none for a deleted shadow; not held to the request quota', async () => {
    shadows = make({ requestsPerSecondPerThing: 1 });
    assert.equal(await shadows.describeShadow('lamp'), undefined);
    await shadows.updateThingShadow('lamp', 'cfg', json({ state: { desired: { on: true }, reported: { on: false } } }));
    clock += 1000;
    await shadows.updateThingShadow('lamp', 'cfg', json({ state: { reported: { level: 3 } } }));
    // The quota of this second is spent: a device's request would get 429, the console's read does not.
    await assert.rejects(shadows.getThingShadow('lamp', 'cfg'), (err: unknown) => isTopicdError(err) && err.code === 'ThrottlingException');
    const read = await shadows.describeShadow('lamp', 'cfg');
    assert.ok(read);
    assert.deepEqual([read.version, read.updatedAt], [2, T0 + 1000]);
    assert.deepEqual(parse(read.document).state, { desired: { on: true }, reported: { on: false, level: 3 }, delta: { on: true } });
    assert.equal(await shadows.describeShadow('lamp'), undefined, 'the classic shadow is another document');
    clock += 1000;
    await shadows.deleteThingShadow('lamp', 'cfg');
    assert.equal(await shadows.describeShadow('lamp', 'cfg'), undefined);
    await assert.rejects(shadows.describeShadow('no such thing!'), (err: unknown) => isTopicdError(err) && err.code === 'InvalidRequestException');
  });

  test('shadow - documents outlive the store: closed and reopened, document and version are intact', async () => {
    await shadows.updateThingShadow('lamp', undefined, json({ state: { reported: { kept: true } } }));
    await store.close();
    store = SqliteStore.open(path);
    shadows = make();
    const got = parse(await shadows.getThingShadow('lamp'));
    assert.deepEqual([got.state, got.version], [{ reported: { kept: true } }, 1]);
  });
});
