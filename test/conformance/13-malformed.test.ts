/**
 * 13-malformed: bad bytes end that connection only; the broker keeps serving everyone else.
 */
import { after, before, describe, it } from 'node:test';
import { CONNACK_OK_V4, conformanceBroker, connectPacket, type RawClient } from '../helpers/raw-mqtt.js';

describe('13-malformed', () => {
  const { open } = conformanceBroker('bad-device');
  let bystander: RawClient;

  before(async () => {
    bystander = await open();
    bystander.send(connectPacket(4, 'bystander'));
    await bystander.expect(CONNACK_OK_V4);
  });
  after(() => bystander.close());

  const stillServes = async (): Promise<void> => {
    bystander.send('c000');
    await bystander.expect('d000', 'the bystander still gets PINGRESP');
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

  it('13-malformed - garbage instead of CONNECT: closed', async () => {
    const c = await open();
    c.send('10 03 ffffff');
    await c.expectClose();
    await stillServes();
  });
});
