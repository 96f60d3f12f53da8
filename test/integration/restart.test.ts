/**
 * What topicd acknowledged survives a SIGKILL: retained messages (from HTTPS and MQTT publishes, with
 * their MQTT 5 properties) are delivered after a restart on the same data dir.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import mqtt from 'mqtt';
import type { RuntimeInfo } from '../../src/config/data-files.js';
import { collect, endClient } from '../helpers/topicd.js';
import { CLI, EPHEMERAL, run, spawnCli, type Spawned } from '../helpers/tools.js';

describe('restart - acknowledged data survives SIGKILL', () => {
  const root = mkdtempSync(join(tmpdir(), 'topicd-restart-'));
  const dataDir = join(root, 'data');
  const deviceDir = join(root, 'device');
  let server: Spawned | undefined;

  const start = async (): Promise<RuntimeInfo> => {
    server = spawnCli(['start', '--data-dir', dataDir, ...EPHEMERAL]);
    await server.waitFor('stdout', 'topicd is ready');
    return JSON.parse(readFileSync(join(dataDir, 'runtime.json'), 'utf8')) as RuntimeInfo;
  };
  const files = () => ({
    ca: readFileSync(join(deviceDir, 'root-CA.pem')), cert: readFileSync(join(deviceDir, 'device.pem.crt')), key: readFileSync(join(deviceDir, 'private.pem.key')),
  });

  after(async () => {
    server?.child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('restart - retained messages come back after SIGKILL, deleted ones do not', async () => {
    let runtime = await start();
    const created = await run('node', [CLI, 'thing', 'create', 'restart-device', '--out', deviceDir, '--data-dir', dataDir]);
    assert.equal(created.code, 0, created.stderr);
    const curl = (path: string, data: string) => run('curl', ['-sS', '--cacert', join(deviceDir, 'root-CA.pem'), '--cert', join(deviceDir, 'device.pem.crt'),
      '--key', join(deviceDir, 'private.pem.key'), '--data-binary', data, `https://localhost:${runtime.httpsPort}${path}`]);
    assert.match((await curl('/topics/keep%2Fhttps?retain=true&contentType=text%2Fplain', 'from https')).stdout, /"OK"/);
    assert.match((await curl('/topics/gone?retain=true', 'soon deleted')).stdout, /"OK"/);
    assert.match((await curl('/topics/gone?retain=true', '')).stdout, /"OK"/);
    const pub = await mqtt.connectAsync(`mqtts://localhost:${runtime.mqttPort}`, { ...files(), protocolVersion: 5, reconnectPeriod: 0 });
    await pub.publishAsync('keep/mqtt', Buffer.from([0, 1, 2, 255]), { qos: 1, retain: true, properties: { userProperties: { k: 'v' } } });
    await endClient(pub);

    server!.child.kill('SIGKILL');
    const { signal } = await server!.exited;
    assert.equal(signal, 'SIGKILL');

    runtime = await start();
    const sub = await mqtt.connectAsync(`mqtts://localhost:${runtime.mqttPort}`, { ...files(), protocolVersion: 5, reconnectPeriod: 0 });
    const got = collect(sub);
    await sub.subscribeAsync(['keep/https', 'keep/mqtt', 'gone'], { qos: 1 });
    const https = await got.waitForTopic('keep/https');
    assert.equal(https.payload.toString(), 'from https');
    assert.equal(https.packet.retain, true);
    assert.equal(https.packet.properties?.contentType, 'text/plain');
    const viaMqtt = await got.waitForTopic('keep/mqtt');
    assert.deepEqual(viaMqtt.payload, Buffer.from([0, 1, 2, 255]));
    assert.deepEqual({ ...viaMqtt.packet.properties?.userProperties }, { k: 'v' });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(got.messages.filter((m) => m.topic === 'gone').length, 0, 'the deleted retained message stays deleted');
    await endClient(sub);
    server!.child.kill('SIGTERM');
    assert.equal((await server!.exited).code, 0);
  });
});
