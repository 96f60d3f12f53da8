/**
 * 21-reason-strings: in the mqtt profile, MQTT 5 acknowledgements that refuse something say why in a
 * Reason String (PUBACK and PUBREC: not authorized, quota exceeded; SUBACK: not authorized, topic
 * filter invalid, quota exceeded; UNSUBACK: nothing to remove), unless the client's CONNECT set
 * Request Problem Information 0 [MQTT-3.1.2-29] or the string would pass its Maximum Packet Size
 * [MQTT-3.4.2-2]. The aws profile sends reason codes only, as AWS IoT does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { RawClient, connectPacket, hex, publishPacket, subscribePacket } from '../helpers/raw-mqtt.js';
import { createDevice, startTestTopicd, type Device, type TestTopicd } from '../helpers/topicd.js';

const ARN = 'arn:aws:iot:*:*:';
/** Connects anywhere, publishes and subscribes under ok/ only, receives everything. */
const OK_ONLY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: `${ARN}client/*` },
    { Effect: 'Allow', Action: 'iot:Publish', Resource: `${ARN}topic/ok/*` },
    { Effect: 'Allow', Action: 'iot:Subscribe', Resource: `${ARN}topicfilter/ok/*` },
    { Effect: 'Allow', Action: 'iot:Receive', Resource: `${ARN}topic/*` },
  ],
});

/**
 * The exact bytes of a v5 acknowledgement with a Reason String (property 0x1F), for reasons short
 * enough for one-byte lengths: `head` (packet id, and PUBACK/PUBREC's reason code) comes before the
 * properties, `codes` (SUBACK/UNSUBACK's reason codes) after them; all hex.
 */
function explained(header: string, head: string, why: string, codes = ''): Buffer {
  const text = Buffer.from(why);
  const properties = Buffer.concat([Buffer.from([3 + text.length, 0x1f, 0x00, text.length]), text]);
  const rest = Buffer.concat([hex(head), properties, hex(codes)]);
  return Buffer.concat([hex(header), Buffer.from([rest.length]), rest]);
}

/** Reads one whole packet, as bytes (remaining length under 128). */
async function rawPacket(c: RawClient): Promise<Buffer> {
  const head = await c.read(2);
  assert.equal(head.length, 2, 'a packet arrives');
  assert.ok(head[1]! < 0x80);
  return Buffer.concat([head, await c.read(head[1]!)]);
}

function brokerWithDevice(flags: Record<string, unknown>): { open(version: 5, clientId: string, properties?: mqttPacket.IConnectPacket['properties']): Promise<RawClient> } {
  let topicd: TestTopicd | undefined;
  let device: Device | undefined;
  before(async () => {
    topicd = await startTestTopicd(flags);
    device = await createDevice(topicd, `reasons-${String(flags['profile'] ?? 'aws')}-${Object.keys(flags).length}`, { name: 'reasons-ok-only', document: OK_ONLY });
  });
  after(() => topicd?.stop());
  return {
    async open(version, clientId, properties) {
      const c = await RawClient.open(topicd!.running.ports.mqtt, device!);
      c.send(connectPacket(version, clientId, properties ? { properties } : {}));
      const connack = await c.packet(version);
      assert.ok(connack.cmd === 'connack' && (connack.reasonCode ?? 0) === 0, 'connected');
      return c;
    },
  };
}

