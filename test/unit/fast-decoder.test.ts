import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';
import type { PacketParser } from '../../src/protocol/codec.js';
import { createFastDecoder } from '../../src/protocol/fast-decoder.js';
import { checkFrame } from '../../src/protocol/packet-rules.js';
import { mutateFrame, validFrame } from '../fuzz/mqtt-fuzz.js';
import { fuzzSeed, Random } from '../fuzz/random.js';

type Event = { packet: Record<string, unknown>; keys: string[] } | { error: string };

/** What a parser emits for these chunks: packets (own fields, in order) and error messages. */
function run(parser: PacketParser, chunks: Buffer[], version: 4 | 5): Event[] {
  parser.settings.protocolVersion = version;
  const events: Event[] = [];
  parser.on('packet', (p: Packet) => events.push({ packet: { ...p }, keys: Object.keys(p) }));
  parser.on('error', (err: Error) => events.push({ error: err.message }));
  for (const chunk of chunks) parser.parse(chunk);
  return events;
}

const reference = (chunks: Buffer[], version: 4 | 5): Event[] =>
  run(mqttPacket.parser({ protocolVersion: version }) as unknown as PacketParser, chunks, version);

/** Where the frame at `at` ends, or undefined when its fixed header is bad or incomplete. */
function frameAt(bytes: Buffer, at: number): { bodyStart: number; end: number } | undefined {
  let remaining = 0;
  for (let i = 1; i <= 4 && at + i < bytes.length; i++) {
    const b = bytes[at + i]!;
    remaining += (b & 0x7f) * 128 ** (i - 1);
    if ((b & 0x80) === 0) return { bodyStart: at + i + 1, end: at + i + 1 + remaining };
  }
  return undefined;
}

/**
 * The decoder's contract, independent of chunking: each frame fed alone to mqtt-packet, what it accepts
 * then held to packet-rules; events up to the first error.
 */
function strictReference(bytes: Buffer, version: 4 | 5): Event[] {
  const events: Event[] = [];
  for (let at = 0; at < bytes.length;) {
    const frame = frameAt(bytes, at);
    const end = Math.min(frame?.end ?? bytes.length, bytes.length);
    const parser = mqttPacket.parser({ protocolVersion: version });
    let got: Event | undefined;
    parser.on('packet', (p: Packet) => { got ??= { packet: { ...p }, keys: Object.keys(p) }; });
    parser.on('error', (err: Error) => { got ??= { error: err.message }; });
    parser.parse(bytes.subarray(at, end));
    if (got === undefined) break;
    const broken = 'error' in got || frame === undefined ? undefined : checkFrame(bytes, at, frame.bodyStart, end, version);
    events.push(broken === undefined ? got : { error: broken.message });
    if ('error' in events[events.length - 1]!) break;
    at = end;
  }
  return events;
}

/** The events up to the first error: after one the channel closes the connection and ignores the rest. */
function untilError(events: Event[]): Event[] {
  const i = events.findIndex((e) => 'error' in e);
  return i < 0 ? events : events.slice(0, i + 1);
}

/**
 * The fast decoder's output equals the strict reference's (mqtt-packet's, then packet-rules') for the
 * stream cut into these chunks, up to the first error (after one the decoder restarts with the next chunk).
 */
function same(bytes: Buffer, version: 4 | 5, cuts: number[], what: string): void {
  const chunks: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    chunks.push(bytes.subarray(at, cut));
    at = cut;
  }
  assert.deepStrictEqual(untilError(run(createFastDecoder(), chunks, version)), strictReference(bytes, version), `${what}, cut at ${cuts.join(',')}`);
}

/** Every split of the stream into two chunks, one-byte chunks, and in one chunk. */
function sameEverySplit(bytes: Buffer, version: 4 | 5, what: string): void {
  // What packet-rules lets through is mqtt-packet's packet, unchanged.
  const strict = strictReference(bytes, version);
  if (!strict.some((e) => 'error' in e)) assert.deepStrictEqual(strict, reference([bytes], version), `${what}: mqtt-packet's packets`);
  same(bytes, version, [], what);
  for (let i = 1; i < bytes.length; i++) same(bytes, version, [i], what);
  same(bytes, version, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1), what);
}

const gen = (packet: Record<string, unknown>, version: 4 | 5): Buffer =>
  mqttPacket.generate(packet as unknown as Packet, { protocolVersion: version });

