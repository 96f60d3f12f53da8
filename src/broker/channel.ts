/**
 * @module broker/channel
 * One MQTT connection's state machine: CONNECT, PUBLISH both ways at QoS 0 and 1 (and 2 when the
 * profile allows it), SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT, keep-alive and takeover, for
 * MQTT 3.1.1 and 5. What the connection may do beyond AWS IoT is in `limits.features` (broker/profile.ts).
 *
 * Design note. The channel never touches a socket: the transport feeds it parsed packets and gives
 * it a Link to write bytes to and to close. Every failure of the client ends in `close(reason)`,
 * which sends a v5 DISCONNECT where the spec allows and then ends the link; nothing throws out of
 * `handle`. What outlives the connection (subscriptions, QoS 1 messages owed, the in-flight window)
 * belongs to the Session (broker/session.ts); the channel only writes what the session sends.
 */
import { randomUUID } from 'node:crypto';
import type {
  IConnectPacket,
  IPublishPacket,
  ISubscribePacket,
  IUnsubscribePacket,
  IPubackPacket,
  IPubrecPacket,
  IPubrelPacket,
  IPubcompPacket,
  ISubackPacket,
  IUnsubackPacket,
  Packet,
} from 'mqtt-packet';
import { DENY_ALL, type Authorizer, type ConnectAttribute, type Grants, type Principal } from '../auth/authorizer.js';
import {
  createMessage, encode, encodePublish, encodePublishFor, markDuplicate, type Message, type ProtocolVersion, type PublishProperties, type QoS,
} from '../protocol/codec.js';
import { CONNACK_V4, RC, connackCodeV4 } from '../protocol/reason-codes.js';
import { validateSubscriptionFilter, validateTopicName } from '../protocol/topics.js';
import type { Broker, WillMessage } from './broker.js';
import { clampKeepAlive, type ChannelLimits } from './limits.js';
import { NO_LOCAL, RETAIN_AS_PUBLISHED } from './topic-tree.js';
import type { ConnectionIdentity, DisconnectReason, LifecycleEvents } from './lifecycle.js';
import type { Session, SessionChannel } from './session.js';

/** What a channel needs from its transport. */
export interface Link {
  /** Queue bytes for the peer (the transport batches writes per tick). */
  write(buf: Buffer): void;
  /** Flush what was written, then close. */
  end(): void;
  /** Bytes written but not yet sent (the peer has not read them). */
  readonly buffered: number;
  readonly remoteAddress: string;
}

export interface ChannelDeps {
  broker: Broker;
  authorizer: Authorizer;
  principal: Principal;
  limits: ChannelLimits;
  /** AWS lifecycle events; none are published when absent. */
  lifecycle?: LifecycleEvents | undefined;
  /** Told once when the channel is closed, for the transport's bookkeeping. */
  onClosed?: (channel: Channel) => void;
}

type State = 'awaiting-connect' | 'connected' | 'closed';

const PINGRESP = Buffer.from([0xd0, 0x00]);
/** Fixed headers of the acknowledgements [MQTT-3.4.1] [MQTT-3.5.1] [MQTT-3.6.1-1] [MQTT-3.7.1]. */
const PUBACK = 0x40;
const PUBREC = 0x50;
const PUBREL = 0x62;
const PUBCOMP = 0x70;

export class Channel implements SessionChannel {
  clientId = '';
  protocolVersion: ProtocolVersion = 4;
  private state: State = 'awaiting-connect';
  private keepAliveMs = 0;
  private lastActivity = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private will: Will | undefined;
  private sessionExpirySeconds = 0;
  private session: Session | undefined;
  /** What this connection may do; known once CONNECT names the client id. */
  private grants: Grants = DENY_ALL;
  private identity: ConnectionIdentity | undefined;
  /** PUBACKs (QoS 1) and PUBRECs (QoS 2) held back by congested subscribers, in PUBLISH order (so their deadlines ascend too). */
  private heldAcks: HeldAck[] | undefined;
  /** One timer for the oldest held acknowledgement's deadline (see holdAck). */
  private heldAckTimer: NodeJS.Timeout | undefined;
  /** Inbound topic aliases the client set on this connection (v5); they end with it [MQTT-3.3.2-7]. */
  private topicAliases: Map<number, string> | undefined;
  sendWindow: number;
  /** Largest packet the client accepts (v5 Maximum Packet Size). */
  private clientMaxPacket = Number.MAX_SAFE_INTEGER;
  /** Outbound topic aliases: the client's Topic Alias Maximum (0: none) and the aliases set so far. */
  private clientAliasMax = 0;
  private outAliases: Map<string, number> | undefined;
  /** v5 Request Problem Information: false when the client asked for no Reason Strings [MQTT-3.1.2-29]. */
  private problemInfo = true;
  /** Rate quotas: the current one-second window and what it has counted. */
  private rateWindow = 0;
  private publishesInWindow = 0;
  private subscribesInWindow = 0;

