/**
 * 12-shared-subscriptions: `$share/{group}/{filter}` for MQTT 3.1.1 (as AWS allows) and 5: each
 * message goes to one member, round robin; no retained messages; a bad share name is refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONNACK_OK_V4, conformanceBroker, connectPacket, publishPacket, subscribePacket, type RawClient } from '../helpers/raw-mqtt.js';

const subscribe = (version: 4 | 5, filter: string, qos: 0 | 1): Buffer => subscribePacket(version, filter, qos);
const publish = (topic: string, payload: string): Buffer => publishPacket(4, topic, payload, 0);

describe('12-shared-subscriptions', () => {
  const { open } = conformanceBroker('share-device');

  async function member(version: 4 | 5, id: string, filter: string): Promise<RawClient> {
    const c = await open();
    c.send(connectPacket(version, id));
    if (version === 4) await c.expect(CONNACK_OK_V4);
    else await c.packet(5);
    c.send(subscribe(version, filter, 0));
    const suback = await c.packet(version);
    assert.ok(suback.cmd === 'suback' && suback.granted[0] === 0, `${id} subscribed`);
    return c;
  }

  for (const version of [4, 5] as const) {
    it(`12-shared-subscriptions - v${version === 4 ? '3.1.1' : '5'}: messages alternate between the members of a group`, async () => {
      const a = await member(version, `share-a-${version}`, `$share/g${version}/sh${version}/#`);
      const b = await member(version, `share-b-${version}`, `$share/g${version}/sh${version}/#`);
      const pub = await open();
      pub.send(connectPacket(4, `share-pub-${version}`));
      await pub.expect(CONNACK_OK_V4);
      for (let i = 0; i < 4; i++) pub.send(publish(`sh${version}/t`, String(i)));
      const got: string[] = [];
      for (const c of [a, b]) {
        for (let i = 0; i < 2; i++) {
          const p = await c.packet(version);
          assert.ok(p.cmd === 'publish');
          got.push(p.payload.toString());
        }
        assert.equal((await c.read(1, 200)).length, 0, 'exactly two each');
      }
      assert.deepEqual(got.sort(), ['0', '1', '2', '3'], 'each message went to exactly one member');
      for (const c of [a, b, pub]) c.close();
    });
  }

  it('12-shared-subscriptions - a group and a plain subscription both get the message', async () => {
    const shared = await member(4, 'mixed-shared', '$share/mix/m/t');
    const plain = await member(4, 'mixed-plain', 'm/t');
    const pub = await open();
    pub.send(connectPacket(4, 'mixed-pub'));
    await pub.expect(CONNACK_OK_V4);
    pub.send(publish('m/t', 'x'));
    for (const c of [shared, plain]) {
      const p = await c.packet(4);
      assert.ok(p.cmd === 'publish' && p.payload.toString() === 'x');
    }
    for (const c of [shared, plain, pub]) c.close();
  });

  it('12-shared-subscriptions - no retained messages for a shared subscription', async () => {
    const pub = await open();
    pub.send(connectPacket(4, 'ret-pub'));
    await pub.expect(CONNACK_OK_V4);
    pub.send('31 07 0003 722f74 6868'.replace(/\s/g, ''));
    pub.close();
    await new Promise((r) => setTimeout(r, 100));
    const m = await member(5, 'ret-member', '$share/r/r/t');
    assert.equal((await m.read(1, 300)).length, 0);
    m.close();
  });

  it('12-shared-subscriptions - [MQTT-4.8.2-1] [MQTT-4.8.2-2] a bad share name is refused in SUBACK', async () => {
    for (const [version, filter, code] of [[4, '$share//x', 0x80], [4, '$share/a+b/x', 0x80], [5, '$share/g', 0x8f], [5, '$share/a#/x', 0x8f]] as const) {
      const c = await open();
      c.send(connectPacket(version, `bad-share-${version}`));
      if (version === 4) await c.expect(CONNACK_OK_V4);
      else await c.packet(5);
      c.send(subscribe(version, filter, 1));
      const suback = await c.packet(version);
      assert.ok(suback.cmd === 'suback');
      assert.equal(suback.granted[0], code, filter);
      c.close();
    }
  });
});