const TOPICS = ['a', 'bench/in/7', 'dévices/ü/€/𝄞/température'];

/** PUBLISH packets: every QoS, retain, dup, the given payload sizes. */
function publishes(version: 4 | 5, payloadSizes: number[], properties?: Record<string, unknown>): Buffer[] {
  const out: Buffer[] = [];
  for (const topic of TOPICS) {
    for (const size of payloadSizes) {
      for (const qos of [0, 1, 2]) {
        for (const retain of [false, true]) {
          for (const dup of qos > 0 ? [false, true] : [false]) {
            out.push(gen({
              cmd: 'publish', topic, payload: Buffer.alloc(size, size % 251), qos, retain, dup,
              ...(qos > 0 ? { messageId: 1 + size % 65535 } : {}), ...(properties ? { properties } : {}),
            }, version));
          }
        }
      }
    }
  }
  return out;
}

const V5_PROPERTIES: Array<Record<string, unknown>> = [
  { payloadFormatIndicator: true, messageExpiryInterval: 0 },
  { payloadFormatIndicator: false, messageExpiryInterval: 4_000_000_000, contentType: 'text/plain; charset=ü' },
  { responseTopic: 'reply/😀', correlationData: Buffer.from([0, 1, 2, 255]) },
  { topicAlias: 7 },
  { userProperties: { a: 'b', 'ключ': ['v1', 'v2', 'v3'], empty: '' } },
  { userProperties: { k: 'v' }, contentType: 'x', topicAlias: 3, messageExpiryInterval: 60, responseTopic: 'r' },
];

const controls = (version: 4 | 5): Buffer[] => [
  gen({ cmd: 'pingreq' }, version),
  ...(['puback', 'pubrec', 'pubrel', 'pubcomp'] as const).flatMap((cmd) => [
    gen({ cmd, messageId: 1 }, version),
    gen({ cmd, messageId: 65535 }, version),
    ...(version === 5 ? [
      gen({ cmd, messageId: 9, reasonCode: cmd === 'pubrel' || cmd === 'pubcomp' ? 0x92 : 0x10 }, version),
      gen({ cmd, messageId: 9, reasonCode: 0x80, properties: { reasonString: 'no' } }, version),
    ] : []),
  ]),
];

