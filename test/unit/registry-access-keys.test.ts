/**
 * @module test/unit/registry-access-keys.test
 * The first-start identity: the admin access key with its shared-credentials file, and the account id.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { isTopicdError } from '../../src/errors.js';
import { accountIdFor, ensureAdminCredentials } from '../../src/registry/access-keys.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';

const root = mkdtempSync(join(tmpdir(), 'topicd-keys-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

describe('registry - admin credentials', () => {
  let store: Store;
  let dataDir: string;
  beforeEach(() => {
    dataDir = join(root, `data-${++n}`);
    store = SqliteStore.open(join(root, `keys-${n}.db`));
  });
  afterEach(async () => { await store.close(); });

  test('credentials - the first call makes an AWS-shaped key, stores it and writes a 0600 shared-credentials file', async () => {
    const creds = await ensureAdminCredentials(store, dataDir);
    assert.match(creds.accessKeyId, /^AKIA[A-Z0-9]{16}$/);
    assert.match(creds.secretAccessKey, /^[A-Za-z0-9+/]{40}$/);
    assert.equal(creds.path, join(dataDir, 'credentials'));
    assert.equal(readFileSync(creds.path, 'utf8'),
      `[default]\naws_access_key_id = ${creds.accessKeyId}\naws_secret_access_key = ${creds.secretAccessKey}\n`);
    assert.equal(statSync(creds.path).mode & 0o777, 0o600);
    const stored = await store.accessKeys.get(creds.accessKeyId);
    assert.equal(stored?.secretAccessKey, creds.secretAccessKey);
    assert.ok(stored && Math.abs(stored.createdAt - Date.now()) < 60_000);
    assert.equal((await store.accessKeys.list()).length, 1);
  });

  test('credentials - later calls reuse the stored key', async () => {
    const first = await ensureAdminCredentials(store, dataDir);
    const second = await ensureAdminCredentials(store, dataDir);
    assert.deepEqual(second, first);
    assert.equal((await store.accessKeys.list()).length, 1);
  });

  test('credentials - a missing, altered or too readable file is written again, mode 0600', async () => {
    const creds = await ensureAdminCredentials(store, dataDir);
    const expected = readFileSync(creds.path, 'utf8');
    unlinkSync(creds.path);
    await ensureAdminCredentials(store, dataDir);
    assert.equal(readFileSync(creds.path, 'utf8'), expected);
    writeFileSync(creds.path, '[default]\naws_access_key_id = AKIASTALE\n');
    chmodSync(creds.path, 0o644);
    assert.deepEqual(await ensureAdminCredentials(store, dataDir), creds);
    assert.equal(readFileSync(creds.path, 'utf8'), expected);
    assert.equal(statSync(creds.path).mode & 0o777, 0o600);
  });

  test('credentials - a new key is made when the stored one was deleted', async () => {
    const first = await ensureAdminCredentials(store, dataDir);
    await store.accessKeys.delete(first.accessKeyId);
    const second = await ensureAdminCredentials(store, dataDir);
    assert.notEqual(second.accessKeyId, first.accessKeyId);
    assert.match(readFileSync(second.path, 'utf8'), new RegExp(second.accessKeyId));
  });

  test('credentials - two keys are different', async () => {
    const other = SqliteStore.open(join(root, `keys-other-${n}.db`));
    try {
      const a = await ensureAdminCredentials(store, dataDir);
      const b = await ensureAdminCredentials(other, join(root, `data-other-${n}`));
      assert.notEqual(a.accessKeyId, b.accessKeyId);
      assert.notEqual(a.secretAccessKey, b.secretAccessKey);
    } finally {
      await other.close();
    }
  });

  test('account id - the configured one wins and must be 12 digits', async () => {
    assert.equal(await accountIdFor(store, '000011112222'), '000011112222');
    assert.equal(await store.meta.get('accountId'), undefined);
    await assert.rejects(accountIdFor(store, '1234'), (err: unknown) => isTopicdError(err) && err.code === 'InvalidRequestException');
  });

  test('account id - without one configured, a random 12-digit id is made once and kept', async () => {
    const first = await accountIdFor(store);
    assert.match(first, /^[1-9]\d{11}$/);
    assert.equal(await accountIdFor(store), first);
    assert.equal(await store.meta.get('accountId'), first);
    const other = SqliteStore.open(join(root, `account-other-${n}.db`));
    try {
      assert.notEqual(await accountIdFor(other), first);
    } finally {
      await other.close();
    }
  });
});
