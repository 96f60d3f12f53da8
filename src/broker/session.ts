/**
 * @module broker/session
 * The MQTT session of one client id: what outlives a connection. It owns the subscriptions, the
 * QoS 1 and 2 messages owed to the client, and the QoS 2 packet ids the client is still releasing,
 * whether the client is connected or not.
 *
 * Design note. A QoS 1 or 2 message for this session is either in flight (sent under a packet id,
 * awaiting PUBACK, or PUBREC then PUBCOMP) or queued behind a full window. A persistent session (expiry > 0) writes each such message
 * to the Store before anything acknowledges the publish upstream and deletes it on PUBACK, so a
 * SIGKILL loses nothing that was acknowledged: on the next start the broker reloads the queue, and on
 * reconnect the messages in flight go again with DUP set and their packet ids [MQTT-4.4.0-1], then
 * the queue drains. A QoS 2 message records its packet id when first sent and its release when the
 * PUBREC comes, so after a restart it goes again under the same id, or only its PUBREL does
 * [MQTT-4.4.0-1]. The queue is bounded (`maxQueued`); past it new messages are dropped and counted
 * (drop-newest keeps what was already promised in order). QoS 0 messages for an offline session are
 * dropped, as in AWS IoT.
 *
 * Isolation. A session that does not keep up costs only itself: the router hands it messages and
 * never waits; past its bounds (the in-flight window, `maxQueued`, its connection's unsent bytes)
 * messages are dropped and counted here, and a connection that stays stalled is cut by its transport.
 * No publisher is ever held back for one subscriber (issue 10: one stalled device once throttled a
 * backend's publishes to every other device a thousandfold).
 */
import { DROP_EXPIRED, DROP_QUEUE_FULL, type Counters } from '../observe/counters.js';
import { isExpired, type Message, type QoS } from '../protocol/codec.js';
import type { SessionStore } from '../store/store.js';
import type { Clock, Timer } from './clock.js';
import { toSessionMessageRow } from './message-codec.js';

/** What a session needs from the connection it is attached to. */
export interface SessionChannel {
  /** How many QoS 1 and 2 messages may be in flight (the client's Receive Maximum, capped by ours). */
  readonly sendWindow: number;
  /** Whether the connected principal may receive messages on `topic` (iot:Receive). */
  mayReceive(topic: string): boolean;
  /** Writes a PUBLISH; false when it was not sent (too large for the client). */
  sendPublish(message: Message, qos: QoS, packetId: number, dup: boolean, retain: boolean, ids: readonly number[] | undefined): boolean;
  /** Writes a PUBREL; `known` false answers a PUBREC for a packet id not in flight. */
  sendPubrel(packetId: number, known: boolean): void;
  /** Ends the connection because a new one took the client id. */
  takenOver(): void;
  /**
   * The session's queue is over its high-water mark (`true`, told for each message queued while so)
   * or back under its low-water mark (`false`): the transport may hold the publisher being read.
   */
  queueCongested(over: boolean): void;
  /** Who is connected, for the console and the iot-data connection routes. */
  describe(): ConnectionInfo;
  /** Ends the connection on an operator's request (v5: DISCONNECT 0x98), without its will when asked. */
  disconnectByOperator(preventWill: boolean): void;
}

/** One live connection as operators see it. */
export interface ConnectionInfo {
  /** AWS's principalIdentifier: a certificate id, an access key id, or `anonymous`. */
  principal: string;
  transport: 'mqtt' | 'websocket';
  protocolVersion: number;
  address: string;
  /** Epoch milliseconds of the CONNECT. */
  connectedAt: number;
}

interface Owed {
  message: Message;
  retain: boolean;
  /** The QoS of this delivery: the lower of the message's and the subscription's. */
  qos: 1 | 2;
  /** Subscription Identifiers this delivery carries (v5), or undefined. */
  ids: readonly number[] | undefined;
  /** Store sequence number; 0 for a session that is not persistent. */
  seq: number;
  /** Packet id once sent; 0 before. */
  packetId: number;
  /** QoS 2: the client sent PUBREC and we PUBREL; only PUBCOMP is awaited. */
  released: boolean;
}

/** One subscription of the session as SUBSCRIBE set it. */
export interface SessionSubscription {
  qos: QoS;
  /** NO_LOCAL | RETAIN_AS_PUBLISHED (broker/topic-tree.ts). */
  flags: number;
  /** MQTT 5 Subscription Identifier, 0 when none. */
  id: number;
}

/** A message the Store kept for a session, as the broker reloads it. */
export interface RestoredDelivery {
  seq: number;
  /** QoS 2 sent before the restart: its packet id, and whether it was released. */
  packetId: number | undefined;
  released: boolean;
  ids: readonly number[] | undefined;
}

export interface SessionOptions {
  maxQueued: number;
  /** Queue length at which a connected session says it is congested, and where that ends. */
  highWater: number;
  lowWater: number;
  store?: SessionStore | undefined;
  onStoreError?: ((err: unknown, context: string) => void) | undefined;
  clock: Clock;
  /** The node's counters: drops are counted by reason there as well as in `dropped`. */
  counters?: Counters | undefined;
}

