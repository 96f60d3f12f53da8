/**
 * Readiness failing for real: `GET /readyz` over HTTP on a running topicd answers 503 with a JSON body
 * naming what is not ready, when its SQLite database is locked by another writer (the store cannot
 * commit), and when a part registered later (as a bus between nodes will) says it is not connected;
 * and 200 again once each recovers. /metrics answers loopback peers only.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../../src/config/data-files.js';
import { isLoopback } from '../../src/observe/routes.js';
import { startTestTopicd, type TestTopicd } from '../helpers/topicd.js';

interface ReadyBody {
  status: string;
  notReady?: string[];
  checks: Record<string, { ready: boolean; reason?: string }>;
}

describe('readiness - /readyz says what is not ready', () => {
  let topicd: TestTopicd;
  const readyz = async (): Promise<{ status: number; body: ReadyBody }> => {
    const res = await fetch(`${topicd.running.controlUrl}/readyz`);
    return { status: res.status, body: await res.json() as ReadyBody };
  };

  before(async () => {
    topicd = await startTestTopicd();
  });

  after(async () => {
    await topicd.stop();
  });

  it('readiness - a database locked by another writer makes the store not ready (503), then ready again', async () => {
    assert.equal((await readyz()).status, 200);
    const other = new Database(join(topicd.dataDir, DATABASE_FILE));
    try {
      other.pragma('busy_timeout = 0');
      other.exec('BEGIN EXCLUSIVE');
      // topicd waits its busy timeout (5 s) for the lock, then gives up: the store is not writable.
      const locked = await readyz();
      assert.equal(locked.status, 503, JSON.stringify(locked.body));
      assert.equal(locked.body.status, 'not ready');
      assert.deepEqual(locked.body.notReady, ['store']);
      assert.equal(locked.body.checks.store?.ready, false);
      assert.match(locked.body.checks.store?.reason ?? '', /locked|busy/i);
      assert.equal(locked.body.checks.listeners?.ready, true);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    assert.equal((await readyz()).status, 200);
  });

  it('readiness - a check registered later (a bus) that is not connected makes the node not ready', async () => {
    let connected = false;
    const remove = topicd.running.readiness.register('bus', () => connected || 'not connected to NATS');
    try {
      const down = await readyz();
      assert.equal(down.status, 503);
      assert.deepEqual(down.body.notReady, ['bus']);
      assert.deepEqual(down.body.checks.bus, { ready: false, reason: 'not connected to NATS' });
      connected = true;
      const up = await readyz();
      assert.equal(up.status, 200);
      assert.deepEqual(up.body.checks.bus, { ready: true });
    } finally {
      remove();
    }
    assert.deepEqual(Object.keys((await readyz()).body.checks).sort(), ['listeners', 'store']);
  });

  it('readiness - /healthz answers 200 while the node serves', async () => {
    const res = await fetch(`${topicd.running.controlUrl}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('metrics - /metrics is served to loopback peers only', async () => {
    assert.equal((await fetch(`${topicd.running.controlUrl}/metrics`)).status, 200);
    assert.deepEqual(['127.0.0.1', '::1', '::ffff:127.0.0.1', '127.1.2.3'].map(isLoopback), [true, true, true, true]);
    assert.deepEqual(['10.0.0.1', '::ffff:10.0.0.1', '192.168.1.127', 'fe80::1', undefined].map(isLoopback), [false, false, false, false, false]);
  });
});
