/**
 * @module broker/session
 * The MQTT session of one client id: what outlives a connection. It owns the subscriptions and the
 * QoS 1 messages owed to the client, whether the client is connected or not.
 *
 * Design note. A QoS 1 message for this session is either in flight (sent under a packet id, awaiting
 * PUBACK) or queued behind a full window. A persistent session (expiry > 0) writes each such message
 * to the Store before anything acknowledges the publish upstream and deletes it on PUBACK, so a
 * SIGKILL loses nothing that was acknowledged: on the next start the broker reloads the queue, and on
 * reconnect the messages in flight go again with DUP set and their packet ids [MQTT-4.4.0-1], then
 * the queue drains. The queue is bounded (`maxQueued`); past it new messages are dropped and counted
 * (drop-newest keeps what was already promised in order). QoS 0 messages for an offline session are
 * dropped, as in AWS IoT.
 *
 * Backpressure. A connected session whose queue passes `highWater` reports itself congested; the
 * channel that published holds its PUBACKs until the queue is back under `lowWater` (see
 * Channel.onPublish), so QoS 1 publishers slow to what the subscriber takes, within their own
 * in-flight windows, instead of the queue overflowing and dropping acknowledged messages.
 */
import { isExpired, type Message } from '../protocol/codec.js';
import type { SessionStore } from '../store/store.js';
import { toSessionMessageRow } from './message-codec.js';

/** What a session needs from the connection it is attached to. */
export interface SessionChannel {
  /** How many QoS 1 messages may be in flight (the client's Receive Maximum, capped by ours). */
  readonly sendWindow: number;
  /** Whether the connected principal may receive messages on `topic` (iot:Receive). */
  mayReceive(topic: string): boolean;
  /** Writes a PUBLISH; false when it was not sent (too large for the client). */
  sendPublish(message: Message, qos: 0 | 1, packetId: number, dup: boolean, retain: boolean): boolean;
  /** Ends the connection because a new one took the client id. */
  takenOver(): void;
}

interface Owed {
  message: Message;
  retain: boolean;
  /** Store sequence number; 0 for a session that is not persistent. */
  seq: number;
  /** Packet id once sent; 0 before. */
  packetId: number;
}

export interface SessionOptions {
  maxQueued: number;
  /** Queue length at which a connected session reports congestion, and at which it is over. */
  highWater: number;
  lowWater: number;
  /** Told when a delivery leaves this connected session's queue at or over highWater. */
  onCongested?: ((session: Session) => void) | undefined;
  store?: SessionStore | undefined;
  onStoreError?: ((err: unknown, context: string) => void) | undefined;
  now: () => number;
}

export class Session {
  channel: SessionChannel | undefined;
  /** Session Expiry Interval in seconds; 0 means the session ends with its connection. */
  expirySeconds = 0;
  /** Filter -> granted QoS. */
  readonly subscriptions = new Map<string, 0 | 1>();
  private readonly inflight = new Map<number, Owed>();
  private readonly queue: Owed[] = [];
  private nextPacketId = 1;
  private nextSeq = 1;
  expiryTimer: NodeJS.Timeout | undefined;
  /** Messages dropped because the queue was full or too large for the client. */
  dropped = 0;
  /** Called once the queue is back under lowWater, or the session loses its connection. */
  private drainWaiters: Array<() => void> | undefined;

  constructor(readonly clientId: string, private readonly options: SessionOptions) {}

  get persistent(): boolean {
    return this.expirySeconds > 0;
  }

  /** Messages owed (in flight and queued). */
  get owed(): number {
    return this.inflight.size + this.queue.length;
  }

  /** Hot path: one routed message at `qos`, with RETAIN set only for Retain As Published. */
  deliver(message: Message, qos: 0 | 1, retain: boolean): void {
    const channel = this.channel;
    if (channel !== undefined && !channel.mayReceive(message.topic)) return;
    if (qos === 0) {
      if (channel !== undefined && !channel.sendPublish(message, 0, 0, false, retain)) this.dropped++;
      return;
    }
    if (channel === undefined && !this.persistent) return;
    this.owe(message, retain);
  }