  constructor(
    private readonly link: Link,
    private readonly deps: ChannelDeps,
  ) {
    this.sendWindow = deps.limits.maxInflight;
    // [MQTT-3.1.4-1] a connection that never sends CONNECT is closed
    this.timer = setTimeout(() => this.close(undefined, 'no CONNECT in time'), deps.limits.connectTimeoutMs);
    this.timer.unref();
  }

  /** Entry point for every parsed packet. */
  handle(packet: Packet): void {
    if (this.state === 'closed') return;
    this.lastActivity = Date.now();
    if (this.state === 'awaiting-connect') {
      // [MQTT-3.1.0-1] the first packet must be CONNECT
      if (packet.cmd !== 'connect') return this.close(undefined, `first packet was ${packet.cmd}, not CONNECT`);
      return this.onConnect(packet);
    }
    switch (packet.cmd) {
      case 'publish': return this.onPublish(packet);
      case 'puback': return this.onPuback(packet);
      case 'pubrec': if (this.deps.limits.features.qos2) return this.onPubrec(packet); break;
      case 'pubrel': if (this.deps.limits.features.qos2) return this.onPubrel(packet); break;
      case 'pubcomp': if (this.deps.limits.features.qos2) return this.onPubcomp(packet); break;
      case 'subscribe': return this.onSubscribe(packet);
      case 'unsubscribe': return this.onUnsubscribe(packet);
      case 'pingreq': return this.link.write(PINGRESP);
      case 'disconnect': return this.onDisconnect(packet.reasonCode);
      // [MQTT-3.1.0-2] a second CONNECT is a protocol violation
      case 'connect': return this.close(RC.PROTOCOL_ERROR, 'second CONNECT');
      default: break;
    }
    // AWS IoT supports neither QoS 2 flows nor enhanced authentication.
    this.close(RC.PROTOCOL_ERROR, `unexpected ${packet.cmd}`);
  }

  /**
   * Whether the connection may go on: false once its identity or its iot:Connect no longer holds
   * (the transport asks after every registry change that can alter a decision).
   */
  stillAuthorized(): boolean {
    return this.state !== 'connected' || this.grants.connect();
  }

  /**
   * The transport says the client's bytes were malformed; `reason` is the v5 code (0x81 unless said),
   * `connectVersion` the protocol level when the bad packet was the CONNECT: a v5 client then gets a
   * CONNACK with `reason` [MQTT-4.13.1], a 3.1.1 client is closed without one.
   */
  malformed(why: string, reason: number = RC.MALFORMED_PACKET, connectVersion?: number): void {
    if (this.state === 'awaiting-connect' && connectVersion === 5) {
      this.protocolVersion = 5;
      return this.refuse(reason, `malformed CONNECT: ${why}`);
    }
    this.close(this.state === 'connected' ? reason : undefined, `malformed packet: ${why}`);
  }

  /**
   * The transport says the connection went away; `byClientWebSocketClose` when the client ended it
   * with a WebSocket close frame, which AWS treats as a clean disconnect (no will).
   */
  linkClosed(byClientWebSocketClose = false): void {
    if (this.state === 'closed') return;
    if (byClientWebSocketClose && !this.deps.limits.features.willOnWebSocketClose) return this.finish(false, 'CLIENT_INITIATED_DISCONNECT');
    this.finish(true, 'CONNECTION_LOST');
  }

  // ---- CONNECT ----

