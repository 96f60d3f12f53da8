/**
 * 08-keep-alive: the server closes a connection that stays silent for 1.5 times its keep-alive
 * [MQTT-3.1.2-22]. The aws profile clamps the keep-alive into keep-alive-min..keep-alive-max (AWS:
 * 30..1200 s); these tests set keep-alive-min 1 so the timeout comes in 1.5 s. The mqtt profile
 * keeps the client's value, and 0 turns keep-alive off [MQTT-3.1.2-10].
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformanceBroker, connectPacket, type RawClient } from '../helpers/raw-mqtt.js';

const silence = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('08-keep-alive - aws profile', () => {
  const { open } = conformanceBroker('keepalive-aws', { keepAliveMin: 1 });

  async function connected(version: 4 | 5, id: string, keepalive: number): Promise<[RawClient, Record<string, unknown> | undefined]> {
    const c = await open();
    c.send(connectPacket(version, id, { keepalive }));
    const connack = await c.packet(version);
    assert.ok(connack.cmd === 'connack' && (connack.reasonCode ?? connack.returnCode) === 0);
    return [c, connack.properties as Record<string, unknown> | undefined];
  }

  it('08-keep-alive - [MQTT-3.1.2-22] v3.1.1: silent for 1.5 x keep-alive, the connection is closed', async () => {
    const [c] = await connected(4, 'ka4', 1);
    await c.expectClose('', 5_000);
  });

  it('08-keep-alive - [MQTT-3.1.2-22] v5: silent for 1.5 x keep-alive, DISCONNECT 0x8D', async () => {
    const [c] = await connected(5, 'ka5', 1);
    await c.expectClose('e0 02 8d 00', 5_000);
  });

  it('08-keep-alive - a PINGREQ keeps the connection open', async () => {
    const [c] = await connected(4, 'ka-ping', 1);
    for (let i = 0; i < 3; i++) {
      await silence(700);
      c.send('c0 00');
      await c.expect('d0 00', 'PINGRESP');
    }
    assert.equal(c.closed, false, 'still open after 2.1 s with pings');
    c.close();
  });

  it('08-keep-alive - AWS: keep-alive 0 or over the max becomes the max (Server Keep Alive 1200)', async () => {
    const [zero, props] = await connected(5, 'ka-zero', 0);
    assert.equal(props?.serverKeepAlive, 1200);
    zero.close();
    const [over, props2] = await connected(5, 'ka-over', 5000);
    assert.equal(props2?.serverKeepAlive, 1200);
    over.close();
    const [asked, props3] = await connected(5, 'ka-asked', 60);
    assert.equal(props3?.serverKeepAlive, undefined, 'a value in range is granted as asked');
    asked.close();
  });
});

describe('08-keep-alive - mqtt profile', () => {
  const { open } = conformanceBroker('keepalive-mqtt', { profile: 'mqtt' });

  it('08-keep-alive - [MQTT-3.1.2-10] keep-alive 0 turns it off: no Server Keep Alive, no timeout', async () => {
    const c = await open();
    c.send(connectPacket(5, 'ka-off', { keepalive: 0 }));
    const connack = await c.packet(5);
    assert.ok(connack.cmd === 'connack');
    assert.equal(connack.properties?.serverKeepAlive, undefined);
    await silence(2_000);
    c.send('c0 00');
    await c.expect('d0 00', 'still answered');
    c.close();
  });

  it('08-keep-alive - [MQTT-3.1.2-22] the client\'s own keep-alive of 1 s is kept: closed after 1.5 s with a Reason String', async () => {
    const c = await open();
    c.send(connectPacket(5, 'ka-one', { keepalive: 1 }));
    const connack = await c.packet(5);
    assert.ok(connack.cmd === 'connack');
    assert.equal(connack.properties?.serverKeepAlive, undefined, 'not clamped');
    await c.expectClose('e0 17 8d 15 1f 0012 6b6565702d616c6976652074696d656f7574', 5_000);
  });
});
