/**
 * @module broker/channel/replies
 * The acknowledgements a channel writes, and its v5 Reason Strings: when a connection gets them
 * (the profile sends them, the client did not opt out [MQTT-3.1.2-29]), and never past the client's
 * Maximum Packet Size [MQTT-3.4.2-2] [MQTT-3.5.2-2] [MQTT-3.9.2-1] [MQTT-3.11.2-1] [MQTT-3.14.2-3].
 */
import type { IDisconnectPacket, IPubackPacket, IPubrecPacket, ISubackPacket, IUnsubackPacket } from 'mqtt-packet';
import { encode } from '../../protocol/codec.js';
import type { ChannelContext } from './context.js';

/** A Reason String of at most this many UTF-16 units is at most 65535 bytes of UTF-8 [MQTT-1.5.4]. */
const MAX_REASON_STRING_CHARS = 21_845;

/** PUBACK, PUBREC, PUBREL and PUBCOMP are 4 bytes in both versions when the reason is success [MQTT-3.4.2.1]. */
export function ack(header: number, messageId: number): Buffer {
  const buf = Buffer.allocUnsafe(4);
  buf[0] = header;
  buf[1] = 0x02;
  buf.writeUInt16BE(messageId, 2);
  return buf;
}

/** Whether this connection's acknowledgements carry Reason Strings. */
export function explains(ch: ChannelContext): boolean {
  return ch.protocolVersion === 5 && ch.deps.limits.features.reasonStrings && ch.problemInfo;
}

/** A v5 Reason String property when the connection gets them. */
export function reasonString(ch: ChannelContext, why: string): { properties?: { reasonString: string } } {
  if (!ch.deps.limits.features.reasonStrings || !ch.problemInfo) return {};
  return { properties: { reasonString: why } };
}

/**
 * Writes a PUBACK, PUBREC, SUBACK or UNSUBACK, with a Reason String saying `why` (given only when
 * `explains`); it is left out where it would take the packet past the client's Maximum Packet Size,
 * or past what a UTF-8 string holds.
 */
export function writeAck(ch: ChannelContext, packet: IPubackPacket | IPubrecPacket | ISubackPacket | IUnsubackPacket, why: string | undefined): void {
  if (why !== undefined && why.length <= MAX_REASON_STRING_CHARS) {
    const explained = encode({ ...packet, properties: { reasonString: why } }, 5);
    if (explained.length <= ch.clientMaxPacket) return ch.link.write(explained);
  }
  ch.link.write(encode(packet, ch.protocolVersion));
}

/** A v5 DISCONNECT with `reason`, its Reason String dropped where it would pass the client's Maximum Packet Size. */
export function disconnectPacket(ch: ChannelContext, reason: number, why: string | undefined): Buffer {
  const packet: IDisconnectPacket = { cmd: 'disconnect', reasonCode: reason, ...(why === undefined ? {} : reasonString(ch, why)) };
  const bytes = encode(packet, 5);
  return bytes.length <= ch.clientMaxPacket ? bytes : encode({ cmd: 'disconnect', reasonCode: reason }, 5);
}
