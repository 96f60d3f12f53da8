/**
 * @module protocol/packet-rules
 * The rules of MQTT 3.1.1 and 5 a client's packet must meet before anything acts on it, checked on the
 * frame's own bytes: UTF-8 strings, packet identifiers, MQTT 5 properties (which packet may carry
 * which, which may appear once, the values CONNECT may not hold). It owns these rules only: the
 * structure mqtt-packet refuses (flags, lengths, unknown property ids) stays mqtt-packet's, and what a
 * packet means (topic syntax, aliases, authorization) is the channel's.
 *
 * Design note: why on the bytes. mqtt-packet decodes leniently and loses what these rules need: a
 * missing packet id reads as -1 (issue 10's QoS 1 PUBLISH without one was routed, then its PUBACK
 * threw), ill-formed UTF-8 becomes U+FFFD (indistinguishable from a real U+FFFD), a repeated property
 * becomes an array, a property of another packet is kept. So the decoder runs these checks on every
 * frame mqtt-packet decodes, after mqtt-packet (whose errors keep their messages), before the packet
 * is handed on.
 */
import { isUtf8 } from 'node:buffer';
import { MqttDecodeError, malformedPacket, protocolError } from './decode-error.js';

const CONNECT = 1;
const PUBLISH = 3;
const PUBACK = 4;
const PUBCOMP = 7;
const SUBSCRIBE = 8;
const UNSUBSCRIBE = 10;
const DISCONNECT = 14;
const AUTH = 15;
/** The will properties of a CONNECT: a property set of their own [MQTT-3.1.3.2]. */
const WILL = 16;

type PropertyType = 'byte' | 'int16' | 'int32' | 'var' | 'string' | 'binary' | 'pair';

interface PropertyRule {
  readonly name: string;
  readonly type: PropertyType;
  /** Bit mask (1 << packet type, 1 << WILL) of the packets a client may send it in. */
  readonly in: number;
}

const bits = (...types: number[]): number => types.reduce((mask, type) => mask | (1 << type), 0);
const ACKS = bits(PUBACK, 5, 6, PUBCOMP);

// MQTT 5 §2.2.2.2 Table 2-4, limited to the packets a client sends (CONNACK, SUBACK, UNSUBACK and the
// server-only properties are the server's).
const PROPERTIES = new Map<number, PropertyRule>([
  [0x01, { name: 'Payload Format Indicator', type: 'byte', in: bits(PUBLISH, WILL) }],
  [0x02, { name: 'Message Expiry Interval', type: 'int32', in: bits(PUBLISH, WILL) }],
  [0x03, { name: 'Content Type', type: 'string', in: bits(PUBLISH, WILL) }],
  [0x08, { name: 'Response Topic', type: 'string', in: bits(PUBLISH, WILL) }],
  [0x09, { name: 'Correlation Data', type: 'binary', in: bits(PUBLISH, WILL) }],
  [0x0b, { name: 'Subscription Identifier', type: 'var', in: bits(PUBLISH, SUBSCRIBE) }],
  [0x11, { name: 'Session Expiry Interval', type: 'int32', in: bits(CONNECT, DISCONNECT) }],
  [0x15, { name: 'Authentication Method', type: 'string', in: bits(CONNECT, AUTH) }],
  [0x16, { name: 'Authentication Data', type: 'binary', in: bits(CONNECT, AUTH) }],
  [0x17, { name: 'Request Problem Information', type: 'byte', in: bits(CONNECT) }],
  [0x18, { name: 'Will Delay Interval', type: 'int32', in: bits(WILL) }],
  [0x19, { name: 'Request Response Information', type: 'byte', in: bits(CONNECT) }],
  [0x1c, { name: 'Server Reference', type: 'string', in: bits(DISCONNECT) }],
  [0x1f, { name: 'Reason String', type: 'string', in: ACKS | bits(DISCONNECT, AUTH) }],
  [0x21, { name: 'Receive Maximum', type: 'int16', in: bits(CONNECT) }],
  [0x22, { name: 'Topic Alias Maximum', type: 'int16', in: bits(CONNECT) }],
  [0x23, { name: 'Topic Alias', type: 'int16', in: bits(PUBLISH) }],
  [0x26, { name: 'User Property', type: 'pair', in: ACKS | bits(CONNECT, WILL, PUBLISH, SUBSCRIBE, UNSUBSCRIBE, DISCONNECT, AUTH) }],
  [0x27, { name: 'Maximum Packet Size', type: 'int32', in: bits(CONNECT) }],
]);
const USER_PROPERTY = 0x26;
const SUBSCRIPTION_IDENTIFIER = 0x0b;