  private onConnect(packet: IConnectPacket): void {
    const version = packet.protocolVersion;
    if (version !== 4 && version !== 5) {
      // [MQTT-3.1.2-2] unsupported protocol level: CONNACK 0x01 then close (3.1 clients included)
      this.protocolVersion = 4;
      return this.refuse(RC.UNSUPPORTED_PROTOCOL_VERSION, `protocol version ${String(version)} is not supported`);
    }
    this.protocolVersion = version;
    const { limits, authorizer, principal } = this.deps;
    if (version === 5 && packet.properties?.requestProblemInformation === false) this.problemInfo = false;

    let clientId = packet.clientId;
    let assigned = false;
    if (clientId === '') {
      // [MQTT-3.1.3-8] 3.1.1 may only leave it empty with a clean session; v5 gets one assigned
      if (version === 4 && !packet.clean) return this.refuse(RC.CLIENT_IDENTIFIER_NOT_VALID, 'empty client id needs a clean session');
      clientId = `topicd-${randomUUID()}`;
      assigned = true;
    }
    if (Buffer.byteLength(clientId) > limits.maxClientIdBytes) {
      return this.refuse(RC.CLIENT_IDENTIFIER_NOT_VALID, `client id over ${limits.maxClientIdBytes} bytes`);
    }
    // AWS: the `$` prefix is reserved for the service
    if (clientId.charCodeAt(0) === 36) return this.refuse(RC.CLIENT_IDENTIFIER_NOT_VALID, 'client id must not start with $');
    // An unknown username (the AWS device SDK sends a metrics string) is ignored: the certificate decides.
    // AWS: iot:ConnectAttributes lets a Connect policy refuse persistent sessions or wills.
    const persistent = version === 5 ? (packet.properties?.sessionExpiryInterval ?? 0) > 0 : packet.clean === false;
    const attributes: ConnectAttribute[] = [];
    if (persistent) attributes.push('PersistentConnect');
    if (packet.will) attributes.push('LastWill');
    this.grants = authorizer.grants(principal, clientId, attributes);
    if (!this.grants.connect()) return this.refuse(RC.NOT_AUTHORIZED, 'not authorized to connect');
    // AWS: 1 CONNECT per second per client id (reference §4); a quota only when set.
    if (limits.rates.connectPerSecond > 0 && !this.deps.broker.admitConnect(clientId, limits.rates.connectPerSecond)) {
      return this.refuse(RC.QUOTA_EXCEEDED, `over ${limits.rates.connectPerSecond} CONNECT per second for this client id`);
    }

    if (packet.will) {
      const willTopic = packet.will.topic;
      const willRetain = packet.will.retain === true;
      const willQos = packet.will.qos ?? 0;
      const problem = validateTopicName(willTopic, limits.topics);
      if (problem) return this.refuse(RC.TOPIC_NAME_INVALID, `will ${problem}`);
      if (willQos === 2 && !limits.features.qos2) return this.refuse(RC.QOS_NOT_SUPPORTED, 'will QoS 2 is not supported');
      if (!this.grants.publish(willTopic, willRetain)) return this.refuse(RC.NOT_AUTHORIZED, 'not authorized to publish the will');
      this.will = {
        topic: willTopic, payload: Buffer.from(packet.will.payload), qos: willQos, retain: willRetain,
        properties: version === 5 ? publishProperties(packet.will.properties) : undefined,
        delaySeconds: version === 5 ? (packet.will.properties?.willDelayInterval ?? 0) : 0,
      };
    }

    const props = packet.properties;
    if (props?.receiveMaximum) this.sendWindow = Math.min(limits.maxInflight, props.receiveMaximum);
    // AWS: a 3.1.1 persistent session lasts the default expiry (1 h); v5 asks with Session Expiry
    // Interval, capped at the maximum (7 days), and is told the value granted.
    const requestedExpiry = version === 5 ? (props?.sessionExpiryInterval ?? 0) : (packet.clean ? 0 : limits.defaultSessionExpiry);
    const expiry = Math.min(requestedExpiry, limits.maxSessionExpiry);
    this.sessionExpirySeconds = expiry;
    if (props?.maximumPacketSize) this.clientMaxPacket = props.maximumPacketSize;
    if (limits.features.outboundTopicAliases && props?.topicAliasMaximum) this.clientAliasMax = props.topicAliasMaximum;

    const requestedKeepAlive = packet.keepalive ?? 0;
    const keepAlive = clampKeepAlive(requestedKeepAlive, limits);
    this.keepAliveMs = keepAlive * 1000;
    this.clientId = clientId;
    this.state = 'connected';
    const { session, present } = this.deps.broker.openSession(clientId, packet.clean === true, expiry);
    this.session = session;

    if (version === 5) {
      const { qos2, subscriptionIdentifiers } = limits.features;
      this.link.write(encode({
        cmd: 'connack',
        reasonCode: RC.SUCCESS,
        sessionPresent: present,
        properties: {
          // AWS IoT's advertised capabilities (reference §5); an absent Maximum QoS means 2 [MQTT-3.2.2-9]
          ...(qos2 ? {} : { maximumQoS: 1 as const }),
          retainAvailable: true,
          wildcardSubscriptionAvailable: true,
          ...(subscriptionIdentifiers ? {} : { subscriptionIdentifiersAvailable: false }),
          sharedSubscriptionAvailable: true,
          topicAliasMaximum: limits.topicAliasMaximum,
          receiveMaximum: limits.maxInflight,
          maximumPacketSize: limits.maxPacketBytes,
          ...(keepAlive !== requestedKeepAlive ? { serverKeepAlive: keepAlive } : {}),
          ...(assigned ? { assignedClientIdentifier: clientId } : {}),
          ...(expiry !== requestedExpiry ? { sessionExpiryInterval: expiry } : {}),
        },
      }, 5));
    } else {
      // [MQTT-3.2.2-1] session present is 0 for a clean session
      this.link.write(encode({ cmd: 'connack', returnCode: CONNACK_V4.ACCEPTED, sessionPresent: present }, 4));
    }
    this.armKeepAlive();
    if (this.deps.lifecycle) {
      this.identity = this.deps.lifecycle.identify(clientId, principal, this.link.remoteAddress);
      this.deps.lifecycle.connected(this.identity);
    }
    // After CONNACK: redeliver what the session still owes [MQTT-4.4.0-1].
    session.attach(this);
  }

