/**
 * @module test/fuzz/mqtt-fuzz
 * The MQTT decoder's fuzzer: valid frames of every packet a client sends (3.1.1 and 5, with the v5
 * properties), mutated (bit flips, byte sets, truncations, remaining-length changes, duplicated fields,
 * spliced frames), written over real mutual-TLS connections in random chunks. Each connection's
 * answers are checked: they parse, and none is 0x83 Implementation Specific Error (an internal
 * failure); whatever topicd routes reaches the well-behaved subscribers, which must stay connected.
 */
import { connect as tlsConnect, type SecureContext } from 'node:tls';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { mutateBytes, truncate } from './mutate.js';
import type { Random } from './random.js';

/** How long a TLS handshake may take on a loaded machine before the exchange is given up. */
const HANDSHAKE_MS = 5_000;

export interface MqttFuzzStats {
  connections: number;
  frames: number;
  mutated: number;
  /** Connections topicd closed, by the reason code it sent (v5), or 'none'. */
  closes: Record<string, number>;
}

export interface MqttFuzzFailure {
  what: string;
  /** The bytes sent on that connection, hex. */
  input: string;
}

const TOPICS = ['fuzz/a', 'fuzz/b/c', 'fuzz/ü/€', 'fuzz/x/y/z'];
const FILTERS = ['fuzz/#', 'fuzz/+/c', 'fuzz/a', '$share/g/fuzz/#', '#'];
const PINGREQ = Buffer.from([0xc0, 0x00]);

const gen = (packet: Record<string, unknown>, version: 4 | 5): Buffer =>
  mqttPacket.generate(packet as unknown as Packet, { protocolVersion: version });

function publishProperties(rng: Random): Record<string, unknown> | undefined {
  if (rng.chance(0.4)) return undefined;
  const properties: Record<string, unknown> = {};
  if (rng.chance(0.3)) properties.payloadFormatIndicator = rng.chance(0.5);
  if (rng.chance(0.3)) properties.messageExpiryInterval = rng.pick([0, 1, 60, 0xffff_ffff]);
  if (rng.chance(0.3)) properties.contentType = rng.pick(['text/plain', 'application/json', 'ü']);
  if (rng.chance(0.3)) properties.responseTopic = rng.pick(TOPICS);
  if (rng.chance(0.3)) properties.correlationData = rng.bytes(rng.int(8));
  if (rng.chance(0.3)) properties.topicAlias = rng.range(1, 10);
  if (rng.chance(0.3)) properties.userProperties = { k: rng.chance(0.5) ? 'v' : ['v1', 'v2'] };
  return properties;
}

export function connectFrame(rng: Random, version: 4 | 5, clientId: string): Buffer {
  const packet: Record<string, unknown> = {
    cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clean: rng.chance(0.7), keepalive: rng.pick([0, 5, 60, 1200]), clientId,
  };
  if (rng.chance(0.3)) {
    packet.will = {
      topic: rng.pick(TOPICS), payload: rng.bytes(rng.int(16)), qos: rng.int(2), retain: rng.chance(0.3),
      // A will delay of a few seconds: some are still waiting at shutdown (test/integration/shutdown-leaks.test.ts).
      ...(version === 5 && rng.chance(0.5) ? { properties: { willDelayInterval: rng.range(0, 3), messageExpiryInterval: 60, contentType: 'x' } } : {}),
    };
  }
  if (rng.chance(0.2)) {
    packet.username = 'fuzz-user';
    if (rng.chance(0.5)) packet.password = rng.bytes(8);
  }
  if (version === 5 && rng.chance(0.6)) {
    packet.properties = {
      sessionExpiryInterval: rng.pick([0, 10, 3600]), receiveMaximum: rng.range(1, 100), maximumPacketSize: rng.pick([64, 1024, 1_000_000]),
      topicAliasMaximum: rng.int(10), requestResponseInformation: rng.chance(0.5), requestProblemInformation: rng.chance(0.5),
      userProperties: { who: 'fuzz' },
    };
  }
  return gen(packet, version);
}