/**
 * Whether buf[start, end) is an MQTT UTF-8 Encoded String's data: well-formed UTF-8 without surrogates
 * [MQTT-1.5.4-1] (3.1.1: [MQTT-1.5.3-1]) and without U+0000 [MQTT-1.5.4-2] ([MQTT-1.5.3-2]).
 * A BOM is data like any other character and is kept [MQTT-1.5.4-3]. The code points the spec only
 * advises against (controls, non-characters) are accepted, as AWS IoT accepts them.
 */
export function isMqttString(buf: Buffer, start: number, end: number): boolean {
  let ascii = true;
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    // In UTF-8 a 0 byte only ever encodes U+0000.
    if (b === 0) return false;
    if (b >= 0x80) ascii = false;
  }
  return ascii || isUtf8(buf.subarray(start, end));
}

/** Reads one frame's body; every overrun is a Malformed Packet. */
class Cursor {
  constructor(readonly buf: Buffer, public pos: number, readonly end: number, readonly connectVersion: number | undefined) {}

  need(n: number, what: string): void {
    if (this.pos + n > this.end) throw malformedPacket(`${what} runs past the end of the packet`, this.connectVersion);
  }

  byte(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  uint16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  uint32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** [MQTT-1.5.5] Variable Byte Integer, at most 4 bytes. */
  varint(what: string): number {
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 4; i++) {
      const b = this.byte(what);
      value += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return value;
      mul *= 0x80;
    }
    throw malformedPacket(`${what}: a variable byte integer of more than 4 bytes`, this.connectVersion);
  }

  /** A UTF-8 Encoded String [MQTT-1.5.4]; ill-formed UTF-8 or U+0000 is a Malformed Packet. */
  string(what: string): void {
    const length = this.uint16(what);
    this.need(length, what);
    if (!isMqttString(this.buf, this.pos, this.pos + length)) {
      throw malformedPacket(`${what} is not valid UTF-8 or holds U+0000 [MQTT-1.5.4-1] [MQTT-1.5.4-2]`, this.connectVersion);
    }
    this.pos += length;
  }

  binary(what: string): void {
    const length = this.uint16(what);
    this.need(length, what);
    this.pos += length;
  }

  /** A packet identifier: absent is a Malformed Packet, 0 a Protocol Error [MQTT-2.2.1-3] ([MQTT-2.3.1-1]). */
  packetId(packet: string): void {
    if (this.uint16(`the ${packet} packet identifier`) === 0) {
      // Parsed, but a value the protocol does not allow: a Protocol Error by MQTT 5's §4.13 definitions.
      throw protocolError(`${packet} with packet identifier 0 [MQTT-2.2.1-3]`);
    }
  }
}

/**
 * Checks the frame whose first byte is buf[start] and whose body is buf[bodyStart, end) against the
 * rules above, for a connection speaking `version` (a CONNECT names its own). Returns the first broken
 * rule, or undefined. A frame mqtt-packet refused never gets here.
 */
export function checkFrame(buf: Buffer, start: number, bodyStart: number, end: number, version: number): MqttDecodeError | undefined {
  const first = buf[start]!;
  const type = first >> 4;
  try {
    if (type === CONNECT) return checkConnect(buf, bodyStart, end);
    const r = new Cursor(buf, bodyStart, end, undefined);
    const v5 = version === 5;
    if (type === PUBLISH) {
      r.string('the topic name');
      if (((first >> 1) & 3) > 0) r.packetId('PUBLISH');
      if (v5) properties(r, PUBLISH);
    } else if (type === SUBSCRIBE || type === UNSUBSCRIBE) {
      const name = type === SUBSCRIBE ? 'SUBSCRIBE' : 'UNSUBSCRIBE';
      r.packetId(name);
      if (v5) properties(r, type);
      while (r.pos < r.end) {
        r.string('a topic filter');
        if (type === SUBSCRIBE) r.byte('the subscription options');
      }
    } else if (type >= PUBACK && type <= PUBCOMP) {
      r.uint16('the packet identifier');
      if (v5 && r.pos < r.end) r.byte('the reason code');
      if (v5 && r.pos < r.end) properties(r, type);
    } else if (v5 && (type === DISCONNECT || type === AUTH)) {
      if (r.pos < r.end) r.byte('the reason code');
      if (r.pos < r.end) properties(r, type);
    }
    return undefined;
  } catch (err) {
    if (err instanceof MqttDecodeError) return err;
    throw err;
  }
}

