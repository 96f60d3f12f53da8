/**
 * 14-flow-control: the outbound QoS 1 window (v5 Receive Maximum; 100 as AWS), and a subscriber that
 * stops reading or reads slowly: it costs only itself. Its QoS 0 messages are dropped past a bound of
 * unsent bytes, its QoS 1 and 2 messages past its queue bound, in order, while its publishers are
 * acknowledged at once and everyone else is served (issue 10: a stalled device once throttled a
 * backend's publishes to every device a thousandfold by holding its PUBACKs).
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

  it('14-flow-control - a QoS 1 subscriber that stops reading holds no publisher back: every PUBACK comes, its queue keeps the first in order', async () => {
    const sub = await open();
    sub.send(connectPacket(4, 'stall-sub'));
    await sub.expect(CONNACK_OK_V4);
    sub.send(subscribe(4, 'stall/t', 1));
    await sub.packet(4);
    sub.socket.pause();
    const pub = await open();
    pub.send(connectPacket(4, 'stall-pub'));
    await pub.expect(CONNACK_OK_V4);

    // Far past the subscriber's window (100) and queue bound (1000): a held PUBACK would stop the
    // publisher at its own window.
    const total = 3_000;
    for (let i = 1; i <= total; i++) pub.send(publish('stall/t', Buffer.from(String(i)), 1, i % 65535 || 1));
    const acks: number[] = [];
    while (acks.length < total) {
      const ack = await pub.read(4, 5_000);
      assert.equal(ack.length, 4, `PUBACK ${acks.length + 1} arrives while the subscriber reads nothing`);
      acks.push(ack.readUInt16BE(2));
    }
    assert.deepEqual(acks, Array.from({ length: total }, (_, i) => (i + 1) % 65535 || 1), '[MQTT-4.6.0-2] PUBACKs in PUBLISH order');

    // The subscriber resumes: what its window and queue held arrives in order; the rest was dropped.
    sub.socket.resume();
    const received: number[] = [];
    while (true) {
      const p = await sub.packet(4, 1_000).catch(() => undefined);
      if (p === undefined) break;
      assert.ok(p.cmd === 'publish');
      received.push(Number(p.payload.toString()));
      sub.send(mqttPacket.generate({ cmd: 'puback', messageId: p.messageId! }, { protocolVersion: 4 }));
    }
    assert.ok(received.length >= 1_000 && received.length <= 1_100 + 1, `its window and queue were kept (${received.length})`);
    assert.deepEqual(received, Array.from({ length: received.length }, (_, i) => i + 1), 'the first messages, in order, once');
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

  it('14-flow-control - [MQTT-4.6.0-3] QoS 2 to a congested subscriber: PUBRECs are not held, and go in PUBLISH order', async () => {
    const sub = await open();
    sub.send(connectPacket(5, 'q2bp-sub', { properties: { receiveMaximum: 1 } }));
    await sub.packet(5);
    sub.send(subscribePacket(5, 'q2bp/t', 1));
    await sub.packet(5);
    const pub = await open();
    pub.send(connectPacket(4, 'q2bp-pub'));
    await pub.expect(CONNACK_OK_V4);

    // One message in flight to the subscriber (Receive Maximum 1), the rest queued behind it.
    for (let round = 0; round < 3; round++) {
      const first = round * 100 + 1;
      for (let id = first; id < first + 100; id++) pub.send(publishPacket(4, 'q2bp/t', String(id), 2, { messageId: id }));
      for (let id = first; id < first + 100; id++) await pub.expect(`50 02 ${hexId(id)}`, `PUBREC ${id} at once`);
      // Release them, so the publisher stays under the 100 QoS 2 exchanges it may have open.
      for (let id = first; id < first + 100; id++) pub.send(`62 02 ${hexId(id)}`);
      for (let id = first; id < first + 100; id++) await pub.expect(`70 02 ${hexId(id)}`, `PUBCOMP ${id}`);
    }
    // The subscriber catches up (QoS 2 to its QoS 1 subscription goes at QoS 1), in order.
    for (let n = 1; n <= 300; n++) {
      const p = await sub.packet(5);
      assert.ok(p.cmd === 'publish' && p.payload.toString() === String(n), `message ${n} in order`);
      sub.send(mqttPacket.generate({ cmd: 'puback', messageId: p.messageId! }, { protocolVersion: 5 }));
    }
    sub.close();
    pub.close();
  });
});
