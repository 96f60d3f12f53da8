/**
 * @module protocol/fast-decoder
 * The inbound MQTT decoder of a connection: frames the socket's bytes itself, decodes the packets of
 * the hot path (PUBLISH at every QoS, PUBACK/PUBREC/PUBREL/PUBCOMP, PINGREQ; 3.1.1 and 5) straight
 * from the socket's chunks, and hands every other frame to mqtt-packet's parser, one frame at a time.
 * It owns framing and those packets only; what a packet means is the channel's.
 *
 * Design note: why hand-written. The bench's profiles of MQTT fan-in (docs/benchmarks.md, 10:16Z run)
 * put ~45 % of topicd's busy time (QoS 0) and ~30 % (QoS 1) in mqtt-packet's parser and what it calls:
 * its `bl` BufferList (append, consume, index access, copy), its `debug` logger (about ten calls per
 * packet, each building arguments for a disabled logger) and the Buffer slices they make. Aedes parses
 * with the same library, so topicd could not get 3x Aedes without its own path for the packets that
 * arrive once per message.
 *
 * Equivalence with mqtt-packet, which the unit tests check packet by packet:
 * - a packet decoded here has the fields mqtt-packet's would have (its `Packet` fields in its order,
 *   then `messageId`, `properties`, `reasonCode` when it would set them), the payload a view of the
 *   socket's chunk when the packet lies inside one chunk (as `bl` slices it), a copy otherwise;
 * - every frame this decoder does not decode (another type, v5 properties it does not know, a duplicate
 *   property, a reason code mqtt-packet refuses, any field that runs past the packet's end, a string or
 *   packet id that breaks a rule) goes whole to mqtt-packet, so its errors and its objects are
 *   mqtt-packet's own. Such a frame is buffered whole and fed alone: where mqtt-packet would read past a
 *   packet's end into the next one's bytes (its reads are bounded by its buffer, not the packet, so the
 *   result depends on how the bytes were chunked), it sees the packet as if it ended its chunk;
 * - a packet mqtt-packet accepts is then held to packet-rules.ts (UTF-8, packet ids, v5 properties),
 *   which mqtt-packet does not check; the packets decoded here meet those rules by construction (a frame
 *   that may not goes to mqtt-packet), so both roads give one answer;
 * - the first byte and the remaining length are checked as mqtt-packet checks them, at the same byte:
 *   a bad one goes to mqtt-packet at once for its error; `packet.length` holds the remaining length of
 *   an unfinished packet, so the transport refuses an oversized packet before buffering it, as before;
 * - every error is an MqttDecodeError (mqtt-packet's keep their message); after one the rest of the
 *   chunk is dropped and the next chunk starts a new packet, as mqtt-packet does.
 */
import mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';
import type { PacketParser } from './codec.js';
import { BodyReader, EMPTY, FALL_BACK } from './body-reader.js';
import { MqttDecodeError } from './decode-error.js';
import { checkFrame, connectVersionOf } from './packet-rules.js';

const PUBLISH = 3;
const PUBACK = 4;
const PUBREL = 6;
const PUBCOMP = 7;
const PINGREQ = 12;
const CONFIRMATION_CMDS = ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const;

// [MQTT-2.2.2-1] reserved flag bits by packet type, as mqtt-packet's constants.requiredHeaderFlags.
const REQUIRED_FLAGS: ReadonlyArray<number | undefined> = [
  undefined, 0, 0, undefined, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0,
];

// v5 reason codes mqtt-packet accepts (constants.MQTT5_PUBACK_PUBREC_CODES, MQTT5_PUBREL_PUBCOMP_CODES).
const PUBACK_PUBREC_CODES = new Set([0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]);
const PUBREL_PUBCOMP_CODES = new Set([0x00, 0x92]);