/**
 * The version a CONNECT whose body is buf[bodyStart, end) speaks: 5, 4 (levels 3 and 4), or undefined
 * when its bytes do not get that far or name another level.
 */
export function connectVersionOf(buf: Buffer, bodyStart: number, end: number): 4 | 5 | undefined {
  if (bodyStart + 2 > end) return undefined;
  const at = bodyStart + 2 + buf.readUInt16BE(bodyStart);
  const level = at < end ? buf[at] : undefined;
  return level === 5 ? 5 : level === 3 || level === 4 ? 4 : undefined;
}

/** [MQTT-3.1] CONNECT: its strings, and in v5 its properties and its will's. */
function checkConnect(buf: Buffer, bodyStart: number, end: number): undefined {
  // The protocol name and level are mqtt-packet's to check; a level topicd does not speak is the channel's to answer.
  const version = connectVersionOf(buf, bodyStart, end);
  if (version === undefined) return undefined;
  const r = new Cursor(buf, bodyStart + 3 + buf.readUInt16BE(bodyStart), end, version);
  const flags = r.byte('the connect flags');
  r.uint16('the keep alive');
  if (version === 5) properties(r, CONNECT);
  r.string('the client identifier');
  if ((flags & 0x04) !== 0) {
    if (version === 5) properties(r, WILL);
    r.string('the will topic');
    r.binary('the will payload');
  }
  if ((flags & 0x80) !== 0) r.string('the user name');
  if ((flags & 0x40) !== 0) r.binary('the password');
  return undefined;
}

/** [MQTT-2.2.2] the property set of a v5 packet (or of a CONNECT's will) of this kind. */
function properties(r: Cursor, kind: number): void {
  const length = r.varint('the property length');
  r.need(length, 'the properties');
  const end = r.pos + length;
  const seen = new Set<number>();
  while (r.pos < end) {
    const id = r.varint('a property identifier');
    const rule = PROPERTIES.get(id);
    // MQTT 5 §2.2.2.2: an identifier not valid for the packet type is a Malformed Packet.
    if (rule === undefined || (rule.in & (1 << kind)) === 0) {
      throw malformedPacket(`property 0x${id.toString(16)} is not allowed in this packet`, r.connectVersion);
    }
    // MQTT 5: every property but User Property (and a server's Subscription Identifiers) "more than once is a Protocol Error".
    if (id !== USER_PROPERTY && !(id === SUBSCRIPTION_IDENTIFIER && kind === PUBLISH)) {
      if (seen.has(id)) throw protocolError(`${rule.name} more than once`, r.connectVersion);
      seen.add(id);
    }
    const value = readValue(r, rule);
    if (r.pos > end) throw malformedPacket(`${rule.name} runs past the end of the properties`, r.connectVersion);
    checkValue(r, id, rule, kind, value);
  }
}

function readValue(r: Cursor, rule: PropertyRule): number | undefined {
  switch (rule.type) {
    case 'byte': return r.byte(rule.name);
    case 'int16': return r.uint16(rule.name);
    case 'int32': return r.uint32(rule.name);
    case 'var': return r.varint(rule.name);
    case 'string': r.string(rule.name); return undefined;
    case 'binary': r.binary(rule.name); return undefined;
    case 'pair': r.string(rule.name); r.string(rule.name); return undefined;
  }
}

/** The values the spec calls a Protocol Error. */
function checkValue(r: Cursor, id: number, rule: PropertyRule, kind: number, value: number | undefined): void {
  const fail = (why: string): never => { throw protocolError(`${rule.name} ${why}`, r.connectVersion); };
  // MQTT 5 §3.1.2.11.3, §3.1.2.11.4: "a Protocol Error ... for it to have the value 0"
  if ((id === 0x21 || id === 0x27) && value === 0) fail('of 0');
  // MQTT 5 §3.1.2.11.6, §3.1.2.11.7: "a value other than 0 or 1"
  if ((id === 0x17 || id === 0x19) && value !== 0 && value !== 1) fail(`of ${String(value)}`);
  if (id === SUBSCRIPTION_IDENTIFIER) {
    // [MQTT-3.3.4-6] a client's PUBLISH carries none; MQTT 5 §3.8.2.1.2: in SUBSCRIBE, 0 is a Protocol Error
    if (kind === PUBLISH) fail('in a PUBLISH from a client [MQTT-3.3.4-6]');
    if (value === 0) fail('of 0');
  }
}