  /** A retained message for a new subscription, sent with RETAIN set [MQTT-3.3.1-8]. */
  deliverRetained(message: Message, qos: 0 | 1): void {
    const channel = this.channel;
    if (channel === undefined || !channel.mayReceive(message.topic)) return;
    if (qos === 0) channel.sendPublish(message, 0, 0, false, true);
    else this.owe(message, true);
  }

  private owe(message: Message, retain: boolean): void {
    const channel = this.channel;
    if (this.queue.length >= this.options.maxQueued) {
      this.dropped++;
      return;
    }
    const owed: Owed = { message, retain, seq: 0, packetId: 0 };
    if (this.persistent && this.options.store) {
      owed.seq = this.nextSeq++;
      // SQLite writes inside this call, so the message is on disk before the publisher is acknowledged.
      this.options.store.enqueue(this.clientId, toSessionMessageRow(message, owed.seq)).catch(this.storeFailed);
    }
    if (channel !== undefined && this.inflight.size < channel.sendWindow && this.queue.length === 0) {
      this.send(owed, false);
      return;
    }
    this.queue.push(owed);
    if (channel !== undefined && this.queue.length >= this.options.highWater) this.options.onCongested?.(this);
  }

  /** Runs `callback` once this session's queue is back under lowWater (or its connection ends). */
  whenDrained(callback: () => void): void {
    (this.drainWaiters ??= []).push(callback);
  }

  private releaseWaiters(): void {
    const waiters = this.drainWaiters;
    if (waiters === undefined) return;
    this.drainWaiters = undefined;
    for (const w of waiters) w();
  }

  /** Re-creates a message the Store kept for this session (at start). */
  restore(message: Message, seq: number): void {
    this.queue.push({ message, retain: false, seq, packetId: 0 });
    if (seq >= this.nextSeq) this.nextSeq = seq + 1;
  }

  private send(owed: Owed, dup: boolean): void {
    const channel = this.channel!;
    if (owed.packetId === 0) owed.packetId = this.allocatePacketId();
    this.inflight.set(owed.packetId, owed);
    if (!channel.sendPublish(owed.message, 1, owed.packetId, dup, owed.retain)) {
      // Too large for this client: it will never be acknowledged, so let it go.
      this.dropped++;
      this.settle(owed);
    }
  }

  /** The client acknowledged a QoS 1 delivery. */
  acknowledge(packetId: number): void {
    const owed = this.inflight.get(packetId);
    if (owed === undefined) return;
    this.settle(owed);
    this.pump();
  }

  private settle(owed: Owed): void {
    this.inflight.delete(owed.packetId);
    if (owed.seq !== 0) this.options.store?.dequeue(this.clientId, owed.seq).catch(this.storeFailed);
  }

  /** Sends queued messages while the window has room. */
  private pump(): void {
    const channel = this.channel;
    if (channel === undefined) return;
    const now = this.options.now();
    while (this.inflight.size < channel.sendWindow && this.queue.length > 0) {
      const owed = this.queue.shift()!;
      // MQTT 5: an expired message is not delivered [MQTT-3.3.2-5].
      if (isExpired(owed.message, now)) {
        if (owed.seq !== 0) this.options.store?.dequeue(this.clientId, owed.seq).catch(this.storeFailed);
        continue;
      }
      this.send(owed, false);
    }
    if (this.drainWaiters !== undefined && this.queue.length <= this.options.lowWater) this.releaseWaiters();
  }

  /** A connection takes this session: resend what was in flight, then drain the queue. */
  attach(channel: SessionChannel): void {
    this.channel = channel;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    // [MQTT-4.4.0-1] unacknowledged PUBLISH packets are resent with DUP and their original ids
    for (const owed of [...this.inflight.values()]) {
      if (!channel.sendPublish(owed.message, 1, owed.packetId, true, owed.retain)) {
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
    // Nobody is reading: publishers held back by this session may go on.
    this.releaseWaiters();
    if (!this.persistent) {
      this.inflight.clear();
      this.queue.length = 0;
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