/** One valid frame a client may send after CONNECT. */
export function validFrame(rng: Random, version: 4 | 5): Buffer {
  const v5 = version === 5;
  const messageId = rng.range(1, 65535);
  switch (rng.int(8)) {
    case 0: case 1: case 2: {
      const qos = rng.int(3);
      const properties = v5 ? publishProperties(rng) : undefined;
      return gen({
        cmd: 'publish', topic: rng.pick(TOPICS), payload: rng.bytes(rng.int(64)), qos, retain: rng.chance(0.2), dup: rng.chance(0.1),
        ...(qos > 0 ? { messageId } : {}), ...(properties ? { properties } : {}),
      }, version);
    }
    case 3: {
      const cmd = rng.pick(['puback', 'pubrec', 'pubrel', 'pubcomp'] as const);
      return gen({
        cmd, messageId,
        ...(v5 && rng.chance(0.5) ? { reasonCode: cmd === 'pubrel' || cmd === 'pubcomp' ? 0x92 : 0x10, properties: { reasonString: 'r' } } : {}),
      }, version);
    }
    case 4: {
      const subscriptions = Array.from({ length: rng.range(1, 3) }, () => ({
        topic: rng.pick(FILTERS), qos: rng.int(3), ...(v5 ? { nl: rng.chance(0.3), rap: rng.chance(0.3), rh: rng.int(3) } : {}),
      }));
      return gen({ cmd: 'subscribe', messageId, subscriptions, ...(v5 && rng.chance(0.3) ? { properties: { subscriptionIdentifier: rng.range(1, 1000) } } : {}) }, version);
    }
    case 5: return gen({ cmd: 'unsubscribe', messageId, unsubscriptions: [rng.pick(FILTERS)] }, version);
    case 6: return PINGREQ;
    default:
      if (!v5 || rng.chance(0.7)) return PINGREQ;
      return rng.chance(0.5)
        ? gen({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'x' } }, 5)
        : gen({ cmd: 'disconnect', reasonCode: rng.pick([0, 4]), properties: { sessionExpiryInterval: rng.int(5), reasonString: 'bye' } }, 5);
  }
}

/** [MQTT-2.2.3] the frame's remaining length replaced by `length`, encoded in `bytes` bytes (non-minimal and 5-byte encodings too). */
function withRemainingLength(frame: Buffer, length: number, bytes: number): Buffer {
  let headerEnd = 1;
  while (headerEnd < frame.length && headerEnd < 5 && (frame[headerEnd]! & 0x80) !== 0) headerEnd++;
  headerEnd++;
  const encoded: number[] = [];
  let rest = length;
  for (let i = 0; i < bytes; i++) {
    const digit = rest & 0x7f;
    rest >>>= 7;
    encoded.push(i < bytes - 1 ? digit | 0x80 : digit);
  }
  return Buffer.concat([frame.subarray(0, 1), Buffer.from(encoded), frame.subarray(Math.min(headerEnd, frame.length))]);
}

const remainingOf = (frame: Buffer): number => {
  let value = 0;
  for (let i = 1, mul = 1; i < Math.min(frame.length, 5); i++, mul *= 128) {
    value += (frame[i]! & 0x7f) * mul;
    if ((frame[i]! & 0x80) === 0) break;
  }
  return value;
};

/** A mutation of a valid frame; frame-aware ones keep the remaining length right so the body's own fields are what is wrong. */
export function mutateFrame(rng: Random, frame: Buffer, other: Buffer): Buffer {
  const body = frame.subarray(frame.length - remainingOf(frame));
  const refit = (newBody: Buffer): Buffer => {
    const length = newBody.length;
    const bytes = length < 0x80 ? 1 : length < 0x4000 ? 2 : 3;
    return Buffer.concat([withRemainingLength(frame.subarray(0, 1), length, bytes), newBody]);
  };
  switch (rng.int(6)) {
    case 0: return mutateBytes(rng, frame);
    // the body mutated, the length fitted to it
    case 1: return refit(mutateBytes(rng, body));
    // fields cut short
    case 2: return refit(truncate(rng, body));
    // a remaining length that lies, or is encoded oddly
    case 3: return withRemainingLength(frame, rng.chance(0.5) ? rng.int(body.length + 8) : rng.int(0x0fff_ffff), rng.range(1, 5));
    // a frame spliced into another
    case 4: return Buffer.concat([frame.subarray(0, rng.int(frame.length)), other.subarray(rng.int(other.length))]);
    default: return mutateBytes(rng, refit(mutateBytes(rng, body)));
  }
}

