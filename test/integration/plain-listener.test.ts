/**
 * The plain-TCP development listener (--mqtt-plain-port): off by default, loopback, anonymous clients
 * whose rights are the --mqtt-plain-allow setting, shown in the banner.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { collect, connectMqtt, createDevice, endClient, startTestTopicd, type Device, type TestTopicd } from '../helpers/topicd.js';

describe('plain listener - anonymous MQTT over TCP for development', () => {
  let topicd: TestTopicd;
  let device: Device;

  before(async () => {
    topicd = await startTestTopicd({ mqttPlainPort: 0, mqttPlainAllow: 'all' });
    device = await createDevice(topicd, 'plain-watcher');
  });
  after(() => topicd.stop());

  it('plain listener - off unless asked for', async () => {
    const other = await startTestTopicd();
    assert.equal(other.running.ports.mqttPlain, null);
    assert.doesNotMatch(other.running.banner(), /plain/);
    await other.stop();
  });

  it('plain listener - the banner names it, its address and what its clients may do', () => {
    assert.match(topicd.running.banner(), new RegExp(`mqtt://127\\.0\\.0\\.1:${topicd.running.ports.mqttPlain}.*anonymous; may: all`));
  });

  it('plain listener - an anonymous publish reaches a certificate subscriber, and back', async () => {
    const watcher = await connectMqtt(topicd, device);
    const got = collect(watcher);
    await watcher.subscribeAsync('dev/#', { qos: 1 });
    const plain = await mqtt.connectAsync(`mqtt://127.0.0.1:${topicd.running.ports.mqttPlain}`, { protocolVersion: 5, reconnectPeriod: 0 });
    const plainGot = collect(plain);
    await plain.subscribeAsync('back/#', { qos: 1 });
    await plain.publishAsync('dev/plain', 'from plain', { qos: 1 });
    assert.equal((await got.waitForTopic('dev/plain')).payload.toString(), 'from plain');
    await watcher.publishAsync('back/tls', 'from tls', { qos: 1 });
    assert.equal((await plainGot.waitForTopic('back/tls')).payload.toString(), 'from tls');
    await endClient(plain);
    await endClient(watcher);
  });

  it('plain listener - --mqtt-plain-allow subscribe refuses anonymous publishes', async () => {
    const readOnly = await startTestTopicd({ mqttPlainPort: 0, mqttPlainAllow: 'subscribe' });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${readOnly.running.ports.mqttPlain}`, { protocolVersion: 5, reconnectPeriod: 0 });
    await assert.rejects(client.publishAsync('x/y', 'no', { qos: 1 }), (err: Error & { code?: number }) => err.code === 0x87);
    const granted = await client.subscribeAsync('x/#', { qos: 1 });
    assert.equal(granted[0]?.qos, 1);
    await endClient(client);
    await readOnly.stop();
  });
});
