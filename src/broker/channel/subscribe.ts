/**
 * @module broker/channel/subscribe
 * SUBSCRIBE and UNSUBSCRIBE: each filter judged on its own (the quotas, the filter's syntax, reserved
 * `$` topics, iot:Subscribe, the per-connection subscription limit), the subscription put in the
 * router, SUBACK or UNSUBACK with a code per filter, then the retained messages the new
 * subscriptions get, and AWS's subscription lifecycle events.
 */
import type { ISubscribePacket, IUnsubscribePacket } from 'mqtt-packet';
import type { Message, QoS } from '../../protocol/codec.js';
import { RC } from '../../protocol/reason-codes.js';
import { validateSubscriptionFilter } from '../../protocol/topics.js';
import { NO_LOCAL, RETAIN_AS_PUBLISHED } from '../topic-tree.js';
import type { ChannelContext } from './context.js';
import { explains, writeAck } from './replies.js';

export function onSubscribe(ch: ChannelContext, packet: ISubscribePacket): void {
  const { limits, broker, gate, clock } = ch.deps;
  const v5 = ch.protocolVersion === 5;
  const subscriptionId = v5 ? packet.properties?.subscriptionIdentifier : undefined;
  if (subscriptionId !== undefined && !limits.features.subscriptionIdentifiers) {
    // We advertise Subscription Identifiers Available = 0 [MQTT-3.8.2-1.2]
    return ch.close(RC.SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED, 'subscription identifiers are not supported');
  }
  // [MQTT-3.8.2-1.2] a Subscription Identifier of 0 is a protocol error
  if (subscriptionId === 0) return ch.close(RC.PROTOCOL_ERROR, 'subscription identifier 0');
  const id = subscriptionId ?? 0;
  const ids = id === 0 ? undefined : [id];
  // [MQTT-3.8.3-3] a SUBSCRIBE must hold at least one filter
  if (packet.subscriptions.length === 0) return ch.close(RC.PROTOCOL_ERROR, 'SUBSCRIBE without filters');
  // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error
  if (v5 && packet.subscriptions.some((s) => s.nl === true && s.topic.startsWith('$share/'))) {
    return ch.close(RC.PROTOCOL_ERROR, 'No Local on a shared subscription');
  }
  const session = ch.session!;
  const failure = v5 ? RC.UNSPECIFIED_ERROR : 0x80;
  const granted: number[] = [];
  const subscribed: string[] = [];
  const retained: Array<[Message, QoS]> = [];
  // Why each refused filter was refused, for a v5 Reason String (only when this connection gets them).
  const explained = explains(ch);
  let problems: string[] | undefined;
  const refuse = (filter: string, code: number, why: string): number => {
    if (explained) (problems ??= []).push(`${filter}: ${why}`);
    return granted.push(v5 ? code : failure);
  };
  // A SUBSCRIBE over the per-connection rate is refused filter by filter (v5: 0x97 Quota exceeded).
  const perSecond = limits.rates.subscribePerSecond;
  const throttled = perSecond > 0 && ch.subscribeRate.over(perSecond, clock.now());
  packet.subscriptions.forEach((sub, index) => {
    const filter = sub.topic;
    if (throttled) return refuse(filter, RC.QUOTA_EXCEEDED, `over ${perSecond} SUBSCRIBE per second on this connection`);
    if (index >= limits.maxFiltersPerSubscribe) return refuse(filter, RC.QUOTA_EXCEEDED, `over ${limits.maxFiltersPerSubscribe} filters in one SUBSCRIBE`);
    const invalid = validateSubscriptionFilter(filter, limits.topics);
    if (invalid !== null) return refuse(filter, RC.TOPIC_FILTER_INVALID, invalid);
    // AWS: clients may watch only the `$` topics AWS publishes to them (events, services' replies).
    if (gate.reservedFilter(filter)) return refuse(filter, RC.NOT_AUTHORIZED, 'a reserved topic');
    if (!ch.grants.subscribe(filter)) return refuse(filter, RC.NOT_AUTHORIZED, 'not authorized to subscribe');
    const isNew = !session.subscriptions.has(filter);
    if (isNew && session.subscriptions.size >= limits.maxSubscriptions) {
      return refuse(filter, RC.QUOTA_EXCEEDED, `over ${limits.maxSubscriptions} subscriptions on this connection`);
    }
    // AWS IoT grants at most QoS 1.
    const qos: QoS = sub.qos === 2 && limits.features.qos2 ? 2 : sub.qos >= 1 ? 1 : 0;
    const flags = v5 ? (sub.nl === true ? NO_LOCAL : 0) | (sub.rap === true ? RETAIN_AS_PUBLISHED : 0) : 0;
    const toSend = broker.subscribe(session, filter, qos, flags, id);
    // [MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11] Retain Handling 0: always, 1: only for a new subscription, 2: never
    const handling = v5 ? (sub.rh ?? 0) : 0;
    if (handling === 0 || (handling === 1 && isNew)) {
      for (const message of toSend) retained.push([message, message.qos < qos ? message.qos : qos]);
    }
    subscribed.push(filter);
    return granted.push(qos);
  });
  writeAck(ch, { cmd: 'suback', messageId: packet.messageId, granted }, problems?.join('; '));
  // [MQTT-3.3.1-8] retained messages go out after the SUBACK, with RETAIN set
  for (const [message, qos] of retained) session.deliverRetained(message, qos, ids);
  if (ch.identity) ch.deps.lifecycle?.subscriptions(ch.identity, 'subscribed', subscribed);
}

export function onUnsubscribe(ch: ChannelContext, packet: IUnsubscribePacket): void {
  // [MQTT-3.10.3-2] an UNSUBSCRIBE must hold at least one filter
  if (packet.unsubscriptions.length === 0) return ch.close(RC.PROTOCOL_ERROR, 'UNSUBSCRIBE without filters');
  const codes: number[] = [];
  const removedFilters: string[] = [];
  const explained = explains(ch);
  let problems: string[] | undefined;
  for (const filter of packet.unsubscriptions) {
    const removed = ch.deps.broker.unsubscribe(ch.session!, filter);
    if (removed) removedFilters.push(filter);
    codes.push(removed ? RC.SUCCESS : 0x11 /* no subscription existed */);
    // The code is the same either way; the Reason String says when the filter could never have matched.
    if (!removed && explained) (problems ??= []).push(`${filter}: ${validateSubscriptionFilter(filter, ch.deps.limits.topics) ?? 'no subscription existed'}`);
  }
  // 3.1.1 UNSUBACK carries no reason codes; the encoder leaves them out for version 4.
  writeAck(ch, { cmd: 'unsuback', messageId: packet.messageId!, granted: codes }, problems?.join('; '));
  if (ch.identity) ch.deps.lifecycle?.subscriptions(ch.identity, 'unsubscribed', removedFilters);
}