// [MQTT-3.3.2.3] the PUBLISH properties decoded here: id -> name and mqtt-packet's value type.
type PropertyType = 'byte' | 'int16' | 'int32' | 'var' | 'string' | 'binary' | 'pair';
const PUBLISH_PROPERTIES = new Map<number, readonly [string, PropertyType]>([
  [1, ['payloadFormatIndicator', 'byte']],
  [2, ['messageExpiryInterval', 'int32']],
  [3, ['contentType', 'string']],
  [8, ['responseTopic', 'string']],
  [9, ['correlationData', 'binary']],
  [11, ['subscriptionIdentifier', 'var']],
  [35, ['topicAlias', 'int16']],
  [38, ['userProperties', 'pair']],
]);

type Properties = Record<string, unknown>;

/**
 * One reader for every connection: a frame is decoded synchronously and the reader let go of its
 * bytes before the packet is handed on, so no two decodes ever overlap (and idle connections hold none).
 */
const reader = new BodyReader();

/** Creates the decoder for one connection; it speaks 3.1.1 until the channel sets protocolVersion 5. */
export function createFastDecoder(): PacketParser {
  return new FastDecoder();
}

class FastDecoder implements PacketParser {
  /** Shared with the mqtt-packet parser: the channel switches both to v5 after a v5 CONNECT. */
  readonly settings: { protocolVersion?: number } = { protocolVersion: 4 };
  /** Remaining length of the unfinished packet, -1 between packets (as mqtt-packet's `packet`). */
  readonly packet = { length: -1 };

  private onPacket: (packet: Packet) => void = () => {};
  private onError: (err: Error) => void = () => {};

  /** Bytes of an unfinished frame decoded here (or of a fixed header not yet complete). */
  private parts: Buffer[] | undefined;
  private partsLength = 0;
  /** Total bytes of the unfinished frame in `parts`, -1 while its fixed header is incomplete. */
  private frameLength = -1;
  private headerLength = 0;

  private failed = false;

  on(event: 'packet', listener: (packet: Packet) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'packet' | 'error', listener: ((packet: Packet) => void) | ((err: Error) => void)): unknown {
    if (event === 'packet') this.onPacket = listener as (packet: Packet) => void;
    else this.onError = listener as (err: Error) => void;
    return this;
  }

  parse(chunk: Buffer): number {
    this.failed = false;
    let buf = chunk;
    let off = 0;
    if (this.parts !== undefined) {
      if (this.frameLength < 0) {
        // a fixed header split across chunks: rare (a few bytes per chunk boundary)
        this.parts.push(chunk);
        buf = Buffer.concat(this.parts, this.partsLength + chunk.length);
        this.parts = undefined;
        this.partsLength = 0;
      } else {
        const need = this.frameLength - this.partsLength;
        if (chunk.length < need) {
          this.parts.push(chunk);
          this.partsLength += chunk.length;
          return this.partsLength;
        }
        this.parts.push(need === chunk.length ? chunk : chunk.subarray(0, need));
        const frame = Buffer.concat(this.parts, this.frameLength);
        this.parts = undefined;
        this.partsLength = 0;
        this.frameLength = -1;
        this.packet.length = -1;
        this.decodeFrame(frame, 0, this.headerLength, frame.length);
        if (this.failed) return this.dropAll();
        off = need;
      }
    }
    return this.frames(buf, off);
  }

