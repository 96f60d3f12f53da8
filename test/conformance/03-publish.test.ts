/**
 * 03-publish: PUBLISH in and out at QoS 0 and 1 as raw bytes, for MQTT 3.1.1 and 5.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONNACK_OK_V4, conformanceBroker, connectPacket, type RawClient } from '../helpers/raw-mqtt.js';

describe('03-publish', () => {
  const { open } = conformanceBroker('pub-device');

  async function connected(version: 4 | 5, id: string): Promise<RawClient> {
    const c = await open();
    c.send(connectPacket(version, id));
    if (version === 4) await c.expect(CONNACK_OK_V4);
    else assert.equal((await c.packet(5)).cmd, 'connack');
    return c;
  }

  it('03-publish - v3.1.1: QoS 1 in is acknowledged; subscriber gets QoS 0 and QoS 1 copies with its own ids', async () => {
    const sub = await connected(4, 'sub4');
    // SUBSCRIBE id 1: "t/+" QoS 1
    sub.send('82 08 0001 0003 742f2b 01');
    await sub.expect('90 03 0001 01', 'SUBACK granted QoS 1');
    const pub = await connected(4, 'pub4');
    // PUBLISH QoS 1 id 0x1234 topic "t/a" payload "hi"
    pub.send('32 09 0003 742f61 1234 6869');
    await pub.expect('40 02 1234', 'PUBACK');
    await sub.expect('32 09 0003 742f61 0001 6869', 'delivered at QoS 1 with packet id 1');
    sub.send('40 02 0001');
    // QoS 0 in -> QoS 0 out, same bytes
    pub.send('30 07 0003 742f62 6869');
    await sub.expect('30 07 0003 742f62 6869');
    pub.close();
    sub.close();
  });

  it('03-publish - v5: QoS 1 out carries the properties of the publisher', async () => {
    const sub = await connected(5, 'sub5');
    sub.send('82 09 0001 00 0003 752f31 01');
    assert.equal((await sub.packet(5)).cmd, 'suback');
    const pub = await connected(5, 'pub5');
    // PUBLISH QoS 1 id 7, topic "u/1", properties: content type (0x03) "a/b", payload "x"
    pub.send('32 0f 0003 752f31 0007 06 03 0003 612f62 78');
    await pub.expect('40 02 0007', 'PUBACK');
    const p = await sub.packet(5);
    assert.ok(p.cmd === 'publish');
    assert.equal(p.topic, 'u/1');
    assert.equal(p.qos, 1);
    assert.equal(p.properties?.contentType, 'a/b');
    assert.equal(p.payload.toString(), 'x');
    pub.close();
    sub.close();
  });

  it('03-publish - AWS: QoS 2 is not supported: v3.1.1 closed, v5 DISCONNECT 0x9B', async () => {
    const c4 = await connected(4, 'q2-4');
    c4.send('34 07 0003 742f61 0001');
    await c4.expectClose();
    const c5 = await connected(5, 'q2-5');
    c5.send('34 08 0003 742f61 0001 00');
    await c5.expectClose('e0029b00');
  });

  it('03-publish - [MQTT-3.3.2-2] a wildcard in a PUBLISH topic: v3.1.1 closed, v5 DISCONNECT 0x90', async () => {
    const c4 = await connected(4, 'wild-4');
    c4.send('30 05 0003 742f23');
    await c4.expectClose();
    const c5 = await connected(5, 'wild-5');
    c5.send('30 06 0003 742f2b 00');
    await c5.expectClose('e0029000');
  });

  it('03-publish - AWS: a publish to a reserved topic no service serves ends the connection: v3.1.1 closed, v5 DISCONNECT 0x90', async () => {
    // AWS: "Unsupported publish or subscribe operations to reserved topics can result in a terminated connection."
    const c5 = await connected(5, 'aws-5');
    // topic "$aws/x" (6 bytes), id 2, no properties
    c5.send('32 0b 0006 246177732f78 0002 00');
    await c5.expectClose('e0029000');
    const c4 = await connected(4, 'aws-4');
    c4.send('30 08 0006 246177732f78');
    await c4.expectClose();
  });
});