describe('fast decoder - equals mqtt-packet', () => {
  for (const version of [4, 5] as const) {
    it(`fast decoder - v${version}: PUBLISH at every QoS and flag, remaining lengths at the 1/2/3-byte boundaries, split at every byte`, () => {
      // remaining length = 2 + topic bytes + 2 (QoS > 0) + 1 (v5 properties) + payload: sizes around 127/128 and 16383/16384
      for (const bytes of publishes(version, [0, 1, 120, 121, 122, 123, 124, 125, 126, 127])) sameEverySplit(bytes, version, 'publish');
      for (const bytes of publishes(version, [16_370, 16_371, 16_372, 16_373, 16_374, 16_375, 16_376, 16_377, 16_378, 16_379])) {
        for (const cut of [1, 2, 3, 4, 5, 100, bytes.length - 1]) same(bytes, version, [cut], 'publish 2-3 byte length');
        same(bytes, version, [], 'publish 2-3 byte length');
      }
    });

    it(`fast decoder - v${version}: a 4-byte remaining length, across many chunks`, () => {
      const bytes = gen({ cmd: 'publish', topic: 'big', payload: Buffer.alloc(2_097_152, 7), qos: 1, retain: false, dup: false, messageId: 5 }, version);
      assert.equal(bytes[4]! & 0x80, 0);
      assert.notEqual(bytes[3]! & 0x80, 0, '4 length bytes');
      const cuts: number[] = [];
      for (let at = 3; at < bytes.length; at += 16_384) cuts.push(at);
      same(bytes, version, cuts, 'publish 4-byte length');
      same(bytes, version, [], 'publish 4-byte length, one chunk');
    });

    it(`fast decoder - v${version}: PUBACK, PUBREC, PUBREL, PUBCOMP and PINGREQ, split at every byte`, () => {
      for (const bytes of controls(version)) sameEverySplit(bytes, version, 'control');
    });

    it(`fast decoder - v${version}: a stream mixing fast and mqtt-packet packets, split at every byte`, () => {
      const stream = Buffer.concat([
        gen({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'a/#', qos: 1 }] }, version),
        ...publishes(version, [3]).slice(0, 8),
        ...controls(version),
        gen({ cmd: 'unsubscribe', messageId: 4, unsubscriptions: ['a/#'] }, version),
        gen({ cmd: 'publish', topic: 'x', payload: Buffer.from('y'), qos: 0, retain: false, dup: false }, version),
        gen({ cmd: 'disconnect' }, version),
      ]);
      sameEverySplit(stream, version, 'mixed stream');
    });
  }

  it('fast decoder - v5: PUBLISH properties (user properties, topic alias, subscription ids, UTF-8), split at every byte', () => {
    for (const properties of V5_PROPERTIES) {
      for (const bytes of publishes(5, [0, 50], properties)) sameEverySplit(bytes, 5, JSON.stringify(properties));
    }
    // an empty topic with a topic alias [MQTT-3.3.2-8]
    sameEverySplit(gen({ cmd: 'publish', topic: '', payload: Buffer.from('p'), qos: 1, retain: false, dup: false, messageId: 2, properties: { topicAlias: 1 } }, 5), 5, 'alias');
  });

  it('fast decoder - v5: properties it leaves to mqtt-packet (unknown to PUBLISH, repeated, Subscription Identifier) give the strict answer', () => {
    // topicAlias (35) twice, the first 0; payloadFormatIndicator twice; Session Expiry (17, not a PUBLISH
    // property); Subscription Identifier (11) once and twice [MQTT-3.3.4-6]
    for (const props of [[35, 0, 0, 35, 0, 5], [1, 0, 1, 1], [1, 1, 1, 0], [17, 0, 0, 0, 9], [11, 7], [11, 1, 11, 2]]) {
      const body = Buffer.from([0, 1, 0x61, 0, 1, props.length, ...props, 0x70]);
      sameEverySplit(Buffer.concat([Buffer.from([0x32, body.length]), body]), 5, `properties ${props.join(',')}`);
    }
  });

  it('fast decoder - v3 CONNECT then v5: the version the channel sets after CONNECT holds for the packets after it', () => {
    const stream = Buffer.concat([
      gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'c', clean: true, keepalive: 30 }, 5),
      gen({ cmd: 'publish', topic: 't', payload: Buffer.from('p'), qos: 1, retain: false, dup: false, messageId: 1, properties: { topicAlias: 2 } }, 5),
      gen({ cmd: 'puback', messageId: 1, reasonCode: 0x10 }, 5),
    ]);
    const collect = (parser: PacketParser, chunks: Buffer[]): Event[] => {
      const events: Event[] = [];
      parser.on('packet', (p: Packet) => {
        if (p.cmd === 'connect' && p.protocolVersion === 5) parser.settings.protocolVersion = 5;
        events.push({ packet: { ...p }, keys: Object.keys(p) });
      });
      parser.on('error', (err: Error) => events.push({ error: err.message }));
      for (const chunk of chunks) parser.parse(chunk);
      return events;
    };
    const expected = collect(mqttPacket.parser({ protocolVersion: 4 }) as unknown as PacketParser, [stream]);
    assert.equal(expected.length, 3);
    for (let i = 0; i <= stream.length; i++) {
      assert.deepStrictEqual(collect(createFastDecoder(), [stream.subarray(0, i), stream.subarray(i)]), expected, `cut at ${i}`);
    }
  });
});

