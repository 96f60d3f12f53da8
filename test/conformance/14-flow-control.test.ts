/**
 * 14-flow-control: the outbound QoS 1 window (v5 Receive Maximum; 100 as AWS), and a subscriber that
 * stops reading: its QoS 0 messages are dropped past a bound while everyone else is served. In the
 * mqtt profile, QoS 2 PUBRECs are held for a congested subscriber as QoS 1 PUBACKs are.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { CONNACK_OK_V4, conformanceBroker, connectPacket, publishPacket, subscribePacket } from '../helpers/raw-mqtt.js';

const subscribe = (version: 4 | 5, filter: string, qos: 0 | 1): Buffer => subscribePacket(version, filter, qos);
const publish = (topic: string, payload: Buffer, qos: 0 | 1, messageId = 1): Buffer => publishPacket(4, topic, payload, qos, { messageId });

describe('14-flow-control', () => {
  const { open } = conformanceBroker('flow-device');

  it('14-flow-control - v5 Receive Maximum 2: a third QoS 1 message waits for a PUBACK', async () => {
    const sub = await open();
    sub.send(connectPacket(5, 'rm-sub', { properties: { receiveMaximum: 2 } }));
    await sub.packet(5);
    sub.send(subscribe(5, 'rm/t', 1));
    await sub.packet(5);
    const pub = await open();
    pub.send(connectPacket(4, 'rm-pub'));
    await pub.expect(CONNACK_OK_V4);
    for (let i = 1; i <= 3; i++) pub.send(publish('rm/t', Buffer.from([i]), 1, i));
    const first = await sub.packet(5);
    const second = await sub.packet(5);
    assert.ok(first.cmd === 'publish' && second.cmd === 'publish');
    assert.equal((await sub.read(1, 300)).length, 0, 'the window is full');
    sub.send(mqttPacket.generate({ cmd: 'puback', messageId: first.messageId! }, { protocolVersion: 5 }));
    const third = await sub.packet(5);
    assert.ok(third.cmd === 'publish' && third.payload[0] === 3);
    sub.close();
    pub.close();
  });

  it('14-flow-control - QoS 1 fan-in to a slow subscriber: PUBACKs are held, nothing acknowledged is dropped', async () => {
    const sub = await open();
    sub.send(connectPacket(4, 'bp-sub'));
    await sub.expect(CONNACK_OK_V4);
    sub.send(subscribe(4, 'bp/t', 1));
    await sub.packet(4);
    const pub = await open();
    pub.send(connectPacket(4, 'bp-pub'));
    await pub.expect(CONNACK_OK_V4);

    // The publisher keeps 64 in flight, as the benchmark's do; the subscriber acknowledges slowly.
    const total = 3_000;
    const window = 64;
    let sent = 0;
    const acks: number[] = [];
    const publisher = (async () => {
      while (acks.length < total) {
        while (sent < total && sent - acks.length < window) {
          sent++;
          pub.send(publish('bp/t', Buffer.from(String(sent)), 1, sent));
        }
        const ack = await pub.read(4, 10_000);
        assert.equal(ack.length, 4, 'a PUBACK arrives');
        acks.push(ack.readUInt16BE(2));
      }
    })();
    const received: number[] = [];
    let backlog = 0;
    while (received.length < total) {
      const p = await sub.packet(4);
      assert.ok(p.cmd === 'publish');
      received.push(Number(p.payload.toString()));
      sub.send(mqttPacket.generate({ cmd: 'puback', messageId: p.messageId! }, { protocolVersion: 4 }));
      backlog = Math.max(backlog, sent - received.length);
      if (received.length % 50 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    await publisher;
    // Held PUBACKs bound what waits for the subscriber: its queue's high-water mark (100), its
    // in-flight window (100) and one publisher window (64), with some slack for what is on the wire.
    assert.ok(backlog <= 400, `the backlog stayed bounded (max ${backlog})`);
    assert.deepEqual(received, Array.from({ length: total }, (_, i) => i + 1), 'every message, in order, once');
    assert.deepEqual(acks, Array.from({ length: total }, (_, i) => i + 1), '[MQTT-4.6.0-2] PUBACKs in PUBLISH order');
    sub.close();
    pub.close();
  });

  it('14-flow-control - PUBACKs held for a subscriber that never acknowledges are released after 5 s, in order', async () => {
    const sub = await open();
    sub.send(connectPacket(4, 'hold-sub'));
    await sub.expect(CONNACK_OK_V4);
    sub.send(subscribe(4, 'hold/t', 1));
    await sub.packet(4);
    const pub = await open();
    pub.send(connectPacket(4, 'hold-pub'));
    await pub.expect(CONNACK_OK_V4);
    // 100 in flight to the subscriber and 100 queued: past that the PUBACKs are held.
    const total = 300;
    const t0 = Date.now();
    for (let i = 1; i <= total; i++) pub.send(publish('hold/t', Buffer.from(String(i)), 1, i));
    const acks: number[] = [];
    let lastAt = 0;
    while (acks.length < total) {
      const ack = await pub.read(4, 8_000);
      assert.equal(ack.length, 4, `PUBACK ${acks.length + 1} arrives`);
      acks.push(ack.readUInt16BE(2));
      lastAt = Date.now() - t0;
    }
    assert.deepEqual(acks, Array.from({ length: total }, (_, i) => i + 1), '[MQTT-4.6.0-2] PUBACKs in PUBLISH order');
    assert.ok(lastAt >= 4_000, `the held PUBACKs waited for the bound (the last came after ${lastAt} ms)`);
    sub.close();
    pub.close();
  });

  it('14-flow-control - a subscriber that stops reading loses QoS 0 messages past a bound; others are served', async () => {
    const slow = await open();
    slow.send(connectPacket(4, 'slow-sub'));
    await slow.expect(CONNACK_OK_V4);
    slow.send(subscribe(4, 'slow/t', 0));
    await slow.packet(4);
    slow.socket.pause();

    const bystander = await open();
    bystander.send(connectPacket(4, 'slow-bystander'));
    await bystander.expect(CONNACK_OK_V4);
    const pub = await open();
    pub.send(connectPacket(4, 'slow-pub'));
    await pub.expect(CONNACK_OK_V4);
    const payload = Buffer.alloc(8 * 1024, 0x61);
    const count = 1_500; // 12 MB, far past the 1 MB bound
    for (let i = 0; i < count; i++) pub.send(publish('slow/t', payload, 0));
    // The publisher and a bystander are still served promptly.
    pub.send('c000');
    await pub.expect('d000', 'the publisher still gets PINGRESP');
    bystander.send('c000');
    await bystander.expect('d000', 'the bystander still gets PINGRESP');

    slow.socket.resume();
    let bytes = 0;
    while (true) {
      const chunk = await slow.read(64 * 1024, 500);
      if (chunk.length === 0) break;
      bytes += chunk.length;
    }
    assert.equal(slow.closed, false, 'the slow subscriber is still connected');
    assert.ok(bytes > 0, 'it got some messages');
    assert.ok(bytes < count * payload.length, `some QoS 0 messages were dropped (${bytes} bytes of ${count * payload.length})`);
    for (const c of [slow, bystander, pub]) c.close();
  });
});

describe('14-flow-control - QoS 2 (profile mqtt)', () => {
  const { open } = conformanceBroker('flow-qos2-device', { profile: 'mqtt' });
  const hexId = (id: number): string => id.toString(16).padStart(4, '0');

  it('14-flow-control - [MQTT-4.6.0-3] QoS 2 to a congested subscriber: PUBRECs are held, then sent in PUBLISH order', async () => {
    // One message in flight to the subscriber, the rest queued: the 101st leaves its queue at the high-water mark (100).
    const sub = await open();
    sub.send(connectPacket(5, 'q2bp-sub', { properties: { receiveMaximum: 1 } }));
    await sub.packet(5);
    sub.send(subscribePacket(5, 'q2bp/t', 1));
    await sub.packet(5);
    const pub = await open();
    pub.send(connectPacket(4, 'q2bp-pub'));
    await pub.expect(CONNACK_OK_V4);

    for (let id = 1; id <= 100; id++) pub.send(publishPacket(4, 'q2bp/t', String(id), 2, { messageId: id }));
    for (let id = 1; id <= 100; id++) await pub.expect(`50 02 ${hexId(id)}`, `PUBREC ${id} at once`);
    // Release them, so the publisher stays under the 100 QoS 2 exchanges it may have open.
    for (let id = 1; id <= 100; id++) pub.send(`62 02 ${hexId(id)}`);
    for (let id = 1; id <= 100; id++) await pub.expect(`70 02 ${hexId(id)}`, `PUBCOMP ${id}`);

    for (let id = 101; id <= 110; id++) pub.send(publishPacket(4, 'q2bp/t', String(id), 2, { messageId: id }));
    assert.equal((await pub.read(1, 500)).length, 0, 'the PUBRECs of 101..110 are held');

    // The subscriber catches up (QoS 2 to its QoS 1 subscription goes at QoS 1): once its queue is
    // back under the low-water mark (50), the held PUBRECs go, in order.
    for (let n = 1; n <= 110; n++) {
      const p = await sub.packet(5);
      assert.ok(p.cmd === 'publish' && p.payload.toString() === String(n), `message ${n} in order`);
      sub.send(mqttPacket.generate({ cmd: 'puback', messageId: p.messageId! }, { protocolVersion: 5 }));
    }
    for (let id = 101; id <= 110; id++) await pub.expect(`50 02 ${hexId(id)}`, `held PUBREC ${id}, in order`);
    for (let id = 101; id <= 110; id++) pub.send(`62 02 ${hexId(id)}`);
    for (let id = 101; id <= 110; id++) await pub.expect(`70 02 ${hexId(id)}`, `PUBCOMP ${id}`);
    sub.close();
    pub.close();
  });
});
