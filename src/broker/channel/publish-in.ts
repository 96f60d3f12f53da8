/**
 * @module broker/channel/publish-in
 * PUBLISH from the client, at QoS 0, 1 and (when the profile serves it) 2: the connection's topic
 * aliases resolved, the message handed to the publish gate, and the gate's answer put on the wire.
 * Every publish rule is the gate's (broker/ingress.ts); this module only maps a Refusal to MQTT:
 * a DISCONNECT where the client broke a rule it knew (QoS, topic, size, a reserved topic), and for
 * what a policy or a quota refused, AWS's answer: a v5 client gets PUBACK 0x87 or 0x97, a 3.1.1
 * client is disconnected (policy) or acknowledged with the message dropped (quota, so that it does
 * not resend).
 */
import type { IPublishPacket, IPubrelPacket } from 'mqtt-packet';
import { mqttProtocol } from '../../observe/counters.js';
import { encode } from '../../protocol/codec.js';
import { RC } from '../../protocol/reason-codes.js';
import type { Refusal } from '../ingress.js';
import { PUBACK, PUBCOMP, PUBREC, type ChannelContext } from './context.js';
import { publishProperties } from './properties.js';
import { ack, explains, writeAck } from './replies.js';

/** The DISCONNECT reason of a refusal that ends the connection; undefined for those answered in an acknowledgement. */
const DISCONNECT_FOR: Record<Refusal, number | undefined> = {
  QosNotSupported: RC.QOS_NOT_SUPPORTED,
  TopicInvalid: RC.TOPIC_NAME_INVALID,
  PayloadTooLarge: RC.PACKET_TOO_LARGE,
  // AWS: unsupported publishes to reserved topics can end the connection (developer guide, reserved topics).
  ReservedTopic: RC.TOPIC_NAME_INVALID,
  NotAuthorized: undefined,
  QuotaExceeded: undefined,
};

export function onPublish(ch: ChannelContext, packet: IPublishPacket): void {
  const { limits, gate } = ch.deps;
  const v5 = ch.protocolVersion === 5;
  let topic = packet.topic;
  const alias = v5 ? packet.properties?.topicAlias : undefined;
  if (alias !== undefined) {
    // [MQTT-3.3.2-9] an alias of 0 or over the Topic Alias Maximum we advertised is an error
    if (alias === 0 || alias > limits.topicAliasMaximum) return ch.close(RC.TOPIC_ALIAS_INVALID, `topic alias ${alias} is out of range`);
    if (topic === '') {
      const known = ch.topicAliases?.get(alias);
      // [MQTT-3.3.2-12] an empty topic needs an alias the client has set on this connection
      if (known === undefined) return ch.close(RC.PROTOCOL_ERROR, `topic alias ${alias} was never set`);
      topic = known;
    } else {
      (ch.topicAliases ??= new Map()).set(alias, topic);
    }
  }
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  const qos = packet.qos;
  const id = packet.messageId ?? 0;
  if (qos === 2 && limits.features.qos2) {
    const session = ch.session!;
    if (session.awaitingRelease.has(id)) {
      // [MQTT-4.3.3-10] a resend is acknowledged, not routed again
      ch.link.write(ack(PUBREC, id));
      return;
    }
    // [MQTT-3.3.4-7] no more QoS 2 exchanges open than the Receive Maximum we advertised (else 0x93)
    if (session.awaitingRelease.size >= limits.maxInflight) {
      return ch.close(RC.RECEIVE_MAXIMUM_EXCEEDED, `over ${limits.maxInflight} QoS 2 messages awaiting PUBREL`);
    }
  }
  const refusal = gate.publish(ch, topic, payload, qos, packet.retain, v5 ? publishProperties(packet.properties) : undefined);
  if (refusal !== undefined) return refused(ch, refusal, qos, id);
  ch.deps.broker.counters.received[mqttProtocol(ch.protocolVersion) * 3 + qos]!++;
  if (qos === 0) return;
  if (qos === 1) {
    ch.link.write(ack(PUBACK, id));
    return;
  }
  // QoS 2, method B of the standard: routed when the PUBLISH comes, its packet id kept until PUBREL.
  ch.session!.awaitRelease(id);
  // [MQTT-4.3.3-8] PUBREC with the packet id of the PUBLISH
  ch.link.write(ack(PUBREC, id));
}

function refused(ch: ChannelContext, refusal: Refusal, qos: number, id: number): void {
  const gate = ch.deps.gate;
  const reason = DISCONNECT_FOR[refusal];
  if (reason !== undefined) return ch.close(reason, gate.why());
  const v5 = ch.protocolVersion === 5;
  if (refusal === 'NotAuthorized') {
    // AWS: a v5 client gets PUBACK 0x87; a 3.1.1 client is disconnected.
    if (!v5) return ch.close(RC.NOT_AUTHORIZED, gate.why());
    if (qos === 0) return;
    // The Reason String is only made when it is sent: refusals stay allocation-light in the aws profile.
    return writeAck(ch, { cmd: qos === 1 ? 'puback' : 'pubrec', messageId: id, reasonCode: RC.NOT_AUTHORIZED }, explains(ch) ? gate.why() : undefined);
  }
  // Over the quota: AWS drops the publish; a v5 client is told 0x97, a 3.1.1 client's exchange
  // completes as usual so that it does not resend what was dropped.
  if (qos === 0) return;
  writeAck(ch, { cmd: qos === 1 ? 'puback' : 'pubrec', messageId: id, reasonCode: v5 ? RC.QUOTA_EXCEEDED : RC.SUCCESS },
    explains(ch) ? gate.why() : undefined);
}

export function onPubrel(ch: ChannelContext, packet: IPubrelPacket): void {
  const id = packet.messageId!;
  const known = ch.session!.release(id);
  // [MQTT-4.3.3-11] PUBCOMP with the packet id of the PUBREL; v5 says when the id was unknown
  if (!known && ch.protocolVersion === 5) {
    ch.link.write(encode({ cmd: 'pubcomp', messageId: id, reasonCode: RC.PACKET_IDENTIFIER_NOT_FOUND }, 5));
    return;
  }
  ch.link.write(ack(PUBCOMP, id));
}
