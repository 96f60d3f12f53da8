/**
 * 15-subscription-options: MQTT 5 No Local, Retain As Published and Retain Handling (3.1.1 has no
 * subscription options; its SUBSCRIBE carries only the QoS).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformanceBroker, connectPacket, publishPacket, subscribePacket, type RawClient, type SubscriptionOptions } from '../helpers/raw-mqtt.js';

const subscribe = (filter: string, options: SubscriptionOptions, messageId = 1): Buffer => subscribePacket(5, filter, 0, options, messageId);
const publish = (topic: string, payload: string, retain = false): Buffer => publishPacket(5, topic, payload, 0, { retain });

describe('15-subscription-options', () => {
  const { open } = conformanceBroker('options-device');

  async function client(id: string): Promise<RawClient> {
    const c = await open();
    c.send(connectPacket(5, id));
    assert.equal((await c.packet(5)).cmd, 'connack');
    return c;
  }

  it('15-subscription-options - [MQTT-3.8.3-3] No Local: a client does not get its own messages back', async () => {
    const c = await client('no-local');
    c.send(subscribe('nl/t', { nl: true }));
    assert.equal((await c.packet(5)).cmd, 'suback');
    const other = await client('no-local-other');
    c.send(publish('nl/t', 'mine'));
    other.send(publish('nl/t', 'theirs'));
    const p = await c.packet(5);
    assert.ok(p.cmd === 'publish' && p.payload.toString() === 'theirs');
    assert.equal((await c.read(1, 200)).length, 0);
    c.close();
    other.close();
  });

  it('15-subscription-options - [MQTT-3.3.1-12] [MQTT-3.3.1-13] Retain As Published keeps RETAIN on live messages', async () => {
    const rap = await client('rap-on');
    rap.send(subscribe('rap/t', { rap: true }));
    await rap.packet(5);
    const plain = await client('rap-off');
    plain.send(subscribe('rap/t', {}));
    await plain.packet(5);
    const pub = await client('rap-pub');
    pub.send(publish('rap/t', 'r', true));
    const a = await rap.packet(5);
    const b = await plain.packet(5);
    assert.ok(a.cmd === 'publish' && a.retain === true, 'RETAIN kept');
    assert.ok(b.cmd === 'publish' && b.retain === false, 'RETAIN cleared');
    for (const c of [rap, plain, pub]) c.close();
  });

  it('15-subscription-options - Retain Handling 0 sends retained messages, 1 only on a new subscription, 2 never', async () => {
    const pub = await client('rh-pub');
    pub.send(publish('rh/t', 'kept', true));
    pub.close();
    await new Promise((r) => setTimeout(r, 100));

    const c = await client('rh');
    c.send(subscribe('rh/t', { rh: 2 }));
    assert.equal((await c.packet(5)).cmd, 'suback');
    assert.equal((await c.read(1, 200)).length, 0, 'rh 2: nothing');
    c.send(subscribe('rh/t', { rh: 1 }, 2));
    assert.equal((await c.packet(5)).cmd, 'suback');
    assert.equal((await c.read(1, 200)).length, 0, 'rh 1 on an existing subscription: nothing');
    c.send(subscribe('rh/t', { rh: 0 }, 3));
    assert.equal((await c.packet(5)).cmd, 'suback');
    const p = await c.packet(5);
    assert.ok(p.cmd === 'publish' && p.retain === true && p.payload.toString() === 'kept', 'rh 0: the retained message');
    c.close();

    const fresh = await client('rh-fresh');
    fresh.send(subscribe('rh/t', { rh: 1 }));
    await fresh.packet(5);
    const q = await fresh.packet(5);
    assert.ok(q.cmd === 'publish' && q.retain === true, 'rh 1 on a new subscription: the retained message');
    fresh.close();
  });

  it('15-subscription-options - [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error', async () => {
    const c = await client('nl-shared');
    c.send(subscribe('$share/g/x', { nl: true }));
    await c.expectClose('e0028200');
  });
});