  private refuse(reason: number, why: string): void {
    const packet = this.protocolVersion === 5
      ? { cmd: 'connack' as const, reasonCode: reason, sessionPresent: false, ...this.reasonString(why) }
      : { cmd: 'connack' as const, returnCode: connackCodeV4(reason), sessionPresent: false };
    this.link.write(encode(packet, this.protocolVersion));
    this.close(undefined, why);
  }

  // ---- PUBLISH in ----

  private onPublish(packet: IPublishPacket): void {
    const { limits, broker } = this.deps;
    const v5 = this.protocolVersion === 5;
    // AWS IoT: QoS 0 and 1 only.
    if (packet.qos === 2 && !limits.features.qos2) return this.close(RC.QOS_NOT_SUPPORTED, 'QoS 2 is not supported');
    let topic = packet.topic;
    const alias = v5 ? packet.properties?.topicAlias : undefined;
    if (alias !== undefined) {
      // [MQTT-3.3.2-9] an alias of 0 or over the Topic Alias Maximum we advertised is an error
      if (alias === 0 || alias > limits.topicAliasMaximum) return this.close(RC.TOPIC_ALIAS_INVALID, `topic alias ${alias} is out of range`);
      if (topic === '') {
        const known = this.topicAliases?.get(alias);
        // [MQTT-3.3.2-12] an empty topic needs an alias the client has set on this connection
        if (known === undefined) return this.close(RC.PROTOCOL_ERROR, `topic alias ${alias} was never set`);
        topic = known;
      } else {
        (this.topicAliases ??= new Map()).set(alias, topic);
      }
    }
    const problem = validateTopicName(topic, limits.topics);
    if (problem) return this.close(RC.TOPIC_NAME_INVALID, problem);
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    if (payload.length > limits.maxPayloadBytes) return this.close(RC.PACKET_TOO_LARGE, `payload over ${limits.maxPayloadBytes} bytes`);

    if (!this.grants.publish(topic, packet.retain)) {
      // AWS: a v5 client gets PUBACK 0x87; a 3.1.1 client is disconnected.
      if (!v5) return this.close(RC.NOT_AUTHORIZED, `not authorized to publish to ${topic}`);
      if (packet.qos === 0) return;
      // The Reason String is only made when it is sent: refusals stay allocation-light in the aws profile.
      return this.writeAck({ cmd: packet.qos === 1 ? 'puback' : 'pubrec', messageId: packet.messageId!, reasonCode: RC.NOT_AUTHORIZED },
        this.explains() ? `not authorized to publish to ${topic}` : undefined);
    }
    if (limits.rates.publishPerSecond > 0 && this.overRate(limits.rates.publishPerSecond, true)) {
      // AWS: publishes over the per-connection rate are dropped; a v5 client is told 0x97, a 3.1.1
      // client's QoS 1/2 exchange completes as usual so it does not resend what was dropped.
      if (packet.qos === 0) return;
      const reasonCode = v5 ? RC.QUOTA_EXCEEDED : RC.SUCCESS;
      return this.writeAck({ cmd: packet.qos === 1 ? 'puback' : 'pubrec', messageId: packet.messageId!, reasonCode },
        this.explains() ? `over ${limits.rates.publishPerSecond} PUBLISH per second on this connection` : undefined);
    }
    if (packet.qos === 2) return this.onPublishQos2(packet, topic, payload);
    const congested = broker.publish(createMessage(topic, payload, packet.qos, packet.retain, v5 ? publishProperties(packet.properties) : undefined), this.session);
    if (packet.qos !== 1) return;
    if (congested.length === 0 && this.heldAcks === undefined) {
      this.link.write(this.puback(packet.messageId!));
      return;
    }
    this.holdAck(PUBACK, packet.messageId!, congested);
  }

  /**
   * QoS 2 in, method B of the standard: the message is routed when the PUBLISH comes and its packet
   * id is kept until PUBREL, so a resent PUBLISH is acknowledged but not routed twice [MQTT-4.3.3-10].
   */
  private onPublishQos2(packet: IPublishPacket, topic: string, payload: Buffer): void {
    const session = this.session!;
    const id = packet.messageId!;
    if (session.awaitingRelease.has(id)) {
      // A resend: its PUBREC goes again, unless the first one is still held (it will go in its turn).
      if (this.heldAcks?.some((held) => held.header === PUBREC && held.messageId === id) !== true) this.link.write(this.ack(PUBREC, id));
      return;
    }
    // [MQTT-3.3.4-7] no more QoS 2 exchanges open than the Receive Maximum we advertised (else 0x93)
    if (session.awaitingRelease.size >= this.deps.limits.maxInflight) {
      return this.close(RC.RECEIVE_MAXIMUM_EXCEEDED, `over ${this.deps.limits.maxInflight} QoS 2 messages awaiting PUBREL`);
    }
    const v5 = this.protocolVersion === 5;
    const congested = this.deps.broker.publish(createMessage(topic, payload, 2, packet.retain, v5 ? publishProperties(packet.properties) : undefined), session);
    session.awaitRelease(id);
    // [MQTT-4.3.3-8] PUBREC with the packet id of the PUBLISH, held like a PUBACK while a subscriber is congested
    if (congested.length === 0 && this.heldAcks === undefined) {
      this.link.write(this.ack(PUBREC, id));
      return;
    }
    this.holdAck(PUBREC, id, congested);
  }

