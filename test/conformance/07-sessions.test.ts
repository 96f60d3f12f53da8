/**
 * 07-sessions: clean and persistent sessions as raw bytes, for MQTT 3.1.1 and 5: session present,
 * queued QoS 1 messages for an offline session, redelivery with DUP, expiry.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONNACK_OK_V4, conformanceBroker, connectPacket } from '../helpers/raw-mqtt.js';

describe('07-sessions', () => {
  const { open } = conformanceBroker('session-device');

  /** A 3.1.1 publisher that sends one QoS 1 PUBLISH of "m" with the given 1-byte payload to "s/t". */
  async function publishV4(id: string, payloadHex: string): Promise<void> {
    const pub = await open();
    pub.send(connectPacket(4, id));
    await pub.expect(CONNACK_OK_V4);
    pub.send(`32 08 0003 732f74 0001 ${payloadHex}`);
    await pub.expect('40 02 0001');
    pub.close();
  }

  it('07-sessions - [MQTT-3.2.2-2] 3.1.1 clean session 0: session present on return, queued QoS 1 delivered', async () => {
    const c = await open();
    c.send(connectPacket(4, 'persist-4', { clean: false }));
    await c.expect('20020000', 'no session yet');
    c.send('82 08 0001 0003 732f74 01');
    await c.expect('90 03 0001 01');
    c.send('e000');
    await c.expectClose();

    await publishV4('pub-a', '61');
    await publishV4('pub-b', '62');

    const back = await open();
    back.send(connectPacket(4, 'persist-4', { clean: false }));
    await back.expect('20020100', 'session present');
    await back.expect('32 08 0003 732f74 0001 61', 'first queued message');
    await back.expect('32 08 0003 732f74 0002 62', 'second queued message, in order');
    back.send('40 02 0001');
    back.send('40 02 0002');
    back.send('e000');
    await back.expectClose();
  });

  it('07-sessions - [MQTT-4.4.0-1] an unacknowledged QoS 1 message is resent with DUP and its packet id', async () => {
    const c = await open();
    c.send(connectPacket(4, 'redeliver', { clean: false }));
    await c.expect('20020000');
    c.send('82 08 0001 0003 732f74 01');
    await c.expect('90 03 0001 01');
    await publishV4('pub-c', '63');
    await c.expect('32 08 0003 732f74 0001 63');
    c.close(); // no PUBACK, no DISCONNECT

    await new Promise((r) => setTimeout(r, 100));
    const back = await open();
    back.send(connectPacket(4, 'redeliver', { clean: false }));
    await back.expect('20020100');
    await back.expect('3a 08 0003 732f74 0001 63', 'DUP set, same packet id');
    back.send('40 02 0001');
    back.send('e000');
    await back.expectClose();
  });

  it('07-sessions - [MQTT-3.1.2-4] clean session 1 discards the old session', async () => {
    const c = await open();
    c.send(connectPacket(4, 'discard-me', { clean: false }));
    await c.expect('20020000');
    c.send('82 08 0001 0003 732f74 01');
    await c.expect('90 03 0001 01');
    c.send('e000');
    await c.expectClose();
    await publishV4('pub-d', '64');

    const clean = await open();
    clean.send(connectPacket(4, 'discard-me', { clean: true }));
    await clean.expect('20020000', 'session present 0');
    await publishV4('pub-e', '65');
    assert.equal((await clean.read(1, 300)).length, 0, 'nothing delivered: the subscription went with the session');
    clean.close();
  });

  it('07-sessions - v5: Session Expiry Interval decides persistence and is capped at 7 days', async () => {
    const c = await open();
    c.send(connectPacket(5, 'v5-session', { clean: true, properties: { sessionExpiryInterval: 30 * 24 * 3600 } }));
    const connack = await c.packet(5);
    assert.ok(connack.cmd === 'connack');
    assert.equal(connack.sessionPresent, false);
    assert.equal(connack.properties?.sessionExpiryInterval, 7 * 24 * 3600, 'AWS: told the granted maximum');
    c.send('82 09 0001 00 0003 732f74 01');
    assert.equal((await c.packet(5)).cmd, 'suback');
    c.send('e0 00');
    await c.expectClose();

    await publishV4('pub-f', '66');
    const back = await open();
    back.send(connectPacket(5, 'v5-session', { clean: false, properties: { sessionExpiryInterval: 60 } }));
    const again = await back.packet(5);
    assert.ok(again.cmd === 'connack' && again.sessionPresent === true);
    const p = await back.packet(5);
    assert.ok(p.cmd === 'publish' && p.topic === 's/t' && p.payload.toString() === 'f');
    back.close();
  });

  it('07-sessions - v5: a session expires after its interval', async () => {
    const c = await open();
    c.send(connectPacket(5, 'short-lived', { clean: true, properties: { sessionExpiryInterval: 1 } }));
    await c.packet(5);
    c.send('e0 00');
    await c.expectClose();
    await new Promise((r) => setTimeout(r, 1_300));
    const back = await open();
    back.send(connectPacket(5, 'short-lived', { clean: false, properties: { sessionExpiryInterval: 1 } }));
    const connack = await back.packet(5);
    assert.ok(connack.cmd === 'connack' && connack.sessionPresent === false, 'the session expired');
    back.close();
  });

  it('07-sessions - v5: expiry 0 (the default) ends the session with the connection', async () => {
    const c = await open();
    c.send(connectPacket(5, 'no-expiry', { clean: true }));
    await c.packet(5);
    c.send('e0 00');
    await c.expectClose();
    const back = await open();
    back.send(connectPacket(5, 'no-expiry', { clean: false }));
    const connack = await back.packet(5);
    assert.ok(connack.cmd === 'connack' && connack.sessionPresent === false);
    back.close();
  });
});
