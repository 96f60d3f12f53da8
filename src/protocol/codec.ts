/**
 * @module protocol/codec
 * The MQTT codec adapter over mqtt-packet: a parser per connection, packet encoding, and the shared
 * PUBLISH encoding of the hot path. A message is encoded once per (protocol version, QoS) and the bytes
 * are shared by every subscriber; QoS 1 deliveries copy the bytes and patch in their packet id, which
 * sits at the same offset in 3.1.1 and 5 (after the topic, before any properties).
 */
import mqttPacket from 'mqtt-packet';
import type { Packet, IPublishPacket } from 'mqtt-packet';

export type { Packet, IPublishPacket };
export type ProtocolVersion = 3 | 4 | 5;
export type QoS = 0 | 1 | 2;

export interface PacketParser {
  parse(buf: Buffer): number;
  on(event: 'packet', listener: (packet: Packet) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  settings: { protocolVersion?: number };
  /** The remaining length of the packet being read, -1 between packets (mqtt-packet's own field). */
  packet: { length: number };
}

// mqtt-packet would otherwise build a cache of 65,536 two-byte Buffers (~7 MiB) on its first encode,
// for the packets it still encodes here (CONNACK, SUBACK, v5 PUBLISH with properties): not worth it.
mqttPacket.writeToStream.cacheNumbers = false;

export function createParser(): PacketParser {
  return mqttPacket.parser({ protocolVersion: 4 }) as unknown as PacketParser;
}

export function encode(packet: Packet, protocolVersion: ProtocolVersion): Buffer {
  return mqttPacket.generate(packet, { protocolVersion });
}

/** v5 PUBLISH properties topicd carries end to end. */
export interface PublishProperties {
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties?: Record<string, string | string[]>;
  contentType?: string;
}

/** One message as the broker routes it; immutable once published. */
export interface Message {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly properties: PublishProperties | undefined;
  /** Epoch ms when an MQTT 5 Message Expiry Interval runs out; undefined when it never expires. */
  readonly expiresAt: number | undefined;
  /** Lazily filled encodings, indexed by encodingSlot(); shared by all subscribers. */
  encoded: Array<Buffer | undefined> | undefined;
}

export function createMessage(
  topic: string, payload: Buffer, qos: QoS, retain: boolean, properties?: PublishProperties, expiresAt?: number,
): Message {
  const interval = properties?.messageExpiryInterval;
  return {
    topic, payload, qos, retain, properties, encoded: undefined,
    expiresAt: expiresAt ?? (interval === undefined ? undefined : Date.now() + interval * 1000),
  };
}

/** Whether the message's MQTT 5 expiry has passed: it is then no longer delivered [MQTT-3.3.2-5]. */
export const isExpired = (message: Message, now: number): boolean => message.expiresAt !== undefined && message.expiresAt <= now;

const slotOf = (version: ProtocolVersion, qos: QoS, retain: boolean): number =>
  (version === 5 ? 6 : 0) + (retain ? 3 : 0) + qos;

/** Offset of the packet id in an encoded PUBLISH: fixed header, then 2 + topic bytes. */
function packetIdOffset(buf: Buffer): number {
  let i = 1;
  while ((buf[i]! & 0x80) !== 0) i++;
  i++;
  return i + 2 + buf.readUInt16BE(i);
}

/**
 * A PUBLISH without properties (3.1.1, or 5 with a property length of 0), packet id 1 when QoS > 0,
 * built straight into one buffer. Design note: mqtt-packet's generate writes through a stream of
 * small buffers, concatenates them and calls its debug logger on the way; that was about 5% of
 * topicd's busy CPU in the bench's fan-in (every message is encoded once, for its one subscriber).
 * Messages with v5 properties still go through mqtt-packet.
 */
export function encodePlainPublish(topic: string, payload: Buffer, version: ProtocolVersion, qos: QoS, retain: boolean): Buffer {
  const topicLength = Buffer.byteLength(topic);
  // [MQTT-3.3.2] topic name (2-byte length + UTF-8), packet id if QoS > 0, v5 properties, payload
  const remaining = 2 + topicLength + (qos > 0 ? 2 : 0) + (version === 5 ? 1 : 0) + payload.length;
  // [MQTT-2.2.3] Remaining Length: 7 bits per byte, at most 4 bytes
  const lengthBytes = remaining < 0x80 ? 1 : remaining < 0x4000 ? 2 : remaining < 0x200000 ? 3 : 4;
  const buf = Buffer.allocUnsafe(1 + lengthBytes + remaining);
  buf[0] = 0x30 | (qos << 1) | (retain ? 1 : 0);
  let at = 1;
  let rest = remaining;
  do {
    const byte = rest & 0x7f;
    rest >>>= 7;
    buf[at++] = rest > 0 ? byte | 0x80 : byte;
  } while (rest > 0);
  buf.writeUInt16BE(topicLength, at);
  at += 2;
  at += buf.write(topic, at, 'utf8');
  if (qos > 0) {
    buf.writeUInt16BE(1, at);
    at += 2;
  }
  if (version === 5) buf[at++] = 0;
  payload.copy(buf, at);
  return buf;
}

/**
 * The bytes of `message` as a PUBLISH for one subscriber. QoS 0 returns the shared buffer itself
 * (callers must not modify it); QoS 1 and 2 return a copy with `packetId` written in.
 */
export function encodePublish(message: Message, version: ProtocolVersion, qos: QoS, retain: boolean, packetId: number, now: number): Buffer {
  // [MQTT-3.3.2-6] the expiry interval sent is what remains: such bytes are this delivery's own.
  if (version === 5 && message.expiresAt !== undefined) return encodePublishFor(message, qos, retain, packetId, undefined, 0, false, now);
  const slot = slotOf(version, qos, retain);
  const cache = (message.encoded ??= []);
  let shared = cache[slot];
  if (shared === undefined && (version !== 5 || message.properties === undefined)) {
    shared = encodePlainPublish(message.topic, message.payload, version, qos, retain);
    cache[slot] = shared;
  } else if (shared === undefined) {
    const packet: IPublishPacket = {
      cmd: 'publish',
      topic: message.topic,
      payload: message.payload,
      qos,
      retain,
      dup: false,
      messageId: qos > 0 ? 1 : undefined,
    };
    if (version === 5 && message.properties) packet.properties = message.properties;
    shared = encode(packet, version);
    cache[slot] = shared;
  }
  if (qos === 0) return shared;
  const copy = Buffer.allocUnsafe(shared.length);
  shared.copy(copy);
  copy.writeUInt16BE(packetId, packetIdOffset(copy));
  return copy;
}

/**
 * A v5 PUBLISH whose bytes are this delivery's own: the remaining expiry, the subscription
 * identifiers of the matching subscriptions [MQTT-3.3.4-3], a topic alias (with the topic left out
 * when the client already knows it), within the client's Topic Alias Maximum [MQTT-3.3.2-11]). Never on the plain shared path.
 */
export function encodePublishFor(
  message: Message, qos: QoS, retain: boolean, packetId: number,
  subscriptionIds: readonly number[] | undefined, topicAlias: number, aliasKnown: boolean, now: number,
): Buffer {
  const properties: NonNullable<IPublishPacket['properties']> = { ...message.properties };
  // AWS: under a second left is sent as 0.
  if (message.expiresAt !== undefined) properties.messageExpiryInterval = Math.max(0, Math.floor((message.expiresAt - now) / 1000));
  if (subscriptionIds !== undefined) properties.subscriptionIdentifier = subscriptionIds.length === 1 ? subscriptionIds[0]! : [...subscriptionIds];
  if (topicAlias !== 0) properties.topicAlias = topicAlias;
  return encode({
    cmd: 'publish', topic: aliasKnown ? '' : message.topic, payload: message.payload, qos, retain, dup: false,
    messageId: qos > 0 ? packetId : undefined, properties,
  }, 5);
}

/** Sets the DUP flag on an encoded PUBLISH (redelivery) [MQTT-3.3.1-1]. */
export function markDuplicate(buf: Buffer): Buffer {
  buf[0] = buf[0]! | 0x08;
  return buf;
}