  /** Decodes every frame of buf from off; keeps an unfinished one for the next chunk. */
  private frames(buf: Buffer, off: number): number {
    const length = buf.length;
    while (off < length) {
      const first = buf[off]!;
      const type = first >> 4;
      const required = REQUIRED_FLAGS[type];
      // mqtt-packet refuses bad flag bits and QoS 3 on the first byte, before the length.
      if ((required !== undefined && (first & 0x0f) !== required) || ((first >> 1) & 3) === 3) {
        this.decodeSlow(buf.subarray(off, off + 1), 0, 0, 1);
        return this.dropAll();
      }
      // [MQTT-2.2.3] Remaining Length
      let at = off + 1;
      let remaining = 0;
      let mul = 1;
      let done = false;
      while (at < length && at - off <= 4) {
        const b = buf[at++]!;
        remaining += (b & 0x7f) * mul;
        mul *= 0x80;
        if ((b & 0x80) === 0) {
          done = true;
          break;
        }
      }
      if (!done) {
        if (at - off > 4) {
          // four length bytes and still not done: mqtt-packet's 'Invalid variable byte integer'
          this.decodeSlow(buf.subarray(off, at), 0, 0, at - off);
          return this.dropAll();
        }
        return this.keep(buf, off, -1, 0);
      }
      const headerLength = at - off;
      const frameEnd = at + remaining;
      if (frameEnd > length) return this.keep(buf, off, headerLength + remaining, headerLength);
      this.decodeFrame(buf, off, headerLength, frameEnd);
      if (this.failed) return this.dropAll();
      off = frameEnd;
    }
    this.packet.length = -1;
    return 0;
  }

  private keep(buf: Buffer, off: number, frameLength: number, headerLength: number): number {
    const rest = off === 0 ? buf : buf.subarray(off);
    this.parts = [rest];
    this.partsLength = rest.length;
    this.frameLength = frameLength;
    this.headerLength = headerLength;
    this.packet.length = frameLength < 0 ? -1 : frameLength - headerLength;
    return this.partsLength;
  }

  private dropAll(): number {
    this.parts = undefined;
    this.partsLength = 0;
    this.frameLength = -1;
    this.packet.length = -1;
    return 0;
  }

  private fail(err: MqttDecodeError): void {
    this.failed = true;
    this.onError(err);
  }

  /**
   * Decodes the frame buf[off, end) (or the bad fixed header that ends at `end`) with a fresh mqtt-packet
   * parser (idle connections keep none), then holds what it gives to packet-rules.
   */
  private decodeSlow(buf: Buffer, off: number, headerLength: number, end: number): void {
    const bytes = buf.subarray(off, end);
    let packet: Packet | undefined;
    let error: Error | undefined;
    const slow = mqttPacket.parser({ ...this.settings });
    slow.on('packet', (p: Packet) => { packet ??= p; });
    slow.on('error', (err: Error) => { error ??= err; });
    try {
      slow.parse(bytes);
    } catch (err) {
      // mqtt-packet is not written for hostile input everywhere: what it throws on is malformed too.
      error ??= err instanceof Error ? err : new Error(String(err));
    }
    const connectVersion = (buf[off]! >> 4) === 1 ? connectVersionOf(buf, off + headerLength, end) : undefined;
    if (error !== undefined) return this.fail(new MqttDecodeError('MQTT_MALFORMED_PACKET', error.message, { cause: error, connectVersion }));
    if (packet === undefined) return this.fail(new MqttDecodeError('MQTT_MALFORMED_PACKET', 'Packet too short', { connectVersion }));
    const broken = checkFrame(buf, off, off + headerLength, end, this.settings.protocolVersion ?? 4);
    if (broken !== undefined) return this.fail(broken);
    this.onPacket(packet);
  }

  /** Decodes the frame buf[off, end) whose fixed header is headerLength bytes. */
  private decodeFrame(buf: Buffer, off: number, headerLength: number, end: number): void {
    const first = buf[off]!;
    if (!isFast(first >> 4)) return this.decodeSlow(buf, off, headerLength, end);
    const r = reader;
    r.buf = buf;
    r.pos = off + headerLength;
    r.end = end;
    let packet: Packet;
    try {
      packet = this.decode(first, end - off - headerLength);
    } catch (err) {
      if (err !== FALL_BACK) throw err;
      r.buf = EMPTY;
      return this.decodeSlow(buf, off, headerLength, end);
    }
    r.buf = EMPTY;
    this.onPacket(packet);
  }

