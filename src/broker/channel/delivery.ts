/**
 * @module broker/channel/delivery
 * PUBLISH to the client and its acknowledgements: what the session (broker/session.ts) sends through
 * the connection, encoded once and shared among subscribers where nothing is this delivery's own
 * (subscription identifiers and server topic aliases make it so). A QoS 0 message to a client whose
 * unsent bytes pass the bound is dropped and counted by its session: a slow reader costs only itself.
 */
import type { IPubackPacket, IPubcompPacket, IPubrecPacket } from 'mqtt-packet';
import { DROP_CONGESTED, DROP_TOO_LARGE } from '../../observe/counters.js';
import { encode, encodePublish, encodePublishFor, markDuplicate, type Message, type QoS } from '../../protocol/codec.js';
import { RC } from '../../protocol/reason-codes.js';
import { PUBREL, type ChannelContext } from './context.js';
import { ack } from './replies.js';

export function sendPublish(
  ch: ChannelContext, message: Message, qos: QoS, packetId: number, dup: boolean, retain: boolean, ids: readonly number[] | undefined,
): boolean {
  if (ch.state !== 'connected') return true;
  // A subscriber that does not keep up loses QoS 0 messages past a bound (counted by its session)
  // instead of growing our memory; QoS 1 is bounded by its in-flight window already.
  if (qos === 0 && ch.link.buffered > ch.deps.limits.maxBufferedQos0Bytes) return dropped(ch, DROP_CONGESTED);
  // Subscription identifiers and topic aliases make the bytes this delivery's own; without them
  // (always in the aws profile) the shared encoding is used.
  const bytes = ch.protocolVersion === 5 && (ids !== undefined || ch.clientAliasMax > 0)
    ? encodeOwn(ch, message, qos, retain, packetId, ids)
    : encodePublish(message, ch.protocolVersion, qos, retain, packetId, message.expiresAt === undefined ? 0 : ch.deps.clock.now());
  // [MQTT-3.1.2-25] never send a packet over the client's Maximum Packet Size
  if (bytes.length > ch.clientMaxPacket) return dropped(ch, DROP_TOO_LARGE);
  // Only QoS 1 and 2 are ever resent, and their bytes are this delivery's own copy: safe to flag in place.
  ch.link.write(dup ? markDuplicate(bytes) : bytes);
  ch.delivered[ch.deliveredAt + qos]!++;
  return true;
}

/** Counts a delivery not made (out of line: sendPublish stays small enough to be inlined). */
function dropped(ch: ChannelContext, reason: number): false {
  ch.deps.broker.counters.dropped[reason]!++;
  return false;
}

/**
 * A v5 PUBLISH with this delivery's subscription identifiers and a server topic alias: the first
 * message on a topic sets an alias (while the client's Topic Alias Maximum allows one more), later
 * ones send the alias and an empty topic [MQTT-3.3.2-11].
 */
function encodeOwn(ch: ChannelContext, message: Message, qos: QoS, retain: boolean, packetId: number, ids: readonly number[] | undefined): Buffer {
  let alias = 0;
  let known = false;
  if (ch.clientAliasMax > 0) {
    const aliases = (ch.outAliases ??= new Map());
    alias = aliases.get(message.topic) ?? 0;
    known = alias !== 0;
    if (!known && aliases.size < ch.clientAliasMax) {
      alias = aliases.size + 1;
      aliases.set(message.topic, alias);
    }
  }
  return encodePublishFor(message, qos, retain, packetId, ids, alias, known, ch.deps.clock.now());
}

export function sendPubrel(ch: ChannelContext, packetId: number, known: boolean): void {
  if (ch.state !== 'connected') return;
  if (!known && ch.protocolVersion === 5) {
    ch.link.write(encode({ cmd: 'pubrel', messageId: packetId, reasonCode: RC.PACKET_IDENTIFIER_NOT_FOUND }, 5));
    return;
  }
  // [MQTT-3.6.1-1] PUBREL's fixed header flags are 0010
  ch.link.write(ack(PUBREL, packetId));
}

export function onPuback(ch: ChannelContext, packet: IPubackPacket): void {
  ch.session?.acknowledge(packet.messageId!);
}

export function onPubrec(ch: ChannelContext, packet: IPubrecPacket): void {
  ch.session?.received(packet.messageId!, (packet.reasonCode ?? 0) >= 0x80);
}

export function onPubcomp(ch: ChannelContext, packet: IPubcompPacket): void {
  ch.session?.complete(packet.messageId!);
}
