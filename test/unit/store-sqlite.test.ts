/**
 * @module test/unit/store-sqlite.test
 * SqliteStore against the Store contract, plus what only a file database has: WAL, migrations,
 * durability across reopen.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { storeContract } from './store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'topicd-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => join(dir, `store-${++n}.db`);

storeContract('SqliteStore', async () => SqliteStore.open(freshPath()));

describe('SqliteStore - file database', () => {
  const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

  test('sqlite - the writes of one event-loop turn commit together at its end, before the turn\'s sockets flush', async () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    const other = new Database(path, { readonly: true });
    try {
      const seen = (): number => other.prepare<[], { n: number }>('SELECT count(*) AS n FROM retained').get()?.n ?? 0;
      const order: string[] = [];
      const writes = [0, 1, 2].map((i) => store.retained.put({ topic: `batch/${i}`, payload: Buffer.from('x'), qos: 0, properties: null, updatedAt: i })
        .then(() => order.push(`write ${i} settles, another connection sees ${seen()}`)));
      // Another connection sees nothing yet: the turn's transaction is still open...
      assert.equal(seen(), 0);
      // ...while the store itself reads its own writes.
      assert.equal((await store.retained.all()).length, 3);
      store.afterDurable((_: undefined, durable) => order.push(`network task (durable ${durable}) sees ${seen()}`), undefined);
      await Promise.all(writes);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(order, [
        'network task (durable true) sees 3',
        'write 0 settles, another connection sees 3', 'write 1 settles, another connection sees 3', 'write 2 settles, another connection sees 3',
      ], 'committed before the network phase and before any write promise settles');
      assert.equal(seen(), 3);
    } finally {
      other.close();
      await store.close();
    }
  });

  test('sqlite - close commits the open turn\'s writes', async () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    await store.meta.set('k', 'v');
    await store.close();
    const reopened = SqliteStore.open(path);
    assert.equal(await reopened.meta.get('k'), 'v');
    await reopened.close();
  });

  test('sqlite - migrations are numbered from 1, in increasing order (numbers may skip: branches reserve theirs)', () => {
    assert.equal(MIGRATIONS[0]?.version, 1);
    MIGRATIONS.forEach((m, i) => { if (i > 0) assert.ok(m.version > MIGRATIONS[i - 1]!.version, `migration ${m.version}`); });
  });

  test('sqlite - a database at version 3 (an earlier topicd) takes every later migration, and its admin key is marked', async () => {
    const path = freshPath();
    const db = new Database(path);
    try {
      for (const m of MIGRATIONS.filter((x) => x.version <= 3)) db.exec(m.sql);
      db.pragma('user_version = 3');
      db.prepare("INSERT INTO meta (key, value) VALUES ('adminAccessKeyId', 'AKIAADMIN')").run();
      db.prepare("INSERT INTO access_keys VALUES ('AKIAADMIN', 's1', 1), ('AKIAOTHER', 's2', 2)").run();
    } finally {
      db.close();
    }
    const store = SqliteStore.open(path);
    try {
      assert.deepEqual((await store.accessKeys.list()).map((k) => [k.accessKeyId, k.isAdmin]), [['AKIAADMIN', true], ['AKIAOTHER', false]]);
      assert.deepEqual((await store.thingTypes.list({ limit: 1 })).items, []);
    } finally {
      await store.close();
    }
    const check = new Database(path, { readonly: true });
    try {
      assert.equal(check.pragma('user_version', { simple: true }), latest);
    } finally {
      check.close();
    }
  });

  test('sqlite - opens in WAL mode with every migration applied and the tables made', async () => {
    const path = freshPath();
    const store = SqliteStore.open(path);
    await store.close();
    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.pragma('user_version', { simple: true }), latest);
      const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => r.name);
      assert.deepEqual(tables, ['access_keys', 'ca_certificates', 'certificates', 'meta', 'pending_wills', 'policies', 'policy_targets', 'policy_versions', 'retained', 'session_messages', 'session_releases', 'session_subscriptions', 'sessions', 'thing_principals', 'thing_types', 'things']);
    } finally {
      db.close();
    }
  });

  test('sqlite - data survives close and reopen; reopening applies nothing twice', async () => {
    const path = freshPath();
    let store = SqliteStore.open(path);
    await store.meta.set('accountId', '123456789012');
    await store.things.insert({ thingName: 't', thingId: 'i', thingTypeName: null, attributes: { a: 'b' }, version: 1, creationDate: 5 });
    await store.close();
    store = SqliteStore.open(path);
    try {
      assert.equal(await store.meta.get('accountId'), '123456789012');
      assert.deepEqual((await store.things.get('t'))?.attributes, { a: 'b' });
    } finally {
      await store.close();
    }
  });

  test('sqlite - close twice is harmless', async () => {
    const store = SqliteStore.open(freshPath());
    await store.close();
    await store.close();
  });

  test('sqlite - a database from a newer topicd is refused, not misread', async () => {
    const path = freshPath();
    await SqliteStore.open(path).close();
    const db = new Database(path);
    db.pragma(`user_version = ${latest + 1}`);
    db.close();
    assert.throws(() => SqliteStore.open(path), /schema version \d+, newer than this topicd knows/);
  });

  test('sqlite - a half-applied migration rolls back', () => {
    const path = freshPath();
    const db = new Database(path);
    try {
      // A table migration 1 creates already exists: its transaction must fail as a whole.
      db.exec('CREATE TABLE access_keys (x)');
      assert.throws(() => SqliteStore.open(path), /already exists/);
      assert.equal(db.pragma('user_version', { simple: true }), 0);
      const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => r.name);
      assert.deepEqual(tables, ['access_keys']);
    } finally {
      db.close();
    }
  });
});