  private onPubrel(packet: IPubrelPacket): void {
    const id = packet.messageId!;
    const known = this.session!.release(id);
    // [MQTT-4.3.3-11] PUBCOMP with the packet id of the PUBREL; v5 says when the id was unknown
    if (!known && this.protocolVersion === 5) {
      this.link.write(encode({ cmd: 'pubcomp', messageId: id, reasonCode: RC.PACKET_IDENTIFIER_NOT_FOUND }, 5));
      return;
    }
    this.link.write(this.ack(PUBCOMP, id));
  }

  private onPubrec(packet: IPubrecPacket): void {
    this.session?.received(packet.messageId!, (packet.reasonCode ?? 0) >= 0x80);
  }

  private onPubcomp(packet: IPubcompPacket): void {
    this.session?.complete(packet.messageId!);
  }

  sendPubrel(packetId: number, known: boolean): void {
    if (this.state !== 'connected') return;
    if (!known && this.protocolVersion === 5) {
      this.link.write(encode({ cmd: 'pubrel', messageId: packetId, reasonCode: RC.PACKET_IDENTIFIER_NOT_FOUND }, 5));
      return;
    }
    // [MQTT-3.6.1-1] PUBREL's fixed header flags are 0010
    this.link.write(this.ack(PUBREL, packetId));
  }

  /** Whether this packet goes over a per-second quota (`publish` or subscribe counter). */
  private overRate(perSecond: number, publish: boolean): boolean {
    const window = Math.floor(this.lastActivity / 1000);
    if (window !== this.rateWindow) {
      this.rateWindow = window;
      this.publishesInWindow = 0;
      this.subscribesInWindow = 0;
    }
    const count = publish ? ++this.publishesInWindow : ++this.subscribesInWindow;
    return count > perSecond;
  }

  /**
   * Holds a PUBACK (or a QoS 2 PUBREC) until every congested session the message went to has drained
   * (or a bound has passed), keeping them in PUBLISH order [MQTT-4.6.0-2] [MQTT-4.6.0-3]: a QoS 1 or 2
   * publisher then stops at its own in-flight window instead of filling a slow subscriber's queue
   * past its bound.
   */
  private holdAck(header: HeldAck['header'], messageId: number, congested: readonly Session[]): void {
    const held: HeldAck = { header, messageId, waiting: congested.length, deadline: Date.now() + HELD_ACK_MAX_MS };
    (this.heldAcks ??= []).push(held);
    const release = (): void => {
      if (held.waiting === 0) return;
      held.waiting--;
      if (held.waiting === 0) this.flushAcks();
    };
    if (congested.length === 0) {
      // Not congested itself, only queued behind an earlier held PUBACK.
      this.flushAcks();
      return;
    }
    for (const session of congested) session.whenDrained(release);
    // A subscriber that never drains must not stall its publishers for good.
    this.armHeldAckTimer();
  }

  /**
   * Design note: one timer per connection, for the oldest held PUBACK, not one per held PUBACK: a
   * QoS 1 publisher to a congested subscriber holds thousands a second, and as many 5-second timers
   * lived long enough to be promoted out of the young generation: about a third of topicd's CPU went
   * to the garbage collector in the bench's QoS 1 fan-in (bench/profile.ts).
   */
  private armHeldAckTimer(): void {
    if (this.heldAckTimer !== undefined) return;
    const head = this.heldAcks?.[0];
    if (head === undefined) return;
    this.heldAckTimer = setTimeout(this.heldAckDeadline, Math.max(0, head.deadline - Date.now()));
    this.heldAckTimer.unref();
  }

  private readonly heldAckDeadline = (): void => {
    this.heldAckTimer = undefined;
    const held = this.heldAcks;
    if (held === undefined) return;
    const now = Date.now();
    for (const entry of held) {
      if (entry.deadline > now) break;
      entry.waiting = 0;
    }
    this.flushAcks();
    this.armHeldAckTimer();
  };

  private flushAcks(): void {
    const held = this.heldAcks;
    if (held === undefined) return;
    while (held.length > 0 && held[0]!.waiting === 0) {
      const next = held.shift()!;
      if (this.state === 'connected') this.link.write(this.ack(next.header, next.messageId));
    }
    if (held.length === 0) this.heldAcks = undefined;
  }

  private puback(messageId: number): Buffer {
    return this.ack(PUBACK, messageId);
  }

  /** PUBACK, PUBREC, PUBREL and PUBCOMP are 4 bytes in both versions when the reason is success [MQTT-3.4.2.1]. */
  private ack(header: number, messageId: number): Buffer {
    const buf = Buffer.allocUnsafe(4);
    buf[0] = header;
    buf[1] = 0x02;
    buf.writeUInt16BE(messageId, 2);
    return buf;
  }