/** The protocol level a CONNECT frame names (4 when it cannot be read). */
function levelOf(connect: Buffer): 4 | 5 {
  let header = 1;
  while (header < connect.length && (connect[header]! & 0x80) !== 0) header++;
  // fixed header, then the protocol name "MQTT" (2 + 4 bytes), then the level
  const at = header + 1 + 2 + 4;
  return connect[at] === 5 ? 5 : 4;
}

export interface MqttFuzzTarget {
  port: number;
  secureContext: SecureContext;
}

/**
 * One connection: a CONNECT (valid or mutated), 1..8 frames (valid or mutated), a PINGREQ, written in
 * random chunks; then topicd's answers until it closes, answers the PINGREQ or 250 ms pass.
 */
export async function fuzzConnection(rng: Random, target: MqttFuzzTarget, stats: MqttFuzzStats, failures: MqttFuzzFailure[]): Promise<void> {
  const version: 4 | 5 = rng.chance(0.5) ? 5 : 4;
  const clientId = `fuzz-${rng.int(16)}`;
  let connect = connectFrame(rng, version, clientId);
  const connectMutated = rng.chance(0.15);
  if (connectMutated) connect = mutateFrame(rng, connect, validFrame(rng, version));
  const frames: Buffer[] = [connect];
  for (let n = rng.range(1, 8); n > 0; n--) {
    const frame = validFrame(rng, version);
    if (rng.chance(0.4)) {
      frames.push(mutateFrame(rng, frame, validFrame(rng, version)));
      stats.mutated++;
    } else {
      frames.push(frame);
    }
  }
  frames.push(PINGREQ);
  stats.frames += frames.length;
  stats.connections++;
  const input = Buffer.concat(frames);
  const answer = await exchange(rng, target, input);
  const fail = (what: string): void => { failures.push({ what, input: input.toString('hex') }); };
  // Only a CONNECT sent as generated fixes the version the answers are in.
  if (connectMutated) {
    stats.closes.unchecked = (stats.closes.unchecked ?? 0) + 1;
    return;
  }
  const parser = mqttPacket.parser({ protocolVersion: levelOf(connect) });
  let last: Packet | undefined;
  parser.on('packet', (packet: Packet) => {
    last = packet;
    const code = (packet as { reasonCode?: number }).reasonCode;
    if ((packet.cmd === 'disconnect' || packet.cmd === 'connack') && code === 0x83) fail(`topicd answered ${packet.cmd} 0x83 (internal error)`);
  });
  parser.on('error', (err: Error) => fail(`topicd sent bytes that do not parse: ${err.message}`));
  parser.parse(answer.bytes);
  const key = last?.cmd === 'disconnect' ? `disconnect 0x${((last as { reasonCode?: number }).reasonCode ?? 0).toString(16)}` : answer.closed ? 'closed' : 'open';
  stats.closes[key] = (stats.closes[key] ?? 0) + 1;
}

function exchange(rng: Random, target: MqttFuzzTarget, input: Buffer): Promise<{ bytes: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let closed = false;
    const socket = tlsConnect({ host: 'localhost', port: target.port, servername: 'localhost', secureContext: target.secureContext });
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ bytes: Buffer.concat(chunks), closed });
    };
    // The answer's wait starts once the bytes are out; the handshake gets its own bound.
    let timer = setTimeout(finish, HANDSHAKE_MS);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // the PINGRESP that ends the exchange (or another packet ending in d0 00: one more read costs nothing)
      if (chunk.length >= 2 && chunk[chunk.length - 2] === 0xd0 && chunk[chunk.length - 1] === 0x00) finish();
    });
    socket.on('close', () => { closed = true; finish(); });
    socket.on('error', () => undefined);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      timer = setTimeout(finish, 250);
      let at = 0;
      while (at < input.length) {
        const end = rng.chance(0.5) ? input.length : Math.min(input.length, at + rng.range(1, 64));
        socket.write(input.subarray(at, end));
        at = end;
      }
    });
  });
}
