import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMessage, createParser, encodePublish, type Packet } from '../../src/protocol/codec.js';

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
      const one = encodePublish(message, version, 1, false, 7);
      const two = encodePublish(message, version, 1, false, 65535);
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
      assert.equal(encodePublish(message, version, 0, false, 0), encodePublish(message, version, 0, false, 0));
    });
  }
});
