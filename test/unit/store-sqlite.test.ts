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

  // A number may be missing (one reserved by another branch): the runner applies every migration
  // above user_version in order, so only the order matters.
  test('sqlite - migrations are numbered from 1 in increasing order', () => {
    const versions = MIGRATIONS.map((m) => m.version);
    assert.equal(versions[0], 1);
    versions.slice(1).forEach((v, i) => assert.ok(v > (versions[i] ?? 0), `migration ${v} follows ${versions[i] ?? 0}`));
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
      assert.deepEqual(tables, ['access_keys', 'ca_certificates', 'certificates', 'meta', 'retained', 'session_messages', 'session_subscriptions', 'sessions', 'thing_principals', 'things']);
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
