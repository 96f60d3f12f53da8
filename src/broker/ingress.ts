/**
 * @module broker/ingress
 * The publish gate: the one way a message enters topicd. An MQTT PUBLISH, an HTTPS publish, a will,
 * a SigV4 iot-data call, a service's reply (shadows, lifecycle events), the console's test client:
 * each door hands the gate a topic, a payload and its options, and the gate applies every publish rule
 * once, in one order: QoS, topic name, payload size, reserved `$` topics, iot:Publish and
 * iot:RetainPublish, the per-connection quota, the MQTT 5 properties (the message expiry cap), then
 * builds the Message and hands it to the router (which keeps retained copies and queues owed ones in
 * the Store) and to the service that serves the topic, if any. Doors map the typed outcome (a Refusal)
 * to their own wire answer: a PUBACK reason or a DISCONNECT, an AWS-shaped HTTP error.
 *
 * Hot path: no allocation but the Message itself; a refusal's explanation is made only when a door
 * asks for it (`why()`), as only the doors that send it do.
 */
import type { Grants } from '../auth/authorizer.js';
import { DROP_QUOTA, type Counters } from '../observe/counters.js';
import { createMessage, type Message, type PublishProperties, type QoS } from '../protocol/codec.js';
import { validateTopicName, type TopicLimits } from '../protocol/topics.js';
import type { Broker } from './broker.js';
import type { Clock } from './clock.js';
import type { Session } from './session.js';

/** Why the gate refused a message. Each door maps it to its wire answer. */
export type Refusal =
  /** QoS 2 where the profile does not serve it (AWS: 0 and 1 only). */
  | 'QosNotSupported'
  /** Not a valid topic name: empty, wildcards, too long or too deep ([MQTT-3.3.2-2], AWS limits). */
  | 'TopicInvalid'
  /** Payload over the limit (AWS: 128 KB). */
  | 'PayloadTooLarge'
  /** A `$` topic that no service serves: reserved to AWS IoT in the aws profile. */
  | 'ReservedTopic'
  /** iot:Publish (or iot:RetainPublish) is not allowed on the topic. */
  | 'NotAuthorized'
  /** Over the per-connection publish quota (AWS: 100 per second). */
  | 'QuotaExceeded';

/** A per-connection count of publishes in the current second. */
export class RateWindow {
  private second = 0;
  private count = 0;

  /** Counts one more; true when that one is over `perSecond`. */
  over(perSecond: number, now: number): boolean {
    const second = Math.floor(now / 1000);
    if (second !== this.second) {
      this.second = second;
      this.count = 0;
    }
    return ++this.count > perSecond;
  }
}

/** Who publishes: what the gate needs to know of the door's connection. */
export interface Publisher {
  /** What this connection may do. */
  readonly grants: Grants;
  /** The publishing MQTT session (for No Local); undefined over HTTPS. */
  readonly session: Session | undefined;
  /** The connection's publish quota window; undefined where the door keeps none. */
  readonly rate: RateWindow | undefined;
  /** The MQTT client id, for services that answer the requester alone; undefined over HTTPS. */
  readonly clientId: string | undefined;
}

/**
 * A service on reserved topics (the Device Shadow service, later jobs): it serves the `$` topics for
 * which `serves` is true, and is handed each message published there after the gate admitted it.
 */
export interface TopicService {
  serves(topic: string): boolean;
  onPublish(message: Message, from: Publisher): void;
}

export interface GateLimits {
  qos2: boolean;
  topics: TopicLimits;
  maxPayloadBytes: number;
  /** AWS: only the `$aws/...` topics of its services may be published to; the standard reserves nothing. */
  reservedDollarTopics: boolean;
  /** Publishes per second per connection; 0 means no quota. */
  publishPerSecond: number;
}

/** AWS clamps a message expiry to 1..604800 seconds (reference §1, §4). */
export const MAX_MESSAGE_EXPIRY_SECONDS = 604_800;

export class PublishGate {
  private lastRefusal: Refusal | undefined;
  /** The topic, or the topic validator's own explanation, of the last refusal. */
  private lastDetail = '';
  private readonly services: TopicService[] = [];
  /** The router's counters, for the doors that count what they admitted (received, by protocol and QoS). */
  readonly counters: Counters;

  constructor(
    private readonly broker: Broker,
    readonly limits: GateLimits,
    private readonly clock: Clock,
  ) {
    this.counters = broker.counters;
  }

  /** Adds a service; its topics become publishable (under policies) in the aws profile. */
  addService(service: TopicService): void {
    this.services.push(service);
  }