  // ---- PUBLISH out ----

  mayReceive(topic: string): boolean {
    return this.grants.receive(topic);
  }

  sendPublish(message: Message, qos: QoS, packetId: number, dup: boolean, retain: boolean, ids: readonly number[] | undefined): boolean {
    if (this.state !== 'connected') return true;
    // A subscriber that does not keep up loses QoS 0 messages past a bound (counted by its session)
    // instead of growing our memory; QoS 1 is bounded by its in-flight window already.
    if (qos === 0 && this.link.buffered > this.deps.limits.maxBufferedQos0Bytes) return false;
    // Subscription identifiers and topic aliases make the bytes this delivery's own; without them
    // (always in the aws profile) the shared encoding is used.
    const bytes = this.protocolVersion === 5 && (ids !== undefined || this.clientAliasMax > 0)
      ? this.encodeOwn(message, qos, retain, packetId, ids)
      : encodePublish(message, this.protocolVersion, qos, retain, packetId);
    // [MQTT-3.1.2-25] never send a packet over the client's Maximum Packet Size
    if (bytes.length > this.clientMaxPacket) return false;
    // Only QoS 1 and 2 are ever resent, and their bytes are this delivery's own copy: safe to flag in place.
    this.link.write(dup ? markDuplicate(bytes) : bytes);
    return true;
  }

  /**
   * A v5 PUBLISH with this delivery's subscription identifiers and a server topic alias: the first
   * message on a topic sets an alias (while the client's Topic Alias Maximum allows one more), later
   * ones send the alias and an empty topic [MQTT-3.3.2-11].
   */
  private encodeOwn(message: Message, qos: QoS, retain: boolean, packetId: number, ids: readonly number[] | undefined): Buffer {
    let alias = 0;
    let known = false;
    if (this.clientAliasMax > 0) {
      const aliases = (this.outAliases ??= new Map());
      alias = aliases.get(message.topic) ?? 0;
      known = alias !== 0;
      if (!known && aliases.size < this.clientAliasMax) {
        alias = aliases.size + 1;
        aliases.set(message.topic, alias);
      }
    }
    return encodePublishFor(message, qos, retain, packetId, ids, alias, known);
  }

  private onPuback(packet: IPubackPacket): void {
    this.session?.acknowledge(packet.messageId!);
  }

  // ---- SUBSCRIBE / UNSUBSCRIBE ----