  private decode(first: number, length: number): Packet {
    const type = first >> 4;
    const v5 = this.settings.protocolVersion === 5;
    const r = reader;
    if (type === PUBLISH) {
      const qos = (first >> 1) & 3;
      // Fields in mqtt-packet's order: its Packet, then messageId and properties as it adds them.
      const packet: Record<string, unknown> = {
        cmd: 'publish', retain: (first & 1) !== 0, qos, dup: (first & 8) !== 0, length, topic: r.string(), payload: null,
      };
      if (qos > 0) {
        packet.messageId = r.uint16();
        // [MQTT-2.2.1-3] packet id 0: packet-rules' to refuse
        if (packet.messageId === 0) throw FALL_BACK;
      }
      if (v5) {
        const properties = this.properties();
        if (properties !== undefined) packet.properties = properties;
      }
      packet.payload = r.buf.subarray(r.pos, r.end);
      return packet as unknown as Packet;
    }
    if (type === PINGREQ) {
      if (length !== 0) throw FALL_BACK;
      return { cmd: 'pingreq', retain: false, qos: 0, dup: false, length, topic: null, payload: null } as unknown as Packet;
    }
    // PUBACK, PUBREC, PUBREL, PUBCOMP [MQTT-3.4] to [MQTT-3.7]: packet id, then in v5 a reason code
    if (length < 2 || (!v5 && length > 2) || length > 3) throw FALL_BACK;
    const cmd = CONFIRMATION_CMDS[type - PUBACK]!;
    const packet: Record<string, unknown> = {
      cmd, retain: (first & 1) !== 0, qos: (first >> 1) & 3, dup: (first & 8) !== 0, length, topic: null, payload: null,
      messageId: r.uint16(),
    };
    if (v5) {
      const code = length > 2 ? r.byte() : 0;
      if (!(type === PUBREL || type === PUBCOMP ? PUBREL_PUBCOMP_CODES : PUBACK_PUBREC_CODES).has(code)) throw FALL_BACK;
      packet.reasonCode = code;
    }
    return packet as unknown as Packet;
  }

  /** [MQTT-3.3.2.3] PUBLISH properties, as mqtt-packet's _parseProperties builds them; undefined if none. */
  private properties(): Properties | undefined {
    const r = reader;
    const length = r.varint();
    if (length === 0) return undefined;
    const end = r.pos + length;
    if (end > r.end) throw FALL_BACK;
    const result: Properties = {};
    let any = false;
    // mqtt-packet reads while before the end, and lets the last property run past it.
    while (r.pos < end) {
      const known = PUBLISH_PROPERTIES.get(r.byte());
      if (known === undefined) throw FALL_BACK;
      const [name, type] = known;
      // [MQTT-3.3.4-6] a client's PUBLISH carries no Subscription Identifier: packet-rules' to refuse
      if (name === 'subscriptionIdentifier') throw FALL_BACK;
      any = true;
      if (type === 'pair') {
        const users = (result.userProperties ??= Object.create(null)) as Record<string, string | string[]>;
        const key = r.string();
        const value = r.string();
        const current = users[key];
        if (current) {
          if (Array.isArray(current)) current.push(value);
          else users[key] = [current, value];
        } else {
          users[key] = value;
        }
        continue;
      }
      // A repeated property: mqtt-packet's handling depends on the first value's truthiness; leave it to it.
      if (name in result) throw FALL_BACK;
      result[name] = type === 'byte' ? r.byte() !== 0
        : type === 'int16' ? r.uint16()
          : type === 'int32' ? r.uint32()
            : type === 'var' ? r.varint()
              : type === 'string' ? r.string()
                : r.binary();
    }
    // A property running past the property length: mqtt-packet reads on, packet-rules refuses it.
    if (r.pos !== end) throw FALL_BACK;
    return any ? result : undefined;
  }
}

const isFast = (type: number): boolean => type === PUBLISH || type === PINGREQ || (type >= PUBACK && type <= PUBCOMP);