export class Session {
  channel: SessionChannel | undefined;
  /** Session Expiry Interval in seconds; 0 means the session ends with its connection. */
  expirySeconds = 0;
  /** The principal key of the connection that made it (broker.ts ANONYMOUS_OWNER for the plain listener). */
  owner = '';
  /** Filter -> granted QoS and options. */
  readonly subscriptions = new Map<string, SessionSubscription>();
  /**
   * Inbound QoS 2: packet ids whose PUBLISH was routed and PUBREC sent, until the client's PUBREL.
   * A PUBLISH again under one of them is not routed again [MQTT-4.3.3-10]. A persistent session
   * writes them to the Store (awaitRelease/release), so this holds across a restart too.
   */
  readonly awaitingRelease = new Set<number>();
  private readonly inflight = new Map<number, Owed>();
  private readonly queue: Owed[] = [];
  private nextPacketId = 1;
  private nextSeq = 1;
  expiryTimer: Timer | undefined;
  /** Messages dropped because the queue was full, the connection congested, or too large for the client. */
  dropped = 0;
  /** Whether the connection was told the queue is over its high-water mark. */
  private congested = false;

  constructor(readonly clientId: string, private readonly options: SessionOptions) {}

  get persistent(): boolean {
    return this.expirySeconds > 0;
  }

  /** Messages owed (in flight and queued). */
  get owed(): number {
    return this.inflight.size + this.queue.length;
  }

  /**
   * Hot path: one routed message at `qos`, with RETAIN set only for Retain As Published, carrying
   * the Subscription Identifiers of the matching subscriptions.
   */
  deliver(message: Message, qos: QoS, retain: boolean, ids: readonly number[] | undefined): void {
    const channel = this.channel;
    if (channel !== undefined && !channel.mayReceive(message.topic)) return;
    if (qos === 0) {
      if (channel !== undefined && !channel.sendPublish(message, 0, 0, false, retain, ids)) this.dropped++;
      return;
    }
    if (channel === undefined && !this.persistent) return;
    this.owe(message, retain, qos, ids);
  }

  /** A retained message for a new subscription, sent with RETAIN set [MQTT-3.3.1-8]. */
  deliverRetained(message: Message, qos: QoS, ids: readonly number[] | undefined): void {
    const channel = this.channel;
    if (channel === undefined || !channel.mayReceive(message.topic)) return;
    if (qos === 0) channel.sendPublish(message, 0, 0, false, true, ids);
    else this.owe(message, true, qos, ids);
  }

  /**
   * Overflow policy: past `maxQueued` messages waiting behind the window, a new message is dropped
   * and counted (drop newest), so what was already promised keeps its order.
   */
  private owe(message: Message, retain: boolean, qos: 1 | 2, ids: readonly number[] | undefined): void {
    const channel = this.channel;
    if (this.queue.length >= this.options.maxQueued) {
      this.dropped++;
      if (this.options.counters !== undefined) this.options.counters.dropped[DROP_QUEUE_FULL]!++;
      return;
    }
    const owed: Owed = { message, retain, qos, ids, seq: 0, packetId: 0, released: false };
    if (this.persistent && this.options.store) {
      owed.seq = this.nextSeq++;
      // Issued now; the publisher's acknowledgement waits for it (Durability.afterDurable).
      this.options.store.enqueue(this.clientId, toSessionMessageRow(message, owed.seq, qos, ids)).catch(this.storeFailed);
    }
    if (channel !== undefined && this.inflight.size < channel.sendWindow && this.queue.length === 0) {
      this.send(owed, false);
      return;
    }
    this.queue.push(owed);
    if (channel !== undefined && this.queue.length >= this.options.highWater) {
      this.congested = true;
      channel.queueCongested(true);
    }
  }

  /** Re-creates a message the Store kept for this session (at start); its QoS is the delivery's. */
  restore(message: Message, stored: RestoredDelivery): void {
    const qos = message.qos === 2 ? 2 : 1;
    const owed: Owed = { message, retain: false, qos, ids: stored.ids, seq: stored.seq, packetId: 0, released: stored.released };
    // A QoS 2 message sent before the restart keeps its packet id: the client may hold it [MQTT-4.4.0-1].
    if (qos === 2 && stored.packetId !== undefined) {
      owed.packetId = stored.packetId;
      this.inflight.set(stored.packetId, owed);
    } else {
      this.queue.push(owed);
    }
    if (stored.seq >= this.nextSeq) this.nextSeq = stored.seq + 1;
  }

  private send(owed: Owed, dup: boolean): void {
    const channel = this.channel!;
    if (owed.packetId === 0) {
      owed.packetId = this.allocatePacketId();
      if (owed.qos === 2 && owed.seq !== 0) this.track(owed);
    }
    this.inflight.set(owed.packetId, owed);
    if (!channel.sendPublish(owed.message, owed.qos, owed.packetId, dup, owed.retain, owed.ids)) {
      // Too large for this client: it will never be acknowledged, so let it go.
      this.dropped++;
      this.settle(owed);
    }
  }

