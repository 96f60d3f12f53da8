/**
 * 16-subscription-identifiers: MQTT 5 Subscription Identifiers. The mqtt profile stores them with the
 * subscription and sends them in each PUBLISH it matches [MQTT-3.3.4-3]; the aws profile refuses
 * them as AWS IoT does (DISCONNECT 0xA1, CONNACK Subscription Identifiers Available 0).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformanceBroker, connectPacket, publishPacket, subscribePacket, type RawClient } from '../helpers/raw-mqtt.js';

async function connected(open: () => Promise<RawClient>, id: string, clean = true): Promise<RawClient> {
  const c = await open();
  c.send(connectPacket(5, id, { clean, ...(clean ? {} : { properties: { sessionExpiryInterval: 600 } }) }));
  assert.equal((await c.packet(5)).cmd, 'connack');
  return c;
}

describe('16-subscription-identifiers - mqtt profile', () => {
  const { open } = conformanceBroker('subid-mqtt', { profile: 'mqtt' });

  it('16-subscription-identifiers - [MQTT-3.3.4-3] a PUBLISH carries the identifiers of every matching subscription', async () => {
    const c = await connected(open, 'subid');
    c.send(subscribePacket(5, 'sid/+', 1, {}, 1, 7));
    assert.equal((await c.packet(5)).cmd, 'suback');
    c.send(subscribePacket(5, 'sid/a', 0, {}, 2, 300));
    assert.equal((await c.packet(5)).cmd, 'suback');
    c.send(subscribePacket(5, 'sid/#', 0, {}, 3));
    assert.equal((await c.packet(5)).cmd, 'suback');
    const pub = await connected(open, 'subid-pub');
    pub.send(publishPacket(5, 'sid/a', 'both', 1));
    await pub.expect('40 02 0001', 'PUBACK');
    const p = await c.packet(5);
    assert.ok(p.cmd === 'publish');
    assert.equal(p.qos, 1, 'the highest granted QoS');
    const ids = ([] as number[]).concat(p.properties?.subscriptionIdentifier ?? []).sort((x, y) => x - y);
    assert.deepEqual(ids, [7, 300], 'both identifiers, not one for the filter without');
    pub.send(publishPacket(5, 'sid/b', 'one', 0));
    const q = await c.packet(5);
    assert.ok(q.cmd === 'publish');
    assert.equal(q.properties?.subscriptionIdentifier, 7);
    pub.close();
    c.close();
  });

  it('16-subscription-identifiers - a retained message sent on SUBSCRIBE carries the identifier', async () => {
    const pub = await connected(open, 'subid-ret-pub');
    pub.send(publishPacket(5, 'sidr/t', 'kept', 1, { retain: true }));
    await pub.expect('40 02 0001', 'PUBACK');
    const c = await connected(open, 'subid-ret');
    c.send(subscribePacket(5, 'sidr/t', 0, {}, 1, 42));
    assert.equal((await c.packet(5)).cmd, 'suback');
    const p = await c.packet(5);
    assert.ok(p.cmd === 'publish' && p.retain === true);
    assert.equal(p.properties?.subscriptionIdentifier, 42);
    pub.close();
    c.close();
  });

  it('16-subscription-identifiers - a persistent session keeps the identifier for queued messages', async () => {
    const first = await connected(open, 'subid-persist', false);
    first.send(subscribePacket(5, 'sidp/t', 1, {}, 1, 99));
    assert.equal((await first.packet(5)).cmd, 'suback');
    first.close();
    await new Promise((r) => setTimeout(r, 100));
    const pub = await connected(open, 'subid-persist-pub');
    pub.send(publishPacket(5, 'sidp/t', 'later', 1));
    await pub.expect('40 02 0001', 'PUBACK');
    const second = await connected(open, 'subid-persist', false);
    const p = await second.packet(5);
    assert.ok(p.cmd === 'publish' && p.payload.toString() === 'later');
    assert.equal(p.properties?.subscriptionIdentifier, 99);
    pub.close();
    second.close();
  });

  it('16-subscription-identifiers - CONNACK does not say Subscription Identifiers Available 0', async () => {
    const c = await open();
    c.send(connectPacket(5, 'subid-connack'));
    const connack = await c.packet(5);
    assert.ok(connack.cmd === 'connack');
    assert.notEqual(connack.properties?.subscriptionIdentifiersAvailable, false);
    c.close();
  });
});

describe('16-subscription-identifiers - aws profile', () => {
  const { open } = conformanceBroker('subid-aws');

  it('16-subscription-identifiers - AWS: a SUBSCRIBE with an identifier gets DISCONNECT 0xA1', async () => {
    const c = await connected(open, 'subid-aws');
    c.send(subscribePacket(5, 'sid/t', 0, {}, 1, 7));
    await c.expectClose('e0 02 a1 00');
  });
});