describe('fast decoder - malformed input gets mqtt-packet\'s errors', () => {
  const ok = (version: 4 | 5): Buffer => gen({ cmd: 'publish', topic: 'ok', payload: Buffer.from('1'), qos: 1, retain: false, dup: false, messageId: 1 }, version);
  const cases: Array<[string, number[]]> = [
    ['PUBLISH with both QoS bits set', [0x36, 5, 0, 1, 0x61, 0, 1]],
    ['PUBACK with flag bits set', [0x42, 2, 0, 1]],
    ['PUBREL without its flag bits', [0x60, 2, 0, 1]],
    ['PINGREQ with flag bits set', [0xc1, 0]],
    ['a reserved packet type', [0x00, 0]],
    ['a remaining length over 4 bytes', [0x30, 0xff, 0xff, 0xff, 0xff, 0x01]],
    ['a topic longer than the packet', [0x30, 4, 0, 9, 0x61, 0x62]],
    ['a PUBLISH of one byte', [0x30, 1, 0]],
    ['an unknown property', [0x30, 7, 0, 1, 0x61, 2, 0x7f, 0, 0x70]],
    ['property id 0', [0x30, 6, 0, 1, 0x61, 1, 0, 0x70]],
    ['a property longer than the packet', [0x30, 6, 0, 1, 0x61, 3, 0x03, 0]],
    ['a PUBACK reason code that does not exist', [0x40, 3, 0, 1, 0x05]],
    ['a PUBCOMP reason code of PUBACK', [0x70, 3, 0, 1, 0x10]],
    ['a PUBACK of one byte', [0x40, 1, 0]],
    ['a PINGREQ with a body', [0xc0, 1, 0]],
    ['a CONNECT with a bad protocol name', [0x10, 6, 0, 4, 0x4d, 0x51, 0x54, 0x54]],
  ];
  for (const version of [4, 5] as const) {
    it(`fast decoder - v${version}: malformed packets after good ones, split at every byte`, () => {
      for (const [what, bytes] of cases) {
        const stream = Buffer.concat([ok(version), ok(version), Buffer.from(bytes)]);
        const expected = reference([stream], version);
        assert.ok(expected.length >= 2, what);
        sameEverySplit(stream, version, what);
      }
    });
  }

  it('fast decoder - after an error the rest of the chunk is dropped and the next chunk starts a new packet', () => {
    const good = gen({ cmd: 'pingreq' }, 4);
    const chunks = [Buffer.concat([Buffer.from([0x36, 0]), good]), good];
    assert.deepStrictEqual(run(createFastDecoder(), chunks, 4),
      run(mqttPacket.parser({ protocolVersion: 4 }) as unknown as PacketParser, chunks, 4));
  });

  it('fast decoder - packet.length names an unfinished packet\'s remaining length, -1 between packets', () => {
    for (const cmd of ['publish', 'subscribe'] as const) {
      const parser = createFastDecoder();
      parser.on('packet', () => {});
      // 300,005 bytes after a 3-byte remaining length; the SUBSCRIBE's content does not matter here
      const bytes = cmd === 'publish'
        ? gen({ cmd, topic: 't', payload: Buffer.alloc(300_000), qos: 0, retain: false, dup: false }, 4)
        : Buffer.concat([Buffer.from([0x82, 0xe5, 0xa7, 0x12]), Buffer.alloc(300_005)]);
      const reference = mqttPacket.parser({ protocolVersion: 4 });
      reference.on('error', () => {});
      for (const chunk of [bytes.subarray(0, 2), bytes.subarray(2, 5), bytes.subarray(5, 20_000)]) {
        parser.parse(chunk);
        reference.parse(chunk);
        assert.equal(parser.packet.length, (reference as unknown as PacketParser).packet.length, cmd);
      }
      assert.ok(parser.packet.length > 290_000);
      parser.parse(bytes.subarray(20_000));
      assert.equal(parser.packet.length, -1);
    }
  });

  it('fast decoder - a PUBLISH inside one chunk: the payload is a view of the chunk, not a copy', () => {
    const bytes = gen({ cmd: 'publish', topic: 't', payload: Buffer.from('payload'), qos: 0, retain: false, dup: false }, 4);
    const parser = createFastDecoder();
    let payload: Buffer | undefined;
    parser.on('packet', (p: Packet) => { if (p.cmd === 'publish') payload = p.payload as Buffer; });
    parser.parse(bytes);
    assert.equal(payload?.buffer, bytes.buffer);
    assert.equal(payload?.byteOffset, bytes.byteOffset + bytes.length - 7);
  });
});

describe('fast decoder - fuzz', () => {
  for (const version of [4, 5] as const) {
    it(`fast decoder - v${version}: 4,000 mutated frames after a good one, at a random cut, give the strict answer`, (t) => {
      const seed = fuzzSeed();
      t.diagnostic(`seed ${seed}`);
      const rng = new Random(seed);
      for (let i = 0; i < 4_000; i++) {
        const stream = Buffer.concat([validFrame(rng, version), mutateFrame(rng, validFrame(rng, version), validFrame(rng, version))]);
        const cut = rng.int(stream.length + 1);
        const chunks = [stream.subarray(0, cut), stream.subarray(cut)];
        assert.deepStrictEqual(untilError(run(createFastDecoder(), chunks, version)), strictReference(stream, version),
          `FUZZ_SEED=${seed}: ${stream.toString('hex')} cut at ${cut}`);
      }
    });
  }
});
