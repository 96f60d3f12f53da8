/**
 * @module test/unit/store-postgres-server.test
 * What only a PostgresStore has: migrations recorded in the schema, several stores (nodes) sharing
 * one schema at once, and a server that goes away: killed connections, a server that stops
 * answering, one that cannot be reached (through a proxy the test cuts; the machine's PostgreSQL
 * itself is never stopped). Every case uses schemas of its own, dropped after the run.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, describe, test } from 'node:test';
import { isStoreUnavailable } from '../../src/errors.js';
import { MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { openPostgresStore, type PostgresStore, type PostgresStoreOptions } from '../../src/store/postgres/postgres-store.js';
import type { RetainedRow } from '../../src/store/store.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { PG_URL, admin, dropSchemas, freshSchema } from './pg-schemas.js';

after(dropSchemas);
const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
const open = (schema: string, more: Partial<PostgresStoreOptions> = {}): Promise<PostgresStore> =>
  openPostgresStore({ url: PG_URL, schema, onError: () => undefined, ...more });
const row = (topic: string): RetainedRow => ({ topic, payload: Buffer.from(topic), qos: 0, properties: null, updatedAt: 1 });
const versions = (schema: string): Promise<number[]> => admin(async (c) =>
  (await c.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`)).rows.map((r) => r.version));

/** A task's outcome as a promise. */
function durableOf(store: PostgresStore): Promise<boolean> {
  return new Promise((resolve) => store.afterDurable((_: undefined, durable) => resolve(durable), undefined));
}

