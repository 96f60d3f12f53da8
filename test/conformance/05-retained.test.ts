/**
 * 05-retained: retained messages as raw bytes, for MQTT 3.1.1 and 5: stored by MQTT and HTTPS
 * publishes, delivered with RETAIN set to a new subscription, replaced by a newer one, deleted by an
 * empty payload, and sent at the lower of the stored and granted QoS. (Which filters receive them in
 * each profile is 18-profiles; Retain Handling and Retain As Published are 15-subscription-options.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformanceBroker, connectPacket, publishPacket, subscribePacket, type RawClient } from '../helpers/raw-mqtt.js';
import { httpsPost } from '../helpers/topicd.js';

describe('05-retained', () => {
  const broker = conformanceBroker('retained-device');

  async function connected(version: 4 | 5, id: string): Promise<RawClient> {
    const c = await broker.open();
    c.send(connectPacket(version, id));
    assert.equal((await c.packet(version)).cmd, 'connack');
    return c;
  }

  /** Publishes retained at QoS 1 and waits for the PUBACK, so the message is stored. */
  async function retain(version: 4 | 5, topic: string, payload: string): Promise<void> {
    const pub = await connected(version, `retainer-${version}-${topic.replace(/\//g, '-')}`);
    pub.send(publishPacket(version, topic, payload, 1, { retain: true, messageId: 9 }));
    assert.equal((await pub.packet(version)).cmd, 'puback');
    pub.close();
  }

  for (const version of [4, 5] as const) {
    const v = version === 5 ? 'v5' : 'v3.1.1';

    it(`05-retained - ${v} [MQTT-3.3.1-6] a new subscription gets the retained message with RETAIN 1`, async () => {
      await retain(version, `r${version}/a`, 'kept');
      const sub = await connected(version, `ret-sub-${version}`);
      sub.send(subscribePacket(version, `r${version}/a`, 1));
      assert.equal((await sub.packet(version)).cmd, 'suback');
      const p = await sub.packet(version);
      assert.ok(p.cmd === 'publish');
      assert.equal(p.retain, true);
      assert.equal(p.topic, `r${version}/a`);
      assert.equal(p.payload.toString(), 'kept');
      sub.close();
    });

    it(`05-retained - ${v} [MQTT-3.3.1-9] a live retained publish reaches existing subscribers with RETAIN 0`, async () => {
      const sub = await connected(version, `ret-live-${version}`);
      sub.send(subscribePacket(version, `live${version}/a`, 0));
      assert.equal((await sub.packet(version)).cmd, 'suback');
      await retain(version, `live${version}/a`, 'now');
      const p = await sub.packet(version);
      assert.ok(p.cmd === 'publish' && p.payload.toString() === 'now');
      assert.equal(p.retain, false);
      sub.close();
    });

    it(`05-retained - ${v} [MQTT-3.3.1-5] a newer retained message replaces the older; [MQTT-3.3.1-10] an empty one deletes it`, async () => {
      await retain(version, `rep${version}/a`, 'old');
      await retain(version, `rep${version}/a`, 'new');
      const first = await connected(version, `ret-rep-${version}`);
      first.send(subscribePacket(version, `rep${version}/a`, 0));
      await first.packet(version);
      const p = await first.packet(version);
      assert.ok(p.cmd === 'publish' && p.payload.toString() === 'new');
      assert.equal((await first.read(1, 150)).length, 0, 'one retained message per topic');
      first.close();

      await retain(version, `rep${version}/a`, '');
      const second = await connected(version, `ret-del-${version}`);
      second.send(subscribePacket(version, `rep${version}/a`, 0));
      assert.equal((await second.packet(version)).cmd, 'suback');
      assert.equal((await second.read(1, 200)).length, 0, 'nothing retained any more');
      second.close();
    });

    it(`05-retained - ${v} [MQTT-3.3.5-1] the retained message goes out at the lower of its QoS and the granted QoS`, async () => {
      await retain(version, `qos${version}/a`, 'q1');
      const sub = await connected(version, `ret-qos-${version}`);
      sub.send(subscribePacket(version, `qos${version}/a`, 0));
      await sub.packet(version);
      const p = await sub.packet(version);
      assert.ok(p.cmd === 'publish');
      assert.equal(p.qos, 0, 'stored at QoS 1, granted QoS 0');
      sub.close();
    });
  }

  it('05-retained - AWS: an HTTPS publish with retain=true is retained like an MQTT one', async () => {
    const { topicd, device } = broker;
    const { status } = await httpsPost(topicd, device, '/topics/https%2Fretained?qos=1&retain=true', 'from https');
    assert.equal(status, 200);
    const sub = await connected(5, 'ret-https');
    sub.send(subscribePacket(5, 'https/retained', 1));
    await sub.packet(5);
    const p = await sub.packet(5);
    assert.ok(p.cmd === 'publish' && p.retain === true && p.payload.toString() === 'from https');
    sub.close();
  });
});
