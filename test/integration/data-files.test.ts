/**
 * Files holding secrets (issue 10, defect 6): 0600 whatever the data dir's mode, and access key secrets
 * stored sealed, so a copy of the database alone does not give them away; an old database with plain
 * secrets is migrated (migration 30) and its keys still sign requests.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { CreateThingCommand, IoTClient, ListThingsCommand } from '@aws-sdk/client-iot';
import { loadConfig } from '../../src/config/config.js';
import { startTopicd, type RunningTopicd } from '../../src/main.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { readCredentials } from '../helpers/topicd.js';

/** The files that hold a secret, or (runtime.json) say where to reach topicd with one. */
const PRIVATE_FILES = [
  'topicd.db', 'topicd.db-wal', 'topicd.db-shm', 'secrets.key', 'credentials', 'root-CA.key', 'server.private.pem.key', 'runtime.json',
];

const modeOf = (path: string): string => (statSync(path).mode & 0o777).toString(8).padStart(4, '0');

function start(dataDir: string): Promise<RunningTopicd> {
  return startTopicd(loadConfig({
    env: {},
    flags: { dataDir, httpsPort: 0, mqttPort: 0, alpnPort: 0, controlPort: 0, logLevel: 'error' },
  }));
}

function adminClient(running: RunningTopicd): IoTClient {
  return new IoTClient({
    endpoint: running.controlUrl, region: running.config.region, credentials: readCredentials(running.credentialsPath), maxAttempts: 1,
  });
}

/** The bytes of the database and of its WAL, as a copy of them would hold. */
function databaseBytes(dataDir: string): Buffer {
  const files = ['topicd.db', 'topicd.db-wal'].map((f) => join(dataDir, f)).filter((f) => existsSync(f));
  return Buffer.concat(files.map((f) => readFileSync(f)));
}

/** A pre-0600 database: the schema up to migration 8, plain secrets, as topicd wrote it before migration 30. */
function writeOldDatabase(path: string, keys: Array<{ id: string; secret: string; admin: boolean }>): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  for (const m of MIGRATIONS.filter((m) => m.version <= 8)) db.exec(m.sql);
  db.pragma('user_version = 8');
  for (const key of keys) {
    db.prepare('INSERT INTO access_keys (access_key_id, secret_access_key, created_at, is_admin) VALUES (?, ?, ?, ?)')
      .run(key.id, key.secret, Date.now(), key.admin ? 1 : 0);
    if (key.admin) db.prepare("INSERT INTO meta (key, value) VALUES ('adminAccessKeyId', ?)").run(key.id);
  }
  db.close();
}

describe('data files', () => {
  it('data files - every file holding a secret is 0600 after start in a pre-existing 0755 data dir, and after a restart over 0644 files', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'topicd-files-'));
    chmodSync(dataDir, 0o755);
    try {
      let running = await start(dataDir);
      const iot = adminClient(running);
      try {
        // writes after start: SQLite's WAL and shared memory exist and have grown
        await iot.send(new CreateThingCommand({ thingName: 'modes' }));
        for (const file of PRIVATE_FILES) assert.equal(modeOf(join(dataDir, file)), '0600', file);
      } finally {
        iot.destroy();
        await running.close();
      }
      // An older topicd's files, left readable to everyone: the next start makes them private again.
      writeFileSync(join(dataDir, 'runtime.json'), '{}');
      for (const file of PRIVATE_FILES) if (existsSync(join(dataDir, file))) chmodSync(join(dataDir, file), 0o644);
      running = await start(dataDir);
      try {
        for (const file of PRIVATE_FILES) assert.equal(modeOf(join(dataDir, file)), '0600', `${file} after restart`);
        assert.equal(modeOf(dataDir), '0755', 'the data dir itself is the user\'s to set');
      } finally {
        await running.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('data files - the database (and its WAL) alone does not contain an access key\'s secret', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'topicd-files-'));
    try {
      const running = await start(dataDir);
      const { secretAccessKey } = readCredentials(running.credentialsPath);
      try {
        assert.equal(databaseBytes(dataDir).includes(Buffer.from(secretAccessKey)), false, 'while running');
      } finally {
        await running.close();
      }
      assert.equal(databaseBytes(dataDir).includes(Buffer.from(secretAccessKey)), false, 'after stop');
      // Without the key file the sealed secrets cannot be read: topicd says so rather than making a new key.
      unlinkSync(join(dataDir, 'secrets.key'));
      assert.throws(() => SqliteStore.open(join(dataDir, 'topicd.db')), /secrets\.key is missing/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('data files - migration 30: an old database\'s plain secrets are sealed on open, gone from its bytes, and still sign requests', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'topicd-files-'));
    chmodSync(dataDir, 0o755);
    const admin = { id: 'AKIAOLDADMIN00000001', secret: 'oldAdminSecretoldAdminSecretoldAdminSecr', admin: true };
    const other = { id: 'AKIAOLDOTHER00000002', secret: 'otherSecretotherSecretotherSecretotherSe', admin: false };
    try {
      writeOldDatabase(join(dataDir, 'topicd.db'), [admin, other]);
      assert.equal(readFileSync(join(dataDir, 'topicd.db')).includes(Buffer.from(admin.secret)), true, 'the old file holds the secret in plain');
      const running = await start(dataDir);
      const iot = adminClient(running);
      try {
        assert.deepEqual(readCredentials(running.credentialsPath), { accessKeyId: admin.id, secretAccessKey: admin.secret });
        // The SigV4 path gets the plain secret through the store: the migrated admin key signs.
        assert.ok(Array.isArray((await iot.send(new ListThingsCommand({}))).things));
      } finally {
        iot.destroy();
        await running.close();
      }
      const bytes = databaseBytes(dataDir);
      for (const key of [admin, other]) assert.equal(bytes.includes(Buffer.from(key.secret)), false, `${key.id} is gone from the files`);
      const store = SqliteStore.open(join(dataDir, 'topicd.db'));
      try {
        assert.equal((await store.accessKeys.get(other.id))?.secretAccessKey, other.secret);
      } finally {
        await store.close();
      }
      assert.equal(modeOf(join(dataDir, 'topicd.db')), '0600');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
