/**
 * 04-qos2: QoS 2 both ways in the mqtt profile (PUBREC, PUBREL, PUBCOMP), for MQTT 3.1.1 and 5.
 * The aws profile refuses QoS 2 as AWS IoT does (03-publish, 18-profiles).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformanceBroker, connectPacket, publishPacket, subscribePacket, type RawClient } from '../helpers/raw-mqtt.js';

describe('04-qos2', () => {
  const { open } = conformanceBroker('qos2-device', { profile: 'mqtt' });

  async function connected(version: 4 | 5, id: string, clean = true): Promise<RawClient> {
    const c = await open();
    c.send(connectPacket(version, id, { clean }));
    assert.equal((await c.packet(version)).cmd, 'connack');
    return c;
  }

  async function subscribed(version: 4 | 5, id: string, filter: string, qos: 0 | 1 | 2, clean = true): Promise<RawClient> {
    const c = await connected(version, id, clean);
    c.send(subscribePacket(version, filter, qos));
    const suback = await c.packet(version);
    assert.ok(suback.cmd === 'suback');
    assert.deepEqual(suback.granted, [qos], 'granted as asked');
    return c;
  }

  for (const version of [4, 5] as const) {
    it(`04-qos2 - [MQTT-4.3.3-8] [MQTT-4.3.3-11] v${version} QoS 2 in: PUBREC, routed at QoS 2, PUBCOMP for PUBREL`, async () => {
      const sub = await subscribed(version, `q2in-sub-${version}`, `q2in/${version}`, 2);
      const pub = await connected(version, `q2in-pub-${version}`);
      pub.send(publishPacket(version, `q2in/${version}`, 'x', 2, { messageId: 5 }));
      await pub.expect('50 02 0005', 'PUBREC');
      const p = await sub.packet(version);
      assert.ok(p.cmd === 'publish');
      assert.equal(p.qos, 2);
      assert.equal(p.payload.toString(), 'x');
      pub.send('62 02 0005');
      await pub.expect('70 02 0005', 'PUBCOMP');
      pub.close();
      sub.close();
    });
  }

  it('04-qos2 - [MQTT-4.3.3-10] a PUBLISH resent before PUBREL gets PUBREC again but is routed once; after PUBREL the id is new [MQTT-4.3.3-12]', async () => {
    const sub = await subscribed(4, 'q2dup-sub', 'q2dup/t', 0);
    const pub = await connected(4, 'q2dup-pub');
    pub.send(publishPacket(4, 'q2dup/t', 'once', 2, { messageId: 9 }));
    await pub.expect('50 02 0009', 'PUBREC');
    pub.send(publishPacket(4, 'q2dup/t', 'once', 2, { messageId: 9, dup: true }));
    await pub.expect('50 02 0009', 'PUBREC again');
    const p = await sub.packet(4);
    assert.ok(p.cmd === 'publish' && p.payload.toString() === 'once');
    assert.equal((await sub.read(1, 300)).length, 0, 'no second copy');
    pub.send('62 02 0009');
    await pub.expect('70 02 0009', 'PUBCOMP');
    pub.send(publishPacket(4, 'q2dup/t', 'again', 2, { messageId: 9 }));
    await pub.expect('50 02 0009', 'PUBREC for the new message');
    const q = await sub.packet(4);
    assert.ok(q.cmd === 'publish' && q.payload.toString() === 'again');
    pub.close();
    sub.close();
  });

  it('04-qos2 - [MQTT-4.3.3-4] [MQTT-4.3.3-5] QoS 2 out: PUBREC gets PUBREL, PUBCOMP completes', async () => {
    const sub = await subscribed(5, 'q2out-sub', 'q2out/t', 2);
    const pub = await connected(5, 'q2out-pub');
    pub.send(publishPacket(5, 'q2out/t', 'y', 2));
    await pub.expect('50 02 0001', 'PUBREC');
    const p = await sub.packet(5);
    assert.ok(p.cmd === 'publish' && p.qos === 2 && p.messageId !== undefined);
    const id = p.messageId.toString(16).padStart(4, '0');
    sub.send(`50 02 ${id}`);
    await sub.expect(`62 02 ${id}`, 'PUBREL');
    sub.send(`70 02 ${id}`);
    // The exchange is over: a PINGREQ is answered and nothing else comes.
    sub.send('c0 00');
    await sub.expect('d0 00', 'PINGRESP and nothing before it');
    pub.close();
    sub.close();
  });

  it('04-qos2 - [MQTT-4.4.0-1] a persistent session resends an unreceived QoS 2 PUBLISH with DUP, then only the PUBREL once it was received', async () => {
    const first = await subscribed(4, 'q2-persist', 'q2p/t', 2, false);
    const pub = await connected(4, 'q2p-pub');
    pub.send(publishPacket(4, 'q2p/t', 'z', 2));
    await pub.expect('50 02 0001', 'PUBREC');
    const p = await first.packet(4);
    assert.ok(p.cmd === 'publish' && p.qos === 2 && p.dup === false);
    first.close();
    await new Promise((r) => setTimeout(r, 100));

    const second = await connected(4, 'q2-persist', false);
    const again = await second.packet(4);
    assert.ok(again.cmd === 'publish');
    assert.equal(again.dup, true, 'DUP set');
    assert.equal(again.messageId, p.messageId, 'same packet id');
    const id = again.messageId!.toString(16).padStart(4, '0');
    second.send(`50 02 ${id}`);
    await second.expect(`62 02 ${id}`, 'PUBREL');
    second.close();
    await new Promise((r) => setTimeout(r, 100));

    const third = await connected(4, 'q2-persist', false);
    await third.expect(`62 02 ${id}`, 'only the PUBREL again [MQTT-4.3.3-6]');
    third.send(`70 02 ${id}`);
    third.send('c0 00');
    await third.expect('d0 00', 'nothing else owed');
    third.close();
    pub.close();
  });

  it('04-qos2 - [MQTT-3.8.4-6] a QoS 2 message to a QoS 1 subscription goes at QoS 1', async () => {
    const sub = await subscribed(4, 'q2down-sub', 'q2down/t', 1);
    const pub = await connected(4, 'q2down-pub');
    pub.send(publishPacket(4, 'q2down/t', 'd', 2));
    await pub.expect('50 02 0001', 'PUBREC');
    const p = await sub.packet(4);
    assert.ok(p.cmd === 'publish' && p.qos === 1);
    pub.close();
    sub.close();
  });

  it('04-qos2 - v5 PUBREL for an unknown packet id gets PUBCOMP 0x92', async () => {
    const c = await connected(5, 'q2-unknown');
    c.send('62 02 0033');
    await c.expect('70 04 0033 92 00', 'PUBCOMP Packet Identifier not found, empty properties');
    c.close();
  });

  it('04-qos2 - a will at QoS 2 is accepted and delivered at QoS 2', async () => {
    const sub = await subscribed(5, 'q2will-sub', 'q2will/t', 2);
    const c = await open();
    c.send(connectPacket(5, 'q2will', { will: { topic: 'q2will/t', payload: Buffer.from('bye'), qos: 2, retain: false } }));
    assert.equal((await c.packet(5)).cmd, 'connack');
    c.close();
    const p = await sub.packet(5);
    assert.ok(p.cmd === 'publish' && p.qos === 2 && p.payload.toString() === 'bye');
    sub.close();
  });
});