describe('PostgresStore - migrations', () => {
  test('postgres - a new schema is made with every migration, each recorded once in schema_migrations', async () => {
    const schema = freshSchema();
    await (await open(schema)).close();
    await (await open(schema)).close();
    assert.deepEqual(await versions(schema), MIGRATIONS.map((m) => m.version));
    const tables = await admin(async (c) => (await c.query<{ tablename: string }>(
      'SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename', [schema])).rows.map((r) => r.tablename));
    assert.deepEqual(tables, ['access_keys', 'ca_certificates', 'certificates', 'meta', 'node_connections', 'node_leases', 'pending_wills', 'policies', 'policy_targets',
      'policy_versions', 'retained', 'schema_migrations', 'session_messages', 'session_releases', 'session_subscriptions', 'sessions', 'shadows',
      'thing_principals', 'thing_types', 'things']);
  });

  test('postgres - nodes opening one new schema at once take turns on the migrations (advisory lock)', async () => {
    const schema = freshSchema();
    const stores = await Promise.all([open(schema), open(schema), open(schema)]);
    await Promise.all(stores.map((s) => s.close()));
    assert.deepEqual(await versions(schema), MIGRATIONS.map((m) => m.version));
  });

  test('postgres - a schema from a newer topicd is refused, not misread', async () => {
    const schema = freshSchema();
    await (await open(schema)).close();
    await admin((c) => c.query(`INSERT INTO ${schema}.schema_migrations (version) VALUES ($1)`, [latest + 1]));
    await assert.rejects(open(schema), /schema version \d+, newer than this topicd knows/);
  });

  test('postgres - a migration that fails leaves nothing of itself', async () => {
    const schema = freshSchema();
    await admin((c) => c.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.retained (x integer)`));
    await assert.rejects(open(schema), /already exists/);
    assert.deepEqual(await versions(schema), []);
    const tables = await admin(async (c) => (await c.query<{ tablename: string }>(
      'SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename', [schema])).rows.map((r) => r.tablename));
    assert.deepEqual(tables, ['retained', 'schema_migrations']);
  });

  test('postgres - migration numbers increase', () => {
    MIGRATIONS.forEach((m, i) => assert.ok(i === 0 || m.version > (MIGRATIONS[i - 1]?.version ?? 0)));
  });

  test('postgres - schemas keep stores apart; ?schema= in the URL picks one; a schema name that would need quoting is refused', async () => {
    const [a, b] = [freshSchema(), freshSchema()];
    const one = await openPostgresStore({ url: `${PG_URL}?schema=${a}`, onError: () => undefined });
    const two = await open(b);
    try {
      assert.equal(one.schema, a);
      await one.meta.set('who', 'one');
      assert.equal(await two.meta.get('who'), undefined);
    } finally {
      await one.close();
      await two.close();
    }
    for (const bad of ['Upper', 'a-b', 'pg_mine', 'x;drop', '']) {
      await assert.rejects(openPostgresStore({ url: PG_URL, schema: bad }), TypeError, bad);
    }
  });
});

describe('PostgresStore - values', () => {
  test('postgres - text PostgreSQL cannot hold (U+0000) rejects the write, and only that one', async () => {
    const store = await open(freshSchema());
    try {
      const bad = store.meta.set('k', 'a\u0000b');
      const good = store.meta.set('k2', 'quote \' backslash \\ dollar $1 ; -- done');
      await assert.rejects(bad, TypeError);
      await good;
      assert.equal(await store.meta.get('k2'), 'quote \' backslash \\ dollar $1 ; -- done');
    } finally {
      await store.close();
    }
  });
});

describe('PostgresStore - nodes sharing a schema', () => {
  test('postgres - node leases: an expired node\'s connections go to exactly one of the stores that look at once; a renewed or released one\'s to none', async () => {
    const schema = freshSchema();
    const [a, b, c] = [await open(schema), await open(schema), await open(schema)];
    try {
      await a.leases.renew('dead', 1000);
      await a.leases.renew('alive', 10_000);
      await a.leases.renew('stopped', 1000);
      for (const id of ['s1', 's2']) await a.leases.putConnection({ node: 'dead', sessionId: id, record: `{"id":"${id}"}` });
      await a.leases.putConnection({ node: 'dead', sessionId: 'gone', record: '{}' });
      await a.leases.deleteConnection('dead', 'gone');
      await a.leases.putConnection({ node: 'alive', sessionId: 's3', record: '{}' });
      await a.leases.putConnection({ node: 'stopped', sessionId: 's4', record: '{}' });
      await a.leases.release('stopped');
      const taken = await Promise.all([b.leases.takeExpired(5000), c.leases.takeExpired(5000)]);
      assert.deepEqual(taken.flat().map((r) => `${r.node}/${r.sessionId}/${r.record}`).sort(), ['dead/s1/{"id":"s1"}', 'dead/s2/{"id":"s2"}']);
      assert.deepEqual(await b.leases.takeExpired(5000), [], 'taken once');
      assert.deepEqual((await c.leases.takeExpired(20_000)).map((r) => r.sessionId), ['s3'], 'alive until its lease runs out');
    } finally {
      await a.close();
      await b.close();
      await c.close();
    }
  });

  test('postgres - concurrent attaches from two stores never pass the target\'s limit', async () => {
    const schema = freshSchema();
    const [a, b] = [await open(schema), await open(schema)];
    try {
      const names = Array.from({ length: 10 }, (_, i) => `p${i}`);
      for (const name of names) {
        await a.policies.insert({ policyName: name, defaultVersionId: '1', lastVersion: 1, generationId: 'g', creationDate: 1, lastModifiedDate: 1 },
          { policyName: name, versionId: '1', document: '{}', creationDate: 1 });
      }
      for (let round = 0; round < 5; round++) {
        const target = `arn:target/${round}`;
        const results = await Promise.all(names.map((name, i) => (i % 2 === 0 ? a : b).policies.attach(name, target, 3)));
        assert.equal(results.filter((r) => r === 'attached').length, 3, results.join(','));
        assert.equal(results.filter((r) => r === 'limit').length, 7);
        assert.equal(await a.policies.countPoliciesOf(target), 3);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('postgres - of two stores updating a thing from the same version, one wins', async () => {
    const schema = freshSchema();
    const [a, b] = [await open(schema), await open(schema)];
    try {
      const thing = { thingName: 't', thingId: 'i', thingTypeName: null, attributes: {}, version: 1, creationDate: 1 };
      await a.things.insert(thing);
      for (let version = 1; version <= 5; version++) {
        const won = await Promise.all([a, b].map((s, i) => s.things.update({ ...thing, version: version + 1, attributes: { by: String(i) } }, version)));
        assert.equal(won.filter(Boolean).length, 1, `version ${version}`);
      }
      assert.equal((await b.things.get('t'))?.version, 6);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('postgres - an attach racing a delete of its policy never leaves an attachment without its policy', async () => {
    const schema = freshSchema();
    const [a, b] = [await open(schema), await open(schema)];
    try {
      for (let round = 0; round < 5; round++) {
        const name = `p${round}`;
        await a.policies.insert({ policyName: name, defaultVersionId: '1', lastVersion: 1, generationId: 'g', creationDate: 1, lastModifiedDate: 1 },
          { policyName: name, versionId: '1', document: '{}', creationDate: 1 });
        const [deleted, attached] = await Promise.all([a.policies.delete(name, 'g'), b.policies.attach(name, 'arn:t', 10)]);
        assert.ok(deleted !== (attached === 'attached'), `deleted ${deleted}, attach ${attached}`);
        assert.equal((await a.policies.get(name)) === undefined, deleted);
      }
      const orphans = await admin(async (c) => (await c.query(
        `SELECT 1 FROM ${schema}.policy_targets t WHERE NOT EXISTS (SELECT 1 FROM ${schema}.policies p WHERE p.policy_name = t.policy_name)`)).rowCount);
      assert.equal(orphans, 0);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('PostgresStore - PostgreSQL unavailable', () => {
  test('postgres - a store pointed where nothing listens does not open: StoreUnavailable', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
      });
    });
    await assert.rejects(openPostgresStore({ url: `postgres://postgres@127.0.0.1:${port}/test`, schema: freshSchema() }), isStoreUnavailable);
  });

  test('postgres - the write connection killed mid-batch: its writes reject StoreUnavailable, tasks get false, then the store recovers', async () => {
    const schema = freshSchema();
    const applicationName = `topicd-test-${schema}`;
    const store = await open(schema, { applicationName });
    try {
      await store.retained.put(row('warm'));
      await admin(async (locker) => {
        // Hold the table, so that the turn's batch is in flight (waiting on the lock) when its connection is killed.
        await locker.query(`BEGIN; LOCK TABLE ${schema}.retained IN ACCESS EXCLUSIVE MODE`);
        const lost = assert.rejects(store.retained.put(row('lost')), isStoreUnavailable);
        const lostTask = durableOf(store);
        await waitFor(async () => (await locker.query(
          "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [applicationName])).rowCount === 1);
        // Queued while the doomed batch is in flight: it may acknowledge the doomed writes, so it must not.
        const next = store.retained.put(row('next'));
        const nextTask = durableOf(store);
        await locker.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = \'Lock\'', [applicationName]);
        await lost;
        assert.equal(await lostTask, false);
        await locker.query('ROLLBACK');
        await next;
        assert.equal(await nextTask, false);
      });
      await store.retained.put(row('after'));
      const afterTask = durableOf(store);
      assert.equal(await afterTask, true);
      assert.deepEqual((await store.retained.all()).map((r) => r.topic), ['after', 'next', 'warm']);
    } finally {
      await store.close();
    }
  });

  test('postgres - a batch that does not commit within writeTimeoutMs rejects StoreUnavailable instead of hanging', async () => {
    const schema = freshSchema();
    const store = await open(schema, { writeTimeoutMs: 300 });
    try {
      await store.retained.put(row('warm'));
      await admin(async (locker) => {
        await locker.query(`BEGIN; LOCK TABLE ${schema}.retained IN ACCESS EXCLUSIVE MODE`);
        const started = Date.now();
        const stuck = store.retained.put(row('stuck'));
        const task = durableOf(store);
        await assert.rejects(stuck, (err) => isStoreUnavailable(err) && /within 300 ms/.test(err.message));
        assert.equal(await task, false);
        assert.ok(Date.now() - started < 3_000);
        await locker.query('ROLLBACK');
      });
      await store.retained.put(row('after'));
      assert.equal((await store.retained.get('after'))?.topic, 'after');
    } finally {
      await store.close();
    }
  });

  test('postgres - server unreachable: writes and reads reject StoreUnavailable at once, tasks get false; reachable again: it works without reopening', async () => {
    const target = new URL(PG_URL);
    const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const port = await proxy.up();
    target.port = String(port);
    const store = await openPostgresStore({ url: target.toString(), schema: freshSchema(), onError: () => undefined, connectTimeoutMs: 2_000 });
    try {
      await store.retained.put(row('before'));
      assert.equal((await store.retained.get('before'))?.topic, 'before');
      await proxy.down();
      const started = Date.now();
      const write = store.retained.put(row('down'));
      const task = durableOf(store);
      await assert.rejects(write, isStoreUnavailable);
      assert.equal(await task, false);
      await assert.rejects(store.retained.get('before'), isStoreUnavailable);
      await assert.rejects(store.sessions.all(), isStoreUnavailable);
      assert.ok(Date.now() - started < 5_000, `failed in ${Date.now() - started} ms`);
      await proxy.up();
      await store.retained.put(row('up'));
      assert.equal(await durableOf(store), true);
      assert.deepEqual((await store.retained.all()).map((r) => r.topic), ['before', 'up']);
    } finally {
      await store.close();
      await proxy.down();
    }
  });
});

async function waitFor(done: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
