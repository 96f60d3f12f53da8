/**
 * 13-malformed: bad bytes end that connection only, before anything is routed (issue 10, defect 5);
 * the broker keeps serving everyone else. v5 gets the reason code MQTT 5 prescribes (0x81 Malformed
 * Packet, 0x82 Protocol Error), as a CONNACK when the bad packet is the CONNECT; 3.1.1 is closed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONNACK_OK_V4, conformanceBroker, connectPacket, subscribePacket, type RawClient } from '../helpers/raw-mqtt.js';

describe('13-malformed', () => {
  const { open } = conformanceBroker('bad-device');
  let bystander: RawClient;

  before(async () => {
    bystander = await open();
    bystander.send(connectPacket(4, 'bystander'));
    await bystander.expect(CONNACK_OK_V4);
    // The bystander hears every topic: a bad packet that got routed would reach it before its PINGRESP.
    bystander.send(subscribePacket(4, '#', 0));
    await bystander.expect('9003000100');
  });
  after(() => bystander.close());

  const stillServes = async (): Promise<void> => {
    bystander.send('c000');
    await bystander.expect('d000', 'nothing was routed, and the bystander still gets PINGRESP');
  };

  const cases: Array<[string, 4 | 5, string, string]> = [
    ['[MQTT-3.8.1-1] SUBSCRIBE with reserved flags 0000', 4, '80 08 0001 0003 742f61 00', ''],
    ['[MQTT-2.2.2-2] PINGREQ with flags set', 4, 'c100', ''],
    ['a remaining length of five bytes', 4, '30 ff ff ff ff 7f', ''],
    ['[MQTT-3.3.1-4] PUBLISH with both QoS bits set', 4, '36 05 0003 742f61', ''],
    ['[MQTT-3.8.3-3] a SUBSCRIBE with no filters', 4, '82 02 0001', ''],
    ['[MQTT-3.10.3-2] an UNSUBSCRIBE with no filters', 5, 'a2 03 0001 00', 'e0028200'],
    ['a PUBREL (QoS 2 flows are not supported)', 4, '62 02 0001', ''],
    ['[MQTT-3.3.2-9] v5 PUBLISH with a topic alias over the maximum (8)', 5, '30 09 0003 742f61 03 23 0009', 'e0029400'],
    ['[MQTT-3.3.2-9] v5 PUBLISH with topic alias 0', 5, '30 09 0003 742f61 03 23 0000', 'e0029400'],
    ['[MQTT-3.3.2-12] v5 PUBLISH with an empty topic and an alias never set', 5, '30 06 0000 03 23 0001', 'e0028200'],
    ['v5 SUBSCRIBE with a subscription identifier', 5, '82 0b 0001 02 0b 01 0003 742f61 00', 'e002a100'],
    ['a packet announced over the size limit', 4, '30 ff ff 7f', ''],
    // issue 10, defect 5: a QoS 1 PUBLISH without a packet id was routed, then its PUBACK threw
    ['[MQTT-2.3.1-1] QoS 1 PUBLISH without a packet identifier', 4, '32 05 0003 742f61', ''],
    ['[MQTT-2.2.1-3] QoS 1 PUBLISH without a packet identifier', 5, '32 05 0003 742f61', 'e0028100'],
    ['[MQTT-2.3.1-1] QoS 1 PUBLISH with packet identifier 0', 4, '32 08 0003 742f61 0000 78', ''],
    ['[MQTT-2.2.1-3] QoS 1 PUBLISH with packet identifier 0', 5, '32 09 0003 742f61 0000 00 78', 'e0028200'],
    ['[MQTT-2.3.1-1] SUBSCRIBE with packet identifier 0', 4, '82 08 0000 0003 742f61 00', ''],
    ['[MQTT-2.2.1-3] SUBSCRIBE with packet identifier 0', 5, '82 09 0000 00 0003 742f61 00', 'e0028200'],
    ['[MQTT-2.3.1-1] UNSUBSCRIBE with packet identifier 0', 4, 'a2 07 0000 0003 742f61', ''],
    ['[MQTT-2.2.1-3] UNSUBSCRIBE with packet identifier 0', 5, 'a2 08 0000 00 0003 742f61', 'e0028200'],
    ['[MQTT-1.5.3-1] a topic name of ill-formed UTF-8', 4, '30 06 0003 74ff61 78', ''],
    ['[MQTT-1.5.4-1] a topic name of ill-formed UTF-8', 5, '30 07 0003 74ff61 00 78', 'e0028100'],
    ['[MQTT-1.5.3-1] a topic name holding a UTF-16 surrogate (ED A0 80)', 4, '30 06 0003 eda080 78', ''],
    ['[MQTT-1.5.4-1] a topic name holding a UTF-16 surrogate (ED A0 80)', 5, '30 07 0003 eda080 00 78', 'e0028100'],
    ['[MQTT-1.5.3-2] a topic name holding U+0000', 4, '30 06 0003 740061 78', ''],
    ['[MQTT-1.5.4-2] a topic name holding U+0000', 5, '30 07 0003 740061 00 78', 'e0028100'],
    ['[MQTT-1.5.3-1] a topic filter of ill-formed UTF-8 (overlong C0 AF)', 4, '82 08 0001 0003 74c0af 00', ''],
    ['[MQTT-1.5.4-1] a topic filter of ill-formed UTF-8 (overlong C0 AF)', 5, '82 09 0001 00 0003 74c0af 00', 'e0028100'],
    ['[MQTT-1.5.3-1] an UNSUBSCRIBE filter of ill-formed UTF-8', 4, 'a2 07 0001 0003 74ff61', ''],
    ['[MQTT-1.5.4-1] an UNSUBSCRIBE filter of ill-formed UTF-8', 5, 'a2 08 0001 00 0003 74ff61', 'e0028100'],
    ['[MQTT-1.5.7-1] a user property of ill-formed UTF-8', 5, '30 0f 0003 742f61 08 26 0001 6b 0002 76ff 78', 'e0028100'],
    ['MQTT 5 §3.3.2.3: Message Expiry Interval twice', 5, '30 11 0003 742f61 0a 02 0000003c 02 0000003c 78', 'e0028200'],
    ['MQTT 5 §3.3.2.3: Content Type twice', 5, '30 0f 0003 742f61 08 03 0001 61 03 0001 62 78', 'e0028200'],
    ['MQTT 5 §3.8.2.1.2: Subscription Identifier twice', 5, '82 0d 0001 04 0b01 0b02 0003 742f61 00', 'e0028200'],
    ['MQTT 5 §3.8.2.1.2: Subscription Identifier 0', 5, '82 0b 0001 02 0b00 0003 742f61 00', 'e0028200'],
    ['[MQTT-3.3.4-6] a PUBLISH from a client with a Subscription Identifier', 5, '30 09 0003 742f61 02 0b01 78', 'e0028200'],
    ['MQTT 5 §2.2.2.2: a property of another packet (Session Expiry in PUBLISH)', 5, '30 0c 0003 742f61 05 11 0000003c 78', 'e0028100'],
  ];
  for (const [what, version, bytes, reply] of cases) {
    it(`13-malformed - ${what}: connection closed${reply ? ` after DISCONNECT ${reply.slice(4, 6)}` : ''}`, async () => {
      const c = await open();
      c.send(connectPacket(version, `bad-${version}`));
      if (version === 4) await c.expect(CONNACK_OK_V4);
      else await c.packet(5);
      c.send(bytes);
      await c.expectClose(reply);
      await stillServes();
    });
  }

  // [MQTT-3.1] CONNECT as raw bytes: mqtt-packet's generator refuses to write most of these.
  const connect = (version: 4 | 5, properties: string, clientId: string, willAndRest = '', flags = '02'): string => {
    const body = `0004 4d515454 0${version} ${flags} 003c ${version === 5 ? properties : ''} ${clientId} ${willAndRest}`.replace(/\s+/g, '');
    return `10 ${(body.length / 2).toString(16).padStart(2, '0')} ${body}`;
  };
  const connectCases: Array<[string, 4 | 5, string, string]> = [
    ['[MQTT-1.5.3-1] a client id of ill-formed UTF-8', 4, connect(4, '', '0003 61ff62'), ''],
    ['[MQTT-1.5.4-1] a client id of ill-formed UTF-8', 5, connect(5, '00', '0003 61ff62'), '2003008100'],
    ['[MQTT-1.5.3-2] a client id holding U+0000', 4, connect(4, '', '0003 610062'), ''],
    ['[MQTT-1.5.4-2] a client id holding U+0000', 5, connect(5, '00', '0003 610062'), '2003008100'],
    ['[MQTT-1.5.3-1] a user name of ill-formed UTF-8', 4, connect(4, '', '0001 61', '0002 ff61', '82'), ''],
    ['[MQTT-1.5.4-1] a will topic of ill-formed UTF-8', 5, connect(5, '00', '0001 61', '00 0002 ff61 0001 78', '06'), '2003008100'],
    ['MQTT 5 §3.1.2.11.3: Receive Maximum 0', 5, connect(5, '03 21 0000', '0001 61'), '2003008200'],
    ['MQTT 5 §3.1.2.11.3: Receive Maximum twice', 5, connect(5, '06 21 000a 21 000a', '0001 61'), '2003008200'],
    ['MQTT 5 §3.1.2.11.4: Maximum Packet Size 0', 5, connect(5, '05 27 00000000', '0001 61'), '2003008200'],
    ['MQTT 5 §3.1.2.11.2: Session Expiry Interval twice', 5, connect(5, '0a 11 0000003c 11 0000003c', '0001 61'), '2003008200'],
    ['MQTT 5 §3.1.2.11.6: Request Problem Information of 2', 5, connect(5, '02 17 02', '0001 61'), '2003008200'],
  ];
  for (const [what, version, bytes, reply] of connectCases) {
    it(`13-malformed - v${version} CONNECT with ${what}: ${reply ? `CONNACK ${reply.slice(6, 8)}, then` : 'no CONNACK,'} closed`, async () => {
      const c = await open();
      c.send(bytes);
      await c.expectClose(reply);
      await stillServes();
    });
  }

  it('13-malformed - [MQTT-1.5.4-3] a BOM (EF BB BF) in a topic is a character like any other: kept, not stripped', async () => {
    const c = await open();
    c.send(connectPacket(4, 'bom-sender'));
    await c.expect(CONNACK_OK_V4);
    c.send('30 07 0004 efbbbf74 78');
    const got = await bystander.packet(4);
    assert.equal(got.cmd, 'publish');
    assert.equal(Buffer.from((got as { topic: string }).topic).toString('hex'), 'efbbbf74');
    c.close();
  });

  it('13-malformed - garbage instead of CONNECT: closed', async () => {
    const c = await open();
    c.send('10 03 ffffff');
    await c.expectClose();
    await stillServes();
  });
});
