/**
 * 11-topic-aliases: inbound topic aliases (MQTT 5 only; 3.1.1 has none). AWS: Topic Alias Maximum 8.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformanceBroker, connectPacket } from '../helpers/raw-mqtt.js';

describe('11-topic-aliases', () => {
  const { open } = conformanceBroker('alias-device');

  it('11-topic-aliases - CONNACK advertises Topic Alias Maximum 8', async () => {
    const c = await open();
    c.send(connectPacket(5, 'alias-max'));
    const connack = await c.packet(5);
    assert.ok(connack.cmd === 'connack');
    assert.equal(connack.properties?.topicAliasMaximum, 8);
    c.close();
  });

  it('11-topic-aliases - [MQTT-3.3.2-12] an alias set with a topic stands for it in later PUBLISHes', async () => {
    const sub = await open();
    sub.send(connectPacket(4, 'alias-sub'));
    await sub.expect('20020000');
    sub.send('82 08 0001 0003 612f62 01');
    await sub.expect('90 03 0001 01');

    const pub = await open();
    pub.send(connectPacket(5, 'alias-pub'));
    await pub.packet(5);
    // QoS 1 PUBLISH "a/b" id 1, alias 3, payload "x"; then QoS 1 with empty topic, alias 3, payload "y"
    pub.send('32 0c 0003 612f62 0001 03 23 0003 78');
    await pub.expect('40 02 0001');
    pub.send('32 09 0000 0002 03 23 0003 79');
    await pub.expect('40 02 0002');
    await sub.expect('32 08 0003 612f62 0001 78');
    await sub.expect('32 08 0003 612f62 0002 79', 'the subscriber sees the full topic');
    pub.close();
    sub.close();
  });

  it('11-topic-aliases - [MQTT-3.3.2-7] aliases end with the connection', async () => {
    const first = await open();
    first.send(connectPacket(5, 'alias-life'));
    await first.packet(5);
    first.send('30 0a 0003 612f62 03 23 0001 78');
    first.send('e0 00');
    await first.expectClose();
    const again = await open();
    again.send(connectPacket(5, 'alias-life'));
    await again.packet(5);
    again.send('30 06 0000 03 23 0001');
    await again.expectClose('e0028200');
  });
});
