/**
 * 17-outbound-aliases: in the mqtt profile the server sets topic aliases on PUBLISH packets to a v5
 * client that allows them (CONNECT Topic Alias Maximum), never more than it allows [MQTT-3.3.2-11].
 * The aws profile never does, as AWS IoT.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conformanceBroker, connectPacket, publishPacket, subscribePacket, type RawClient } from '../helpers/raw-mqtt.js';

async function subscriber(open: () => Promise<RawClient>, id: string, filter: string, topicAliasMaximum?: number): Promise<RawClient> {
  const c = await open();
  c.send(connectPacket(5, id, topicAliasMaximum === undefined ? {} : { properties: { topicAliasMaximum } }));
  assert.equal((await c.packet(5)).cmd, 'connack');
  c.send(subscribePacket(5, filter, 0));
  assert.equal((await c.packet(5)).cmd, 'suback');
  return c;
}

async function publisher(open: () => Promise<RawClient>, id: string): Promise<RawClient> {
  const c = await open();
  c.send(connectPacket(5, id));
  assert.equal((await c.packet(5)).cmd, 'connack');
  return c;
}

describe('17-outbound-aliases - mqtt profile', () => {
  const { open } = conformanceBroker('aliases-mqtt', { profile: 'mqtt' });

  it('17-outbound-aliases - [MQTT-3.3.2-11] the first message on a topic sets an alias, later ones send it alone, within the client\'s maximum', async () => {
    const sub = await subscriber(open, 'oa-sub', 'oa/#', 2);
    const pub = await publisher(open, 'oa-pub');
    const expected: Array<[string, string, number | undefined]> = [
      // published topic, topic field received, alias received
      ['oa/1', 'oa/1', 1],
      ['oa/1', '', 1],
      ['oa/2', 'oa/2', 2],
      ['oa/3', 'oa/3', undefined],
      ['oa/1', '', 1],
      ['oa/3', 'oa/3', undefined],
    ];
    for (const [topic, field, alias] of expected) {
      pub.send(publishPacket(5, topic, `to ${topic}`, 0));
      const p = await sub.packet(5);
      assert.ok(p.cmd === 'publish');
      assert.equal(p.topic, field, `topic field for ${topic}`);
      assert.equal(p.properties?.topicAlias, alias, `alias for ${topic}`);
      assert.equal(p.payload.toString(), `to ${topic}`);
    }
    pub.close();
    sub.close();
  });

  it('17-outbound-aliases - a client that allows no aliases gets full topics', async () => {
    const sub = await subscriber(open, 'oa-none', 'oan/#');
    const pub = await publisher(open, 'oa-none-pub');
    for (let i = 0; i < 2; i++) {
      pub.send(publishPacket(5, 'oan/t', 'x', 0));
      const p = await sub.packet(5);
      assert.ok(p.cmd === 'publish' && p.topic === 'oan/t' && p.properties?.topicAlias === undefined);
    }
    pub.close();
    sub.close();
  });

  it('17-outbound-aliases - [MQTT-3.3.2-7] aliases start over on a new connection', async () => {
    const first = await subscriber(open, 'oa-again', 'oaa/#', 4);
    const pub = await publisher(open, 'oa-again-pub');
    pub.send(publishPacket(5, 'oaa/t', 'x', 0));
    assert.equal((await first.packet(5) as { topic: string }).topic, 'oaa/t');
    first.close();
    const second = await subscriber(open, 'oa-again', 'oaa/#', 4);
    pub.send(publishPacket(5, 'oaa/t', 'y', 0));
    const p = await second.packet(5);
    assert.ok(p.cmd === 'publish' && p.topic === 'oaa/t' && p.properties?.topicAlias === 1, 'the topic is sent again with the alias');
    pub.close();
    second.close();
  });
});

describe('17-outbound-aliases - aws profile', () => {
  const { open } = conformanceBroker('aliases-aws');

  it('17-outbound-aliases - AWS: the server sets no topic aliases, even when the client allows them', async () => {
    const sub = await subscriber(open, 'oa-aws', 'oaw/#', 10);
    const pub = await publisher(open, 'oa-aws-pub');
    for (let i = 0; i < 2; i++) {
      pub.send(publishPacket(5, 'oaw/t', 'x', 0));
      const p = await sub.packet(5);
      assert.ok(p.cmd === 'publish' && p.topic === 'oaw/t' && p.properties?.topicAlias === undefined);
    }
    pub.close();
    sub.close();
  });
});
