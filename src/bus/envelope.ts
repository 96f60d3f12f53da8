/**
 * @module bus/envelope
 * The bytes of a message between nodes, made once per message however many nodes receive it:
 *
 *   [0] version (ENVELOPE_VERSION, or ACK_ENVELOPE_VERSION when the sender asks for an acknowledgement)
 *   [1] flags: QoS (bits 0-1), retain (2), expiry (3), properties (4)
 *   [2..9] sequence (float64; per sending instance, for the receiver's duplicate check)
 *   version 2 only: [10..17] the acknowledgement id (float64), and what follows starts 8 bytes later
 *   [10] length of the sender's instance id, then its bytes; uint16 length of the topic, then its bytes
 *   expiry (float64 epoch ms) when flagged; uint32 length of the properties' JSON, then it, when flagged
 *   the payload: the rest
 *
 * A receiver refuses a version it does not know rather than misread it. Events are JSON with `v`.
 */
import { createMessage, type Message, type QoS } from '../protocol/codec.js';
import { parseProperties, serializeProperties } from '../protocol/properties-json.js';
import type { AckAnswer } from './bus.js';

export const ENVELOPE_VERSION = 1;
/** Version 1 and an acknowledgement id: a message without one stays version 1, as an older node reads it. */
export const ACK_ENVELOPE_VERSION = 2;
export const EVENT_VERSION = 1;

const RETAIN = 4;
const EXPIRY = 8;
const PROPERTIES = 16;

export function encodeEnvelope(message: Message, instance: string, seq: number, ackId = 0): Buffer {
  const props = serializeProperties(message.properties);
  const topicBytes = Buffer.byteLength(message.topic);
  const instanceBytes = Buffer.byteLength(instance);
  const propsBytes = props === null ? 0 : Buffer.byteLength(props);
  const base = ackId === 0 ? 10 : 18;
  const head = base + 1 + instanceBytes + 2 + topicBytes + (message.expiresAt === undefined ? 0 : 8) + (props === null ? 0 : 4 + propsBytes);
  const out = Buffer.allocUnsafe(head + message.payload.length);
  out[0] = ackId === 0 ? ENVELOPE_VERSION : ACK_ENVELOPE_VERSION;
  out[1] = message.qos | (message.retain ? RETAIN : 0) | (message.expiresAt === undefined ? 0 : EXPIRY) | (props === null ? 0 : PROPERTIES);
  out.writeDoubleBE(seq, 2);
  if (ackId !== 0) out.writeDoubleBE(ackId, 10);
  out[base] = instanceBytes;
  let at = base + 1 + out.write(instance, base + 1);
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
  /** The acknowledgement asked for; 0 when none. */
  ackId: number;
}

export function decodeEnvelope(bytes: Uint8Array): Envelope | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = buf[0];
  if (buf.length < 13 || (version !== ENVELOPE_VERSION && version !== ACK_ENVELOPE_VERSION)) return undefined;
  try {
    const flags = buf[1]!;
    const seq = buf.readDoubleBE(2);
    const ackId = version === ACK_ENVELOPE_VERSION ? buf.readDoubleBE(10) : 0;
    const base = version === ACK_ENVELOPE_VERSION ? 18 : 10;
    const instanceEnd = base + 1 + buf[base]!;
    const instance = buf.toString('utf8', base + 1, instanceEnd);
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
    return { message, instance, seq, ackId };
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

/** Acknowledgements as they cross: JSON with `v`, as events. */
export function encodeAnswer(answer: AckAnswer): Uint8Array {
  return Buffer.from(JSON.stringify({ v: EVENT_VERSION, ids: answer.ids, keys: answer.keys }));
}

export function decodeAnswer(bytes: Uint8Array): AckAnswer | undefined {
  try {
    const a = JSON.parse(Buffer.from(bytes).toString('utf8')) as { v?: unknown; ids?: unknown; keys?: unknown };
    if (a.v !== EVENT_VERSION || !Array.isArray(a.ids) || !Array.isArray(a.keys) || a.ids.length !== a.keys.length) return undefined;
    return { ids: a.ids as number[], keys: a.keys as string[] };
  } catch {
    return undefined;
  }
}
