/**
 * @module bus/envelope
 * The bytes of a message between nodes, made once per message however many nodes receive it:
 *
 *   [0] version (ENVELOPE_VERSION)   [1] flags: QoS (bits 0-1), retain (2), expiry (3), properties (4)
 *   [2..9] sequence (float64; per sending instance, for the receiver's duplicate check)
 *   [10] length of the sender's instance id, then its bytes; uint16 length of the topic, then its bytes
 *   expiry (float64 epoch ms) when flagged; uint32 length of the properties' JSON, then it, when flagged
 *   the payload: the rest
 *
 * A receiver refuses a version it does not know rather than misread it. Events are JSON with `v`.
 */
import { createMessage, type Message, type QoS } from '../protocol/codec.js';
import { parseProperties, serializeProperties } from '../protocol/properties-json.js';

export const ENVELOPE_VERSION = 1;
export const EVENT_VERSION = 1;

const RETAIN = 4;
const EXPIRY = 8;
const PROPERTIES = 16;

export function encodeEnvelope(message: Message, instance: string, seq: number): Buffer {
  const props = serializeProperties(message.properties);
  const topicBytes = Buffer.byteLength(message.topic);
  const instanceBytes = Buffer.byteLength(instance);
  const propsBytes = props === null ? 0 : Buffer.byteLength(props);
  const head = 11 + instanceBytes + 2 + topicBytes + (message.expiresAt === undefined ? 0 : 8) + (props === null ? 0 : 4 + propsBytes);
  const out = Buffer.allocUnsafe(head + message.payload.length);
  out[0] = ENVELOPE_VERSION;
  out[1] = message.qos | (message.retain ? RETAIN : 0) | (message.expiresAt === undefined ? 0 : EXPIRY) | (props === null ? 0 : PROPERTIES);
  out.writeDoubleBE(seq, 2);
  out[10] = instanceBytes;
  let at = 11 + out.write(instance, 11);
  at = out.writeUInt16BE(topicBytes, at);
  at += out.write(message.topic, at);
  if (message.expiresAt !== undefined) at = out.writeDoubleBE(message.expiresAt, at);
  if (props !== null) {
    at = out.writeUInt32BE(propsBytes, at);
    at += out.write(props, at);
  }
  message.payload.copy(out, at);
  return out;
}

/** What a receiver reads of an envelope; undefined for a version it does not know or bytes that do not parse. */
export interface Envelope {
  message: Message;
  instance: string;
  seq: number;
}

export function decodeEnvelope(bytes: Uint8Array): Envelope | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 13 || buf[0] !== ENVELOPE_VERSION) return undefined;
  try {
    const flags = buf[1]!;
    const seq = buf.readDoubleBE(2);
    const instanceEnd = 11 + buf[10]!;
    const instance = buf.toString('utf8', 11, instanceEnd);
    const topicLength = buf.readUInt16BE(instanceEnd);
    let at = instanceEnd + 2;
    const topic = buf.toString('utf8', at, at + topicLength);
    at += topicLength;
    let expiresAt: number | undefined;
    if ((flags & EXPIRY) !== 0) {
      expiresAt = buf.readDoubleBE(at);
      at += 8;
    }
    let properties: string | null = null;
    if ((flags & PROPERTIES) !== 0) {
      const length = buf.readUInt32BE(at);
      properties = buf.toString('utf8', at + 4, at + 4 + length);
      at += 4 + length;
    }
    if (at > buf.length) return undefined;
    // The payload is copied out: the NATS client may reuse the bytes it handed over.
    const payload = Buffer.from(buf.subarray(at));
    const message = createMessage(topic, payload, (flags & 3) as QoS, (flags & RETAIN) !== 0, parseProperties(properties), expiresAt);
    return { message, instance, seq };
  } catch {
    return undefined;
  }
}

export function encodeEvent(kind: string, from: string, body: Record<string, unknown>): Uint8Array {
  return Buffer.from(JSON.stringify({ v: EVENT_VERSION, kind, from, body }));
}

export function decodeEvent(bytes: Uint8Array): { kind: string; from: string; body: Record<string, unknown> } | undefined {
  try {
    const e = JSON.parse(Buffer.from(bytes).toString('utf8')) as { v?: unknown; kind?: unknown; from?: unknown; body?: unknown };
    if (e.v !== EVENT_VERSION || typeof e.kind !== 'string' || typeof e.from !== 'string' || typeof e.body !== 'object' || e.body === null) return undefined;
    return { kind: e.kind, from: e.from, body: e.body as Record<string, unknown> };
  } catch {
    return undefined;
  }
}