  /** The client acknowledged a QoS 1 delivery (PUBACK). */
  acknowledge(packetId: number): void {
    const owed = this.inflight.get(packetId);
    if (owed === undefined || owed.qos !== 1) return;
    this.settle(owed);
    this.pump();
  }

  /**
   * PUBREC for a QoS 2 delivery: release it with PUBREL [MQTT-4.3.3-4], and resend only the PUBREL
   * from then on [MQTT-4.3.3-6]. A v5 PUBREC with a failure reason (0x80 or more) ends the exchange
   * there, and a PUBREC for an id not in flight still gets
   * its PUBREL, flagged unknown.
   */
  received(packetId: number, failed: boolean): void {
    const owed = this.inflight.get(packetId);
    if (owed === undefined || owed.qos !== 2) {
      this.channel?.sendPubrel(packetId, false);
      return;
    }
    if (failed) {
      this.settle(owed);
      this.pump();
      return;
    }
    if (!owed.released) {
      owed.released = true;
      if (owed.seq !== 0) this.track(owed);
    }
    this.channel?.sendPubrel(packetId, true);
  }

  /** PUBCOMP: the QoS 2 delivery is complete. */
  complete(packetId: number): void {
    const owed = this.inflight.get(packetId);
    if (owed === undefined || !owed.released) return;
    this.settle(owed);
    this.pump();
  }

  /**
   * Inbound QoS 2: the PUBLISH under `packetId` was routed. A persistent session's record is durable
   * before the PUBREC goes out (Durability.afterDurable), so a SIGKILL cannot route it twice.
   */
  awaitRelease(packetId: number): void {
    this.awaitingRelease.add(packetId);
    if (this.persistent) this.options.store?.awaitRelease(this.clientId, packetId).catch(this.storeFailed);
  }

  /** Inbound QoS 2: PUBREL for `packetId`; false when the id was not awaiting release. */
  release(packetId: number): boolean {
    if (!this.awaitingRelease.delete(packetId)) return false;
    if (this.persistent) this.options.store?.release(this.clientId, packetId).catch(this.storeFailed);
    return true;
  }

  private track(owed: Owed): void {
    this.options.store?.track(this.clientId, owed.seq, owed.packetId, owed.released).catch(this.storeFailed);
  }

  private settle(owed: Owed): void {
    this.inflight.delete(owed.packetId);
    if (owed.seq !== 0) this.options.store?.dequeue(this.clientId, owed.seq).catch(this.storeFailed);
  }

  /** Sends queued messages while the window has room. */
  private pump(): void {
    const channel = this.channel;
    if (channel === undefined) return;
    const now = this.options.clock.now();
    while (this.inflight.size < channel.sendWindow && this.queue.length > 0) {
      const owed = this.queue.shift()!;
      // MQTT 5: an expired message is not delivered [MQTT-3.3.2-5].
      if (isExpired(owed.message, now)) {
        if (this.options.counters !== undefined) this.options.counters.dropped[DROP_EXPIRED]!++;
        if (owed.seq !== 0) this.options.store?.dequeue(this.clientId, owed.seq).catch(this.storeFailed);
        continue;
      }
      this.send(owed, false);
    }
    if (this.congested && this.queue.length <= this.options.lowWater) {
      this.congested = false;
      channel.queueCongested(false);
    }
  }

  /** A connection takes this session: resend what was in flight, then drain the queue. */
  attach(channel: SessionChannel): void {
    this.channel = channel;
    this.options.clock.clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    // [MQTT-4.4.0-1] unacknowledged PUBLISH packets are resent with DUP and their original ids,
    // and released QoS 2 messages get their PUBREL again
    for (const owed of [...this.inflight.values()]) {
      if (owed.released) {
        channel.sendPubrel(owed.packetId, true);
        continue;
      }
      if (!channel.sendPublish(owed.message, owed.qos, owed.packetId, true, owed.retain, owed.ids)) {
        this.dropped++;
        this.settle(owed);
      }
    }
    // Messages restored from the Store were never sent on this run: give them ids now.
    this.pump();
  }

  /** The connection went away; a session that is not persistent forgets what it owed. */
  detach(channel: SessionChannel): boolean {
    if (this.channel !== channel) return false;
    this.channel = undefined;
    this.congested = false;
    if (!this.persistent) {
      this.inflight.clear();
      this.queue.length = 0;
      this.awaitingRelease.clear();
    }
    return true;
  }

  private allocatePacketId(): number {
    // The window is far smaller than 65535, so a free id is always near.
    while (true) {
      const id = this.nextPacketId;
      this.nextPacketId = id === 0xffff ? 1 : id + 1;
      if (!this.inflight.has(id)) return id;
    }
  }

  private readonly storeFailed = (err: unknown): void => this.options.onStoreError?.(err, `session ${this.clientId}`);
}