  private onSubscribe(packet: ISubscribePacket): void {
    const { limits, broker } = this.deps;
    const v5 = this.protocolVersion === 5;
    const subscriptionId = v5 ? packet.properties?.subscriptionIdentifier : undefined;
    if (subscriptionId !== undefined && !limits.features.subscriptionIdentifiers) {
      // We advertise Subscription Identifiers Available = 0 [MQTT-3.8.2-1.2]
      return this.close(RC.SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED, 'subscription identifiers are not supported');
    }
    // [MQTT-3.8.2-1.2] a Subscription Identifier of 0 is a protocol error
    if (subscriptionId === 0) return this.close(RC.PROTOCOL_ERROR, 'subscription identifier 0');
    const id = subscriptionId ?? 0;
    const ids = id === 0 ? undefined : [id];
    // [MQTT-3.8.3-3] a SUBSCRIBE must hold at least one filter
    if (packet.subscriptions.length === 0) return this.close(RC.PROTOCOL_ERROR, 'SUBSCRIBE without filters');
    // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error
    if (v5 && packet.subscriptions.some((s) => s.nl === true && s.topic.startsWith('$share/'))) {
      return this.close(RC.PROTOCOL_ERROR, 'No Local on a shared subscription');
    }
    const failure = v5 ? RC.UNSPECIFIED_ERROR : 0x80;
    const granted: number[] = [];
    const subscribed: string[] = [];
    const retained: Array<[Message, QoS]> = [];
    // Why each refused filter was refused, for a v5 Reason String (only when this connection gets them).
    const explains = this.explains();
    let problems: string[] | undefined;
    const refuse = (filter: string, code: number, why: string): number => {
      if (explains) (problems ??= []).push(`${filter}: ${why}`);
      return granted.push(v5 ? code : failure);
    };
    // A SUBSCRIBE over the per-connection rate is refused filter by filter (v5: 0x97 Quota exceeded).
    const throttled = limits.rates.subscribePerSecond > 0 && this.overRate(limits.rates.subscribePerSecond, false);
    packet.subscriptions.forEach((sub, index) => {
      const filter = sub.topic;
      if (throttled) return refuse(filter, RC.QUOTA_EXCEEDED, `over ${limits.rates.subscribePerSecond} SUBSCRIBE per second on this connection`);
      if (index >= limits.maxFiltersPerSubscribe) return refuse(filter, RC.QUOTA_EXCEEDED, `over ${limits.maxFiltersPerSubscribe} filters in one SUBSCRIBE`);
      const invalid = validateSubscriptionFilter(filter, limits.topics);
      if (invalid !== null) return refuse(filter, RC.TOPIC_FILTER_INVALID, invalid);
      if (!this.grants.subscribe(filter)) return refuse(filter, RC.NOT_AUTHORIZED, 'not authorized to subscribe');
      const session = this.session!;
      if (!session.subscriptions.has(filter) && session.subscriptions.size >= limits.maxSubscriptions) {
        return refuse(filter, RC.QUOTA_EXCEEDED, `over ${limits.maxSubscriptions} subscriptions on this connection`);
      }
      // AWS IoT grants at most QoS 1.
      const qos: QoS = sub.qos === 2 && limits.features.qos2 ? 2 : sub.qos >= 1 ? 1 : 0;
      const isNew = !session.subscriptions.has(filter);
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
    this.writeAck({ cmd: 'suback', messageId: packet.messageId, granted }, problems?.join('; '));
    // [MQTT-3.3.1-8] retained messages go out after the SUBACK, with RETAIN set
    for (const [message, qos] of retained) this.session!.deliverRetained(message, qos, ids);
    if (this.identity) this.deps.lifecycle?.subscriptions(this.identity, 'subscribed', subscribed);
  }

  private onUnsubscribe(packet: IUnsubscribePacket): void {
    // [MQTT-3.10.3-2] an UNSUBSCRIBE must hold at least one filter
    if (packet.unsubscriptions.length === 0) return this.close(RC.PROTOCOL_ERROR, 'UNSUBSCRIBE without filters');
    const codes: number[] = [];
    const removedFilters: string[] = [];
    const explains = this.explains();
    let problems: string[] | undefined;
    for (const filter of packet.unsubscriptions) {
      const removed = this.deps.broker.unsubscribe(this.session!, filter);
      if (removed) removedFilters.push(filter);
      codes.push(removed ? RC.SUCCESS : 0x11 /* no subscription existed */);
      // The code is the same either way; the Reason String says when the filter could never have matched.
      if (!removed && explains) (problems ??= []).push(`${filter}: ${validateSubscriptionFilter(filter, this.deps.limits.topics) ?? 'no subscription existed'}`);
    }
    // 3.1.1 UNSUBACK carries no reason codes; the encoder leaves them out for version 4.
    this.writeAck({ cmd: 'unsuback', messageId: packet.messageId!, granted: codes }, problems?.join('; '));
    if (this.identity) this.deps.lifecycle?.subscriptions(this.identity, 'unsubscribed', removedFilters);
  }

  // ---- ending ----

  private onDisconnect(reasonCode: number | undefined): void {
    // [MQTT-3.14.4-3] a normal DISCONNECT discards the will; v5 reason 0x04 asks for it to be sent
    const keepWill = this.protocolVersion === 5 && reasonCode === 0x04;
    if (!keepWill) this.will = undefined;
    this.state = 'closed';
    this.link.end();
    this.finish(keepWill, 'CLIENT_INITIATED_DISCONNECT');
  }

  /** Whether acknowledgements carry Reason Strings: v5, the profile sends them, the client did not opt out [MQTT-3.1.2-29]. */
  private explains(): boolean {
    return this.protocolVersion === 5 && this.deps.limits.features.reasonStrings && this.problemInfo;
  }

  /**
   * Writes a PUBACK, PUBREC, SUBACK or UNSUBACK, with a Reason String saying `why` (given only when
   * `explains()`). It is left out where it would take the packet past the client's Maximum
   * Packet Size [MQTT-3.4.2-2] [MQTT-3.5.2-2] [MQTT-3.9.2-1] [MQTT-3.11.2-1], or past what a UTF-8
   * string holds.
   */
  private writeAck(packet: IPubackPacket | IPubrecPacket | ISubackPacket | IUnsubackPacket, why: string | undefined): void {
    if (why !== undefined && why.length <= MAX_REASON_STRING_CHARS) {
      const explained = encode({ ...packet, properties: { reasonString: why } }, 5);
      if (explained.length <= this.clientMaxPacket) return this.link.write(explained);
    }
    this.link.write(encode(packet, this.protocolVersion));
  }

  /** A v5 Reason String when the profile sends them and the client did not opt out [MQTT-3.1.2-29]. */
  private reasonString(why: string): { properties?: { reasonString: string } } {
    if (!this.deps.limits.features.reasonStrings || !this.problemInfo) return {};
    return { properties: { reasonString: why } };
  }

  takenOver(): void {
    this.close(RC.SESSION_TAKEN_OVER, 'client id taken over by a new connection');
  }

  /**
   * Ends the connection. A v5 client that is connected first gets DISCONNECT with `reason`
   * [MQTT-4.13.2-1]; a 3.1.1 client is simply closed.
   */
  close(reason: number | undefined, why?: string): void {
    if (this.state === 'closed') return;
    if (reason !== undefined && this.state === 'connected' && this.protocolVersion === 5) {
      const bytes = encode({ cmd: 'disconnect', reasonCode: reason, ...(why === undefined ? {} : this.reasonString(why)) }, 5);
      // [MQTT-3.14.2-3] no Reason String where it would pass the client's Maximum Packet Size
      this.link.write(bytes.length <= this.clientMaxPacket ? bytes : encode({ cmd: 'disconnect', reasonCode: reason }, 5));
    }
    this.state = 'closed';
    this.link.end();
    this.finish(true, lifecycleReason(reason));
  }

  private finish(sendWill: boolean, reason: DisconnectReason): void {
    this.state = 'closed';
    if (this.identity) this.deps.lifecycle?.disconnected(this.identity, reason);
    this.identity = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const { broker } = this.deps;
    if (this.session) broker.closeSession(this.session, this);
    const will = this.will;
    this.will = undefined;
    // [MQTT-3.1.2-8] the will goes out when the connection ends without a normal DISCONNECT,
    // [MQTT-3.1.3-9] after the Will Delay Interval or when the session ends, whichever is first.
    if (sendWill && will && this.grants.publish(will.topic, will.retain)) {
      const delay = Math.min(will.delaySeconds, this.sessionExpirySeconds);
      if (delay > 0) broker.scheduleWill(this.clientId, will, delay * 1000);
      else broker.publishWill(will);
    }
    this.deps.onClosed?.(this);
  }

  // ---- keep-alive ----

  private armKeepAlive(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // [MQTT-3.1.2-10] a keep-alive of 0 (possible without the AWS clamp) turns the mechanism off
    if (this.keepAliveMs === 0) return;
    // AWS: the client is disconnected after 1.5 times its keep-alive without a packet [MQTT-3.1.2-22].
    const limit = this.keepAliveMs * 1.5;
    const check = (): void => {
      if (this.state !== 'connected') return;
      const idle = Date.now() - this.lastActivity;
      if (idle >= limit) return this.close(RC.KEEP_ALIVE_TIMEOUT, 'keep-alive timeout');
      this.timer = setTimeout(check, limit - idle);
      this.timer.unref();
    };
    this.timer = setTimeout(check, limit);
    this.timer.unref();
  }
}

/** A last will as CONNECT gave it; the message is made when it is sent, so its expiry runs from then. */
interface Will extends WillMessage {
  delaySeconds: number;
}

/** A Reason String of at most this many UTF-16 units is at most 65535 bytes of UTF-8 [MQTT-1.5.4]. */
const MAX_REASON_STRING_CHARS = 21_845;

/** A PUBACK or PUBREC waiting for `waiting` congested sessions to drain. */
interface HeldAck {
  header: typeof PUBACK | typeof PUBREC;
  messageId: number;
  waiting: number;
  /** Epoch ms after which it goes out whatever its subscribers' state. */
  deadline: number;
}

/** Longest a PUBACK or PUBREC is held for a congested subscriber. */
const HELD_ACK_MAX_MS = 5_000;

/** AWS clamps a message expiry to 1..604800 seconds. */
const MAX_MESSAGE_EXPIRY = 604_800;

/** The AWS lifecycle disconnectReason for a server-side close with this MQTT reason code. */
function lifecycleReason(reason: number | undefined): DisconnectReason {
  switch (reason) {
    case RC.SESSION_TAKEN_OVER: return 'DUPLICATE_CLIENTID';
    case RC.KEEP_ALIVE_TIMEOUT: return 'MQTT_KEEP_ALIVE_TIMEOUT';
    case RC.SERVER_SHUTTING_DOWN: return 'SERVER_INITIATED_DISCONNECT';
    case RC.NOT_AUTHORIZED: return 'AUTH_ERROR';
    case RC.IMPLEMENTATION_SPECIFIC_ERROR: return 'SERVER_ERROR';
    default: return 'CLIENT_ERROR';
  }
}

/** The v5 properties topicd forwards with a message (never aliases or subscription ids). */
function publishProperties(props: IPublishPacket['properties'] | undefined): PublishProperties | undefined {
  if (!props) return undefined;
  const out: PublishProperties = {};
  let any = false;
  if (props.payloadFormatIndicator !== undefined) { out.payloadFormatIndicator = props.payloadFormatIndicator; any = true; }
  if (props.messageExpiryInterval !== undefined) {
    out.messageExpiryInterval = Math.min(Math.max(props.messageExpiryInterval, 1), MAX_MESSAGE_EXPIRY);
    any = true;
  }
  if (props.responseTopic !== undefined) { out.responseTopic = props.responseTopic; any = true; }
  if (props.correlationData !== undefined) { out.correlationData = props.correlationData; any = true; }
  if (props.userProperties !== undefined) { out.userProperties = props.userProperties; any = true; }
  if (props.contentType !== undefined) { out.contentType = props.contentType; any = true; }
  return any ? out : undefined;
}
