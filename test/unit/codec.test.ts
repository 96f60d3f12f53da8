import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { createMessage, createParser, encodePlainPublish, encodePublish, type Packet } from '../../src/protocol/codec.js';

function parseOne(buf: Buffer, version: 4 | 5): Packet {
  const parser = createParser();
  parser.settings.protocolVersion = version;
  let got: Packet | undefined;
  parser.on('packet', (p) => { got = p; });
  parser.parse(buf);
  assert.ok(got, 'a packet was parsed');
  return got;
}

describe('codec - shared PUBLISH encoding', () => {
  for (const version of [4, 5] as const) {
    it(`codec - v${version}: QoS 1 copies carry their own packet id; QoS 0 bytes are shared`, () => {
      const message = createMessage('a/b', Buffer.from('payload'), 1, false,
        version === 5 ? { contentType: 'text/plain', userProperties: { k: 'v' } } : undefined);
      const one = encodePublish(message, version, 1, false, 7, 0);
      const two = encodePublish(message, version, 1, false, 65535, 0);
      const p1 = parseOne(one, version);
      const p2 = parseOne(two, version);
      assert.equal(p1.cmd, 'publish');
      assert.equal(p1.messageId, 7);
      assert.equal(p2.messageId, 65535);
      if (p1.cmd === 'publish') {
        assert.equal(p1.topic, 'a/b');
        assert.equal(p1.payload.toString(), 'payload');
        if (version === 5) assert.equal(p1.properties?.contentType, 'text/plain');
      }
      assert.equal(encodePublish(message, version, 0, false, 0, 0), encodePublish(message, version, 0, false, 0, 0));
    });
  }
});

describe('codec - PUBLISH without properties', () => {
  // Remaining lengths of 1, 2 and 3 bytes, multi-byte UTF-8 topics, every QoS, retain both ways.
  const payloads = [0, 1, 100, 200, 20_000, 200_000].map((n) => Buffer.alloc(n, 0x61));
  for (const version of [3, 4, 5] as const) {
    it(`codec - v${version}: the same bytes as mqtt-packet's generate`, () => {
      for (const topic of ['a', 'bench/in/7', 'dévices/ü/€/𝄞']) {
        for (const payload of payloads) {
          for (const qos of [0, 1, 2] as const) {
            for (const retain of [false, true]) {
              const expected = mqttPacket.generate({
                cmd: 'publish', topic, payload, qos, retain, dup: false, ...(qos > 0 ? { messageId: 1 } : {}),
              }, { protocolVersion: version });
              assert.deepEqual(encodePlainPublish(topic, payload, version, qos, retain), expected, `${topic} ${payload.length} qos${qos} retain ${retain}`);
            }
          }
        }
      }
    });
  }
});
