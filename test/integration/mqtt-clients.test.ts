/**
 * MQTT.js (3.1.1 and 5) against topicd: retained messages, wills, takeover, MQTT 5 properties carried
 * from an HTTPS publish.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { collect, connectMqtt, createDevice, endClient, startTestTopicd, type Device, type TestTopicd } from '../helpers/topicd.js';
import { run } from '../helpers/tools.js';

describe('mqtt clients - MQTT.js round trips', () => {
  let topicd: TestTopicd;
  let device: Device;

  before(async () => {
    topicd = await startTestTopicd();
    device = await createDevice(topicd, 'mqttjs-device');
  });
  after(() => topicd.stop());

  const curl = (path: string, data: string, headers: string[] = []) => run('curl', ['-sS', '--cacert', device.caPath, '--cert', device.certPath, '--key', device.keyPath,
    ...headers.flatMap((h) => ['-H', h]), '--data-binary', data, `https://localhost:${topicd.running.ports.https}${path}`]);

  it('mqtt clients - an HTTPS retain=true publish is delivered on an exact SUBSCRIBE with RETAIN set, and an empty one deletes it', async () => {
    assert.match((await curl('/topics/state%2Flamp?qos=1&retain=true', '{"on":true}')).stdout, /"OK"/);
    for (const protocolVersion of [4, 5] as const) {
      const client = await connectMqtt(topicd, device, { protocolVersion });
      const got = collect(client);
      await client.subscribeAsync('state/lamp', { qos: 1 });
      const [m] = await got.waitFor(1);
      assert.equal(m?.payload.toString(), '{"on":true}');
      assert.equal(m?.packet.retain, true);
      // AWS: wildcard subscriptions do not get retained messages
      await client.subscribeAsync('state/+', { qos: 1 });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(got.messages.length, 1);
      await endClient(client);
    }
    await curl('/topics/state%2Flamp?retain=true', '');
    const client = await connectMqtt(topicd, device);
    const got = collect(client);
    await client.subscribeAsync('state/lamp', { qos: 1 });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(got.messages.length, 0, 'the retained message was deleted');
    await endClient(client);
  });

  it('mqtt clients - MQTT 5 properties of an HTTPS publish reach a v5 subscriber', async () => {
    const client = await connectMqtt(topicd, device, { protocolVersion: 5 });
    const got = collect(client);
    await client.subscribeAsync('props/t', { qos: 1 });
    const userProps = Buffer.from(JSON.stringify([{ deviceName: 'alpha' }, { deviceCnt: '45' }])).toString('base64');
    const reply = await curl('/topics/props%2Ft?qos=1&contentType=text%2Fplain&responseTopic=reply%2Fhere&messageExpiry=60', 'p', [
      `x-amz-mqtt5-user-properties: ${userProps}`, 'x-amz-mqtt5-payload-format-indicator: UTF8_DATA',
      `x-amz-mqtt5-correlation-data: ${Buffer.from('corr-1').toString('base64')}`]);
    assert.match(reply.stdout, /"OK"/);
    const [m] = await got.waitFor(1);
    const props = m?.packet.properties;
    assert.equal(props?.contentType, 'text/plain');
    assert.equal(props?.responseTopic, 'reply/here');
    assert.equal(props?.payloadFormatIndicator, true);
    assert.equal(props?.correlationData?.toString(), 'corr-1');
    assert.deepEqual({ ...props?.userProperties }, { deviceName: 'alpha', deviceCnt: '45' });
    assert.ok((props?.messageExpiryInterval ?? 0) > 0);
    await endClient(client);
  });

  it('mqtt clients - a will is published when a client vanishes, not when it disconnects', async () => {
    const watcher = await connectMqtt(topicd, device);
    const got = collect(watcher);
    await watcher.subscribeAsync('wills/#', { qos: 1 });
    const polite = await connectMqtt(topicd, device, { will: { topic: 'wills/polite', payload: Buffer.from('gone'), qos: 1, retain: false } });
    await endClient(polite);
    const rude = await connectMqtt(topicd, device, { will: { topic: 'wills/rude', payload: Buffer.from('vanished'), qos: 1, retain: false } });
    rude.stream.destroy();
    const [m] = await got.waitFor(1);
    assert.equal(m?.topic, 'wills/rude');
    assert.equal(m?.payload.toString(), 'vanished');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(got.messages.length, 1, 'the polite client left no will');
    rude.end(true);
    await endClient(watcher);
  });

  it('mqtt clients - client-id takeover: the new connection wins', async () => {
    const first = await connectMqtt(topicd, device, { clientId: 'dup-id', protocolVersion: 5 });
    const kicked = new Promise<number | undefined>((resolve) => first.once('disconnect', (p) => resolve(p.reasonCode)));
    const second = await connectMqtt(topicd, device, { clientId: 'dup-id', protocolVersion: 5 });
    assert.equal(await kicked, 0x8e);
    first.end(true);
    await second.publishAsync('takeover/ok', 'still here', { qos: 1 });
    await endClient(second);
  });
});
