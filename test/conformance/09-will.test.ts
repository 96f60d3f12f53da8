/**
 * 09-will: last will for MQTT 3.1.1 and 5: sent on a lost connection, not on DISCONNECT, v5 reason
 * 0x04 asks for it, and v5 Will Delay Interval (cancelled by a reconnect, bounded by the session).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONNACK_OK_V4, conformanceBroker, connectPacket, subscribePacket, type RawClient } from '../helpers/raw-mqtt.js';

describe('09-will', () => {
  const { open } = conformanceBroker('will-device');
  let watcher: RawClient;

  before(async () => {
    watcher = await open();
    watcher.send(connectPacket(4, 'will-watcher'));
    await watcher.expect(CONNACK_OK_V4);
    watcher.send(subscribePacket(4, 'wills/#', 0));
    await watcher.packet(4);
  });
  after(() => watcher.close());

  const withWill = (version: 4 | 5, id: string, topic: string, delay?: number, expiry?: number): Buffer => connectPacket(version, id, {
    will: { topic, payload: Buffer.from(id), qos: 0, retain: false, ...(delay === undefined ? {} : { properties: { willDelayInterval: delay } }) },
    ...(expiry === undefined ? {} : { properties: { sessionExpiryInterval: expiry } }),
  });
  const nextWill = async (timeoutMs = 3_000): Promise<string | undefined> => {
    const head = await watcher.read(1, timeoutMs);
    if (head.length === 0) return undefined;
    const lengthByte = await watcher.read(1);
    const body = await watcher.read(lengthByte[0]!);
    const topicLength = body.readUInt16BE(0);
    return `${body.subarray(2, 2 + topicLength).toString()}=${body.subarray(2 + topicLength).toString()}`;
  };

  for (const version of [4, 5] as const) {
    it(`09-will - v${version === 4 ? '3.1.1' : '5'}: [MQTT-3.1.2-8] a lost connection sends the will; DISCONNECT does not`, async () => {
      const polite = await open();
      polite.send(withWill(version, `polite-${version}`, `wills/polite${version}`));
      await polite.packet(version);
      polite.send(version === 4 ? 'e000' : 'e0 00');
      await polite.expectClose(undefined);
      const lost = await open();
      lost.send(withWill(version, `lost-${version}`, `wills/lost${version}`));
      await lost.packet(version);
      await new Promise((r) => setTimeout(r, 50));
      lost.socket.destroy();
      assert.equal(await nextWill(), `wills/lost${version}=lost-${version}`);
    });
  }

  it('09-will - v5: [MQTT-3.14.4-3] DISCONNECT with reason 0x04 sends the will', async () => {
    const c = await open();
    c.send(withWill(5, 'asks', 'wills/asks'));
    await c.packet(5);
    c.send('e0 01 04');
    assert.equal(await nextWill(), 'wills/asks=asks');
  });

  it('09-will - v5: [MQTT-3.1.3-9] a will delay is cancelled when the client id reconnects in time', async () => {
    const c = await open();
    c.send(withWill(5, 'delayed', 'wills/delayed', 1, 60));
    await c.packet(5);
    c.socket.destroy();
    await new Promise((r) => setTimeout(r, 200));
    const back = await open();
    back.send(connectPacket(5, 'delayed', { clean: false, properties: { sessionExpiryInterval: 60 } }));
    await back.packet(5);
    assert.equal(await nextWill(1_500), undefined, 'no will after the delay: the client came back');
    back.close();
  });

  it('09-will - v5: a delayed will goes out after its delay; the session end bounds it', async () => {
    const c = await open();
    c.send(withWill(5, 'late', 'wills/late', 1, 60));
    await c.packet(5);
    const lostAt = Date.now();
    c.socket.destroy();
    assert.equal(await nextWill(), 'wills/late=late');
    assert.ok(Date.now() - lostAt >= 900, 'not before the delay');

    const bounded = await open();
    bounded.send(withWill(5, 'bounded', 'wills/bounded', 600)); // session expiry 0: ends with the connection
    await bounded.packet(5);
    bounded.socket.destroy();
    assert.equal(await nextWill(1_000), 'wills/bounded=bounded', 'sent when the session ended, not after 600 s');
  });
});