describe('21-reason-strings - mqtt profile', () => {
  const { open } = brokerWithDevice({ profile: 'mqtt' });

  it('21-reason-strings - mqtt: a refused QoS 1 publish gets PUBACK 0x87 saying why, a QoS 2 one PUBREC 0x87', async () => {
    const c = await open(5, 'why-publish');
    c.send(publishPacket(5, 'no/t', 'm', 1, { messageId: 1 }));
    await c.expect(explained('40', '0001 87', 'not authorized to publish to no/t'), 'PUBACK 0x87 with a Reason String');
    c.send(publishPacket(5, 'no/t', 'm', 2, { messageId: 2 }));
    await c.expect(explained('50', '0002 87', 'not authorized to publish to no/t'), 'PUBREC 0x87 with a Reason String');
    c.send(publishPacket(5, 'ok/t', 'm', 1, { messageId: 3 }));
    await c.expect('40 02 0003', 'an accepted publish: the 4-byte PUBACK');
    c.close();
  });

  it('21-reason-strings - mqtt: SUBACK says why each refused filter was refused; granted ones say nothing', async () => {
    const c = await open(5, 'why-subscribe');
    c.send(mqttPacket.generate({
      cmd: 'subscribe', messageId: 7,
      subscriptions: [{ topic: 'ok/a', qos: 1 }, { topic: 'no/a', qos: 1 }, { topic: 'ok/#/x', qos: 0 }],
    }, { protocolVersion: 5 }));
    await c.expect(explained('90', '0007',
      'no/a: not authorized to subscribe; ok/#/x: a # wildcard must be alone in the last level of the filter', '01 87 8f'), 'SUBACK with a Reason String');
    c.send(subscribePacket(5, 'ok/b', 0, {}, 8));
    await c.expect('90 04 0008 00 00', 'all granted: no Reason String');
    c.close();
  });

  it('21-reason-strings - mqtt: UNSUBACK says which filters had no subscription, and why one never could', async () => {
    const c = await open(5, 'why-unsubscribe');
    c.send(subscribePacket(5, 'ok/a', 1, {}, 1));
    await c.expect('90 04 0001 00 01');
    c.send(mqttPacket.generate({ cmd: 'unsubscribe', messageId: 2, unsubscriptions: ['ok/a', 'ok/none', 'ok/+x'] }, { protocolVersion: 5 }));
    await c.expect(explained('b0', '0002', 'ok/none: no subscription existed; ok/+x: a + wildcard must be alone in its level', '00 11 11'), 'UNSUBACK with a Reason String');
    c.close();
  });

  it('21-reason-strings - mqtt: [MQTT-3.1.2-29] Request Problem Information 0: reason codes only', async () => {
    const c = await open(5, 'why-quiet', { requestProblemInformation: false });
    c.send(publishPacket(5, 'no/t', 'm', 1, { messageId: 1 }));
    await c.expect('40 04 0001 87 00', 'PUBACK 0x87, no properties');
    c.send(publishPacket(5, 'no/t', 'm', 2, { messageId: 2 }));
    await c.expect('50 04 0002 87 00', 'PUBREC 0x87, no properties');
    c.send(subscribePacket(5, 'no/a', 1, {}, 3));
    await c.expect('90 04 0003 00 87', 'SUBACK 0x87, no properties');
    c.send(mqttPacket.generate({ cmd: 'unsubscribe', messageId: 4, unsubscriptions: ['ok/none'] }, { protocolVersion: 5 }));
    await c.expect('b0 04 0004 00 11', 'UNSUBACK 0x11, no properties');
    c.close();
  });

  it('21-reason-strings - mqtt: [MQTT-3.4.2-2] [MQTT-3.14.2-3] no Reason String where it would pass the client\'s Maximum Packet Size', async () => {
    const c = await open(5, 'why-small', { maximumPacketSize: 20 });
    c.send(publishPacket(5, 'no/t', 'm', 1, { messageId: 1 }));
    await c.expect('40 04 0001 87 00', 'PUBACK 0x87 without the string');
    // [MQTT-3.14.2-3] and the DISCONNECT for a topic with a wildcard goes without its string too
    c.send('30 06 0003 742f23 00');
    await c.expectClose('e0 02 90 00');
  });
});

describe('21-reason-strings - mqtt profile with quotas', () => {
  const { open } = brokerWithDevice({ profile: 'mqtt', publishRate: 1, maxFiltersPerSubscribe: 1 });

  it('21-reason-strings - mqtt: publishes over the rate get PUBACK 0x97 saying why', async () => {
    const c = await open(5, 'why-rate');
    // Five at once fall in at most two one-second windows: at most two pass.
    for (let i = 1; i <= 5; i++) c.send(publishPacket(5, 'ok/t', 'm', 1, { messageId: i }));
    let refused = 0;
    for (let i = 1; i <= 5; i++) {
      const ack = await rawPacket(c);
      if (ack.length === 4) {
        assert.equal(ack.toString('hex'), `4002000${i}`, 'accepted');
        continue;
      }
      refused++;
      assert.equal(ack.toString('hex'), explained('40', `000${i} 97`, 'over 1 PUBLISH per second on this connection').toString('hex'));
    }
    assert.ok(refused >= 3, `${refused} of 5 refused`);
    c.close();
  });

  it('21-reason-strings - mqtt: filters past the per-SUBSCRIBE limit get 0x97 saying why', async () => {
    const c = await open(5, 'why-filters');
    c.send(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'ok/a', qos: 0 }, { topic: 'ok/b', qos: 0 }] }, { protocolVersion: 5 }));
    await c.expect(explained('90', '0001', 'ok/b: over 1 filters in one SUBSCRIBE', '00 97'));
    c.close();
  });
});

describe('21-reason-strings - aws profile', () => {
  const { open } = brokerWithDevice({});

  it('21-reason-strings - AWS: refusals carry reason codes only', async () => {
    const c = await open(5, 'why-aws');
    c.send(publishPacket(5, 'no/t', 'm', 1, { messageId: 1 }));
    await c.expect('40 04 0001 87 00', 'PUBACK 0x87, no properties');
    c.send(subscribePacket(5, 'no/a', 1, {}, 2));
    await c.expect('90 04 0002 00 87', 'SUBACK 0x87, no properties');
    c.send(mqttPacket.generate({ cmd: 'unsubscribe', messageId: 3, unsubscriptions: ['ok/none'] }, { protocolVersion: 5 }));
    await c.expect('b0 04 0003 00 11', 'UNSUBACK 0x11, no properties');
    c.close();
  });
});
