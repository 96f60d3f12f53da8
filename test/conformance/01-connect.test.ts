/**
 * 01-connect: CONNECT and CONNACK as raw bytes, for MQTT 3.1.1 and 5.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONNACK_OK_V4, conformanceBroker, connectPacket } from '../helpers/raw-mqtt.js';

describe('01-connect', () => {
  const { open } = conformanceBroker('conn-device');

  it('01-connect - v3.1.1 clean CONNECT gets CONNACK 0 and PINGREQ a PINGRESP', async () => {
    const c = await open();
    c.send(connectPacket(4, 'c1'));
    await c.expect(CONNACK_OK_V4);
    c.send('c000');
    await c.expect('d000');
    c.close();
  });

  it('01-connect - v5 CONNECT gets CONNACK 0 with AWS capabilities', async () => {
    const c = await open();
    c.send(connectPacket(5, 'c5', { keepalive: 10 }));
    const connack = await c.packet(5);
    assert.equal(connack.cmd, 'connack');
    if (connack.cmd !== 'connack') return;
    assert.equal(connack.reasonCode, 0);
    assert.equal(connack.sessionPresent, false);
    assert.equal(connack.properties?.maximumQoS, 1);
    assert.equal(connack.properties?.retainAvailable, true);
    assert.equal(connack.properties?.subscriptionIdentifiersAvailable, false);
    assert.equal(connack.properties?.receiveMaximum, 100);
    // AWS IoT Core's own value: a 128 KB payload with room for its topic and properties (not 192 KiB)
    assert.equal(connack.properties?.maximumPacketSize, 149_504);
    // AWS: keep-alive under 30 s becomes 30, and the client is told
    assert.equal(connack.properties?.serverKeepAlive, 30);
    c.close();
  });

  it('01-connect - v5 empty client id gets an Assigned Client Identifier', async () => {
    const c = await open();
    c.send(connectPacket(5, ''));
    const connack = await c.packet(5);
    assert.ok(connack.cmd === 'connack' && /^topicd-/.test(connack.properties?.assignedClientIdentifier ?? ''));
    c.close();
  });

  it('01-connect - [MQTT-3.1.3-8] v3.1.1 empty client id without clean session: return code 2, close', async () => {
    const c = await open();
    // mqtt-packet will not encode this CONNECT, so it is written out: MQTT 4, flags 0 (no clean session), keep-alive 60, client id ""
    c.send('10 0c 0004 4d515454 04 00 003c 0000');
    await c.expectClose('20020002');
  });

  it('01-connect - [MQTT-3.1.2-2] protocol level 3 (MQIsdp): return code 1, close', async () => {
    const c = await open();
    c.send(connectPacket(4, 'old', { protocolId: 'MQIsdp', protocolVersion: 3 }));
    await c.expectClose('20020001');
  });

  it('01-connect - AWS: a client id over 128 bytes or starting with $ is refused', async () => {
    for (const [version, id, reply] of [[4, 'x'.repeat(129), '20020002'], [4, '$sys', '20020002'], [5, 'y'.repeat(129), '2003008500']] as const) {
      const c = await open();
      c.send(connectPacket(version, id));
      await c.expectClose(reply);
    }
  });

  it('01-connect - [MQTT-3.1.0-1] a first packet other than CONNECT: closed without a reply', async () => {
    const c = await open();
    c.send('c000');
    await c.expectClose();
  });

  it('01-connect - [MQTT-3.1.0-2] a second CONNECT: closed', async () => {
    const c = await open();
    c.send(connectPacket(4, 'twice'));
    await c.expect(CONNACK_OK_V4);
    c.send(connectPacket(4, 'twice'));
    await c.expectClose();
  });

  it('01-connect - AWS: an unknown username (the device SDK metrics string) is ignored', async () => {
    const c = await open();
    c.send(connectPacket(4, 'sdk', { username: '?SDK=NodeJSv2&Version=1.0.0' }));
    await c.expect(CONNACK_OK_V4);
    c.close();
  });

  it('01-connect - takeover: the older connection is closed; v5 is told 0x8E', async () => {
    const first = await open();
    first.send(connectPacket(5, 'same-id'));
    await first.packet(5);
    const second = await open();
    second.send(connectPacket(4, 'same-id'));
    await second.expect(CONNACK_OK_V4);
    await first.expectClose('e0028e00');
    second.close();
  });
});
