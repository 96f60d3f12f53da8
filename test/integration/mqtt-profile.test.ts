/**
 * MQTT.js against the mqtt profile: QoS 2 round trips for 3.1.1 and 5, subscription identifiers and
 * server topic aliases as a real client sees them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { collect, connectMqtt, createDevice, endClient, startTestTopicd, type Device, type TestTopicd } from '../helpers/topicd.js';

describe('mqtt profile - MQTT.js', () => {
  let topicd: TestTopicd;
  let device: Device;
  before(async () => {
    topicd = await startTestTopicd({ profile: 'mqtt' });
    device = await createDevice(topicd, 'mqtt-profile-device');
  });
  after(() => topicd.stop());

  for (const protocolVersion of [4, 5] as const) {
    it(`mqtt profile - MQTT.js v${protocolVersion} publishes and receives at QoS 2`, async () => {
      const sub = await connectMqtt(topicd, device, { protocolVersion });
      const got = collect(sub);
      const granted = await sub.subscribeAsync(`q2/${protocolVersion}/#`, { qos: 2 });
      assert.equal(granted[0]?.qos, 2);
      const pub = await connectMqtt(topicd, device, { protocolVersion });
      for (let i = 0; i < 5; i++) await pub.publishAsync(`q2/${protocolVersion}/t`, `m${i}`, { qos: 2 });
      const messages = await got.waitFor(5);
      assert.deepEqual(messages.map((m) => m.payload.toString()), ['m0', 'm1', 'm2', 'm3', 'm4']);
      for (const m of messages) assert.equal(m.packet.qos, 2);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(got.messages.length, 5, 'exactly once');
      await endClient(pub);
      await endClient(sub);
    });
  }

  it('mqtt profile - MQTT.js v5 gets subscription identifiers and resolves server topic aliases', async () => {
    const sub = await connectMqtt(topicd, device, { protocolVersion: 5, properties: { topicAliasMaximum: 4 } });
    const got = collect(sub);
    await sub.subscribeAsync('ids/#', { qos: 1, properties: { subscriptionIdentifier: 12 } });
    const pub = await connectMqtt(topicd, device, { protocolVersion: 5 });
    for (let i = 0; i < 3; i++) await pub.publishAsync('ids/t', `m${i}`, { qos: 1 });
    const messages = await got.waitFor(3);
    // MQTT.js maps an alias back to its topic, so every message reads as ids/t.
    assert.deepEqual(messages.map((m) => m.topic), ['ids/t', 'ids/t', 'ids/t']);
    assert.equal(messages[1]?.packet.properties?.topicAlias, 1, 'the server used an alias');
    for (const m of messages) assert.equal(m.packet.properties?.subscriptionIdentifier, 12);
    await endClient(pub);
    await endClient(sub);
  });
});