  /**
   * The checks that need no payload: QoS, topic, reserved topics, authorization, and the payload's
   * size when the door knows it. A door that must answer before it reads the body (HTTPS: before
   * `100 Continue`) calls this, then `publishAdmitted`; CONNECT admits its will with it.
   */
  admit(from: Publisher, topic: string, qos: QoS, retain: boolean, payloadLength = 0): Refusal | undefined {
    if (payloadLength > this.limits.maxPayloadBytes) return this.refuse('PayloadTooLarge', topic);
    if (qos === 2 && !this.limits.qos2) return this.refuse('QosNotSupported', topic);
    const problem = validateTopicName(topic, this.limits.topics);
    if (problem !== null) return this.refuse('TopicInvalid', problem);
    // AWS: the `$` topics belong to the service; only those a service serves may be published to,
    // and never retained (reference §5).
    if (this.limits.reservedDollarTopics && topic.charCodeAt(0) === 36 /* $ */ && (retain || this.serviceFor(topic) === undefined)) {
      return this.refuse('ReservedTopic', topic);
    }
    if (!from.grants.publish(topic, retain)) return this.refuse('NotAuthorized', topic);
    return undefined;
  }

  /** Every rule for one message, then routing: undefined when the message was accepted. */
  publish(from: Publisher, topic: string, payload: Buffer, qos: QoS, retain: boolean, properties: PublishProperties | undefined): Refusal | undefined {
    return this.admit(from, topic, qos, retain) ?? this.publishAdmitted(from, topic, payload, qos, retain, properties);
  }

  /** The rest of `publish`, for a door that called `admit` for this very topic, QoS and retain flag. */
  publishAdmitted(from: Publisher, topic: string, payload: Buffer, qos: QoS, retain: boolean, properties: PublishProperties | undefined): Refusal | undefined {
    if (payload.length > this.limits.maxPayloadBytes) return this.refuse('PayloadTooLarge', topic);
    const perSecond = this.limits.publishPerSecond;
    if (perSecond > 0 && from.rate !== undefined && from.rate.over(perSecond, this.clock.now())) {
      // AWS drops what is over the quota: counted with the other drops.
      this.counters.dropped[DROP_QUOTA]!++;
      return this.refuse('QuotaExceeded', topic);
    }
    const message = this.message(topic, payload, qos, retain, properties);
    this.broker.publish(message, from.session);
    if (topic.charCodeAt(0) === 36) this.serviceFor(topic)?.onPublish(message, from);
    return undefined;
  }

  /**
   * A message the service itself publishes (lifecycle events, shadow responses, a will admitted at
   * CONNECT): routed to every matching subscriber, no policy asked of the sender.
   */
  publishAsService(topic: string, payload: Buffer, qos: QoS, retain = false, properties?: PublishProperties): void {
    this.broker.publish(this.message(topic, payload, qos, retain, properties), undefined);
  }

  /** A service's answer for one client alone: only that client's matching subscriptions get it. */
  replyTo(clientId: string, topic: string, payload: Buffer, qos: QoS): void {
    this.broker.deliverTo(clientId, this.message(topic, payload, qos, false, undefined));
  }

  /**
   * The message as topicd routes it: AWS clamps a message expiry to 1..604800 seconds rather than
   * refusing it, and the expiry runs from now.
   */
  private message(topic: string, payload: Buffer, qos: QoS, retain: boolean, properties: PublishProperties | undefined): Message {
    let expiresAt: number | undefined;
    const interval = properties?.messageExpiryInterval;
    if (interval !== undefined && properties !== undefined) {
      const clamped = interval < 1 ? 1 : interval > MAX_MESSAGE_EXPIRY_SECONDS ? MAX_MESSAGE_EXPIRY_SECONDS : interval;
      if (clamped !== interval) properties = { ...properties, messageExpiryInterval: clamped };
      expiresAt = this.clock.now() + clamped * 1000;
    }
    return createMessage(topic, payload, qos, retain, properties, expiresAt);
  }

  /** Why the last refusal was made, in words (a v5 Reason String, an HTTP error message). */
  why(): string {
    const detail = this.lastDetail;
    switch (this.lastRefusal) {
      case 'QosNotSupported': return 'QoS 2 is not supported';
      case 'TopicInvalid': return detail;
      case 'PayloadTooLarge': return `payload over ${this.limits.maxPayloadBytes} bytes`;
      case 'ReservedTopic': return `${detail} is a reserved topic`;
      case 'NotAuthorized': return `not authorized to publish to ${detail}`;
      case 'QuotaExceeded': return `over ${this.limits.publishPerSecond} PUBLISH per second on this connection`;
      default: return '';
    }
  }

  /**
   * Whether a subscription filter names reserved `$` topics a client may not watch: in the aws profile
   * every `$` filter but AWS's events (`$aws/events/...`) and the topics of a service; a shared
   * subscription is judged by the filter it shares.
   */
  reservedFilter(filter: string): boolean {
    if (!this.limits.reservedDollarTopics) return false;
    let f = filter;
    if (f.startsWith('$share/')) {
      const slash = f.indexOf('/', 7);
      if (slash === -1) return false;
      f = f.slice(slash + 1);
    }
    if (f.charCodeAt(0) !== 36 || f.startsWith('$aws/events/')) return false;
    return this.serviceFor(f) === undefined;
  }

  private serviceFor(topic: string): TopicService | undefined {
    for (const service of this.services) if (service.serves(topic)) return service;
    return undefined;
  }

  private refuse(refusal: Refusal, detail: string): Refusal {
    this.lastRefusal = refusal;
    this.lastDetail = detail;
    return refusal;
  }
}
