/**
 * SIGTERM stops topicd cleanly: a request in flight finishes with 200 and its message is delivered,
 * new connections are refused, MQTT 5 clients are told 0x8B, and the process exits 0 promptly.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import mqtt from 'mqtt';
import type { RuntimeInfo } from '../../src/config/data-files.js';
import { collect } from '../helpers/topicd.js';
import { EPHEMERAL, createThingAllowingAll, spawnCli } from '../helpers/tools.js';

describe('shutdown - SIGTERM lets in-flight work finish', () => {
  const root = mkdtempSync(join(tmpdir(), 'topicd-shutdown-'));
  const dataDir = join(root, 'data');
  const deviceDir = join(root, 'device');
  after(() => rmSync(root, { recursive: true, force: true }));

  it('shutdown - an HTTPS publish in flight at SIGTERM still gets 200 and reaches the subscriber', async () => {
    const server = spawnCli(['start', '--data-dir', dataDir, ...EPHEMERAL]);
    await server.waitFor('stdout', 'topicd is ready');
    const runtime = JSON.parse(readFileSync(join(dataDir, 'runtime.json'), 'utf8')) as RuntimeInfo;
    assert.equal((await createThingAllowingAll(dataDir, 'bye', deviceDir)).code, 0);
    const tls = { ca: readFileSync(join(deviceDir, 'root-CA.pem')), cert: readFileSync(join(deviceDir, 'device.pem.crt')), key: readFileSync(join(deviceDir, 'private.pem.key')) };

    const sub = await mqtt.connectAsync(`mqtts://localhost:${runtime.mqttPort}`, { ...tls, protocolVersion: 5, reconnectPeriod: 0 });
    const got = collect(sub);
    await sub.subscribeAsync('bye/#', { qos: 1 });
    const told = new Promise<number | undefined>((resolve) => sub.once('disconnect', (p) => resolve(p.reasonCode)));

    // Send the headers and half the body, then SIGTERM, then the rest.
    const reply = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: 'localhost', port: runtime.httpsPort, path: '/topics/bye%2Fnow?qos=1', method: 'POST', headers: { 'content-length': 10 }, agent: false, ...tls }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write('hello');
      setTimeout(() => {
        server.child.kill('SIGTERM');
        setTimeout(() => req.end('world'), 300);
      }, 200);
    });
    const answer = await reply;
    assert.equal(answer.status, 200, answer.body);
    assert.equal((await got.waitForTopic('bye/now')).payload.toString(), 'helloworld');
    assert.equal(await told, 0x8b, 'MQTT 5 clients are told the server is shutting down');
    const startedExit = Date.now();
    const exit = await server.exited;
    assert.equal(exit.code, 0);
    assert.ok(Date.now() - startedExit < 4_000, 'it exits promptly once the work is done');
    sub.end(true);
  });
});
