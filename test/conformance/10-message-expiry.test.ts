/**
 * 10-message-expiry: MQTT 5 Message Expiry Interval: counted down on delivery, expired messages not
 * delivered from a session's queue or as retained; AWS clamps the interval to 1..604800 s.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformanceBroker, connectPacket, publishPacket, subscribePacket, type RawClient } from '../helpers/raw-mqtt.js';

const publish = (topic: string, payload: string, expiry: number, retain = false): Buffer =>
  publishPacket(5, topic, payload, 1, { retain, properties: { messageExpiryInterval: expiry } });
const subscribe = (filter: string): Buffer => subscribePacket(5, filter, 1);

describe('10-message-expiry', () => {
  const { open } = conformanceBroker('expiry-device');

  async function client(id: string, props: Record<string, number> = {}, clean = true): Promise<RawClient> {
    const c = await open();
    c.send(connectPacket(5, id, { clean, properties: props }));
    assert.equal((await c.packet(5)).cmd, 'connack');
    return c;
  }

  it('10-message-expiry - [MQTT-3.3.2-6] a queued message carries the time it has left', async () => {
    const sub = await client('exp-sub', { sessionExpiryInterval: 60 });
    sub.send(subscribe('exp/t'));
    await sub.packet(5);
    sub.send('e0 00');
    await sub.expectClose();
    const pub = await client('exp-pub');
    pub.send(publish('exp/t', 'x', 10));
    await pub.packet(5);
    await new Promise((r) => setTimeout(r, 2_100));
    const back = await client('exp-sub', { sessionExpiryInterval: 60 }, false);
    const p = await back.packet(5);
    assert.ok(p.cmd === 'publish');
    const left = p.properties?.messageExpiryInterval ?? -1;
    assert.ok(left >= 6 && left <= 8, `about 8 s left, got ${left}`);
    back.close();
    pub.close();
  });

  it('10-message-expiry - [MQTT-3.3.2-5] an expired message is not delivered from the queue, nor as retained', async () => {
    const sub = await client('gone-sub', { sessionExpiryInterval: 60 });
    sub.send(subscribe('gone/t'));
    await sub.packet(5);
    sub.send('e0 00');
    await sub.expectClose();
    const pub = await client('gone-pub');
    pub.send(publish('gone/t', 'old', 1));
    await pub.packet(5);
    pub.send(publish('gone/r', 'retained', 1, true));
    await pub.packet(5);
    await new Promise((r) => setTimeout(r, 1_300));
    const back = await client('gone-sub', { sessionExpiryInterval: 60 }, false);
    assert.equal((await back.read(1, 300)).length, 0, 'the queued message expired');
    back.send(subscribe('gone/r'));
    assert.equal((await back.packet(5)).cmd, 'suback');
    assert.equal((await back.read(1, 300)).length, 0, 'the retained message expired');
    back.close();
    pub.close();
  });

  it('10-message-expiry - AWS: an interval of 0 is treated as 1 s', async () => {
    const sub = await client('zero-sub');
    sub.send(subscribe('zero/t'));
    await sub.packet(5);
    const pub = await client('zero-pub');
    pub.send(publish('zero/t', 'z', 0));
    const p = await sub.packet(5);
    assert.ok(p.cmd === 'publish');
    assert.ok((p.properties?.messageExpiryInterval ?? -1) <= 1);
    sub.close();
    pub.close();
  });
});
