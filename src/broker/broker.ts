/**
 * @module broker/broker
 * The router: sessions by client id, the subscription tree over them, and retained messages. The
 * publish gate (ingress.ts) hands it admitted messages; it fans each out to every matching session.
 * It opens no sockets and touches no SQL: persistent sessions and retained messages outlive the
 * process through the Store's SessionStore and RetainedStore ports.
 *
 * A slow or stalled subscriber costs only itself: the router never waits for a session, it hands the
 * message over and the session keeps it within its own bounds (its queue, its drops and their count;
 * session.ts), so one client's congestion never holds back another's publishes.
 */
import type { AckRequest, Bus } from '../bus/bus.js';
import { Counters } from '../observe/counters.js';
import type { Message, QoS } from '../protocol/codec.js';
import type { Durability, RetainedStore, SessionStore, StoredSession } from '../store/store.js';
import { AWS_BROKER_OPTIONS, type BrokerOptions } from './broker-options.js';
import { after, SYSTEM_CLOCK, type Clock } from './clock.js';
import { ConnectQuota } from './connect-quota.js';
import { ClusterAcks, DEFAULT_ACK_TIMEOUT_MS } from './cluster-acks.js';
import { DurableInterest } from './durable-interest.js';
import { fromSessionMessageRow, subscriptionRow } from './message-codec.js';
import { RetainedMessages } from './retained.js';
import { Session, type SessionChannel } from './session.js';
import { Subscriptions } from './subscriptions.js';
import { NO_LOCAL, RETAIN_AS_PUBLISHED } from './topic-tree.js';

/** The v5 Session Expiry Interval that means never. */
const NEVER_EXPIRES = 0xffffffff;

/** The principal key of a client of the plain development listener (auth/authorizer.ts principalKey). */
export const ANONYMOUS_OWNER = 'anonymous';

export interface BrokerDeps {
  /** Where retained messages are kept across restarts; in memory only when absent. */
  retainedStore?: RetainedStore | undefined;
  /** Where persistent sessions are kept across restarts; in memory only when absent. */
  sessionStore?: SessionStore | undefined;
  /** A store write failed: the message was routed, but its stored copy may not survive a restart. */
  onStoreError?: ((err: unknown, context: string) => void) | undefined;
  clock?: Clock | undefined;
  /**
   * The other nodes of a cluster (a clustered Bus only): messages published here are forwarded,
   * theirs routed here, the filters served here declared, and sessions claimed from and given up to
   * them. Durability orders a given-up session's last writes before the claimer reads them.
   */
  bus?: Bus | undefined;
  durability?: Durability | undefined;
  /** The node's message counters (observe/counters.ts); a fresh set when absent. */
  counters?: Counters | undefined;
  /** How long a publisher's acknowledgement waits for other nodes' durable copies (cluster-acks.ts). */
  ackTimeoutMs?: number | undefined;
}

/** Why a session could not be opened. */
export type OpenRefusal = 'owned-by-another';

export class Broker {
  readonly retained: RetainedMessages;
  private readonly subs: Subscriptions;
  /** What the sessions, the channels and the doors count (read by /metrics and the console). */
  readonly counters: Counters;
  private readonly sessions = new Map<string, Session>();
  private readonly clock: Clock;
  private readonly connects: ConnectQuota;
  private readonly bus: Bus | undefined;
  /** A cluster: the Durability the doors acknowledge by, which waits for the other nodes' durable copies too. */
  readonly acks: ClusterAcks | undefined;

  constructor(private readonly options: BrokerOptions = AWS_BROKER_OPTIONS, private readonly deps: BrokerDeps = {}) {
    this.clock = deps.clock ?? SYSTEM_CLOCK;
    this.connects = new ConnectQuota(this.clock);
    this.counters = deps.counters ?? new Counters();
    // Only a clustered bus: the embedded node pays nothing for it.
    this.bus = deps.bus?.clustered === true ? deps.bus : undefined;
    if (this.bus !== undefined && deps.durability !== undefined) {
      this.acks = new ClusterAcks(this.bus, deps.durability, new DurableInterest(this.bus, options.hashMatchesParent), deps.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS);
    }
    this.subs = new Subscriptions(options.hashMatchesParent, this.bus, this.acks?.interest);
    this.bus?.onMessage((message, share, ask) => this.fromBus(message, share, ask));
    this.bus?.onClaim((clientId) => this.release(clientId));
    this.retained = new RetainedMessages(
      { hashMatchesParent: options.hashMatchesParent, toWildcards: options.retainedToWildcards }, this.clock, deps.retainedStore, this.storeFailed);
    // The bus was away: what other nodes retained meanwhile is in the Store.
    this.bus?.onConnectedChange((connected) => {
      if (connected) this.retained.load(true).catch(this.storeFailed);
      if (connected) this.acks?.interest.hello();
    });
    if (this.bus?.connected === true) this.acks?.interest.hello();
  }

  // ---- sessions ----

  /** The session of a client id, connected or not. */
  session(clientId: string): Session | undefined {
    return this.sessions.get(clientId);
  }

  /** Every session, connected or not (for the console and the iot-data connection routes). */
  allSessions(): IterableIterator<Session> {
    return this.sessions.values();
  }

  /**
   * Ends a client's connection on an operator's request (AWS DeleteConnection): v5 DISCONNECT 0x98,
   * its will unless `preventWill`; `cleanSession` discards its session too. False when it is not connected.
   */
  disconnect(clientId: string, options: { cleanSession: boolean; preventWill: boolean }): boolean {
    const session = this.sessions.get(clientId);
    const channel = session?.channel;
    if (session === undefined || channel === undefined) return false;
    channel.disconnectByOperator(options.preventWill);
    if (options.cleanSession && this.sessions.get(clientId) === session) this.discard(session);
    return true;
  }

  /**
   * Opens the session a CONNECT asks for, for the principal `owner` (its principal key). A
   * connection holding the client id is taken over (the new connection wins, as in AWS IoT and
   * [MQTT-3.1.4-2]); clean start discards the old session [MQTT-3.1.2-4]. An anonymous client may
   * never resume or take over a session an authenticated principal made. The caller sends CONNACK,
   * then attaches its channel with `session.attach`.
   */
  openSession(clientId: string, cleanStart: boolean, expirySeconds: number, owner: string): { session: Session; present: boolean } | OpenRefusal {
    let session = this.sessions.get(clientId);
    if (session !== undefined && owner === ANONYMOUS_OWNER && session.owner !== ANONYMOUS_OWNER) return 'owned-by-another';
    session?.channel?.takenOver();
    // The old connection's end may have ended its session (one that was not persistent): it is gone
    // then, and must not be resumed, or two sessions would share the client id.
    session = this.sessions.get(clientId);
    if (session && cleanStart) {
      this.discard(session);
      session = undefined;
    }
    const present = session !== undefined;
    if (!session) {
      session = this.newSession(clientId);
      this.hold(session);
    }
    const wasPersistent = session.persistent;
    session.expirySeconds = expirySeconds;
    session.owner = owner;
    this.persist(session, wasPersistent);
    return { session, present };
  }

  /**
   * MQTT 5: the client's DISCONNECT changed its Session Expiry Interval [MQTT-3.14.2-2.2]; the
   * session ends with the connection when it is now 0, or becomes persistent when it was not.
   */
  setExpiry(session: Session, expirySeconds: number): void {
    const wasPersistent = session.persistent;
    session.expirySeconds = expirySeconds;
    this.persist(session, wasPersistent);
  }

  /**
   * A connected session's expiry or owner was set: a persistent session's row is written (one that
   * becomes persistent keeps the subscriptions it already had), one that stops being persistent is
   * deleted, and a cluster hears of the durable interest that came or went.
   */
  private persist(session: Session, wasPersistent: boolean): void {
    if (wasPersistent !== session.persistent) this.subs.redeclare(session);
    const store = this.deps.sessionStore;
    const { clientId, expirySeconds, owner } = session;
    if (store === undefined) return;
    if (session.persistent) {
      store.put({ clientId, expirySeconds, disconnectedAt: null, owner }).catch(this.storeFailed);
      if (!wasPersistent) for (const [filter, sub] of session.subscriptions) store.subscribe(clientId, subscriptionRow(filter, sub)).catch(this.storeFailed);
    } else if (wasPersistent) {
      store.delete(clientId).catch(this.storeFailed);
    }
  }

  /** The session's connection ended: a persistent session waits for its expiry, any other ends now. */
  closeSession(session: Session, channel: SessionChannel): void {
    if (!session.detach(channel)) return;
    if (!session.persistent) {
      this.discard(session);
      return;
    }
    this.deps.sessionStore?.put({ clientId: session.clientId, expirySeconds: session.expirySeconds, disconnectedAt: this.clock.now(), owner: session.owner })
      .catch(this.storeFailed);
    this.armExpiry(session, session.expirySeconds * 1000);
  }

  /**
   * Loads the persistent sessions the store kept, dropping expired ones; call once before serving. A
   * cluster node loads none: a session is loaded where its client connects (`claim`).
   */
  async loadSessions(): Promise<number> {
    const store = this.deps.sessionStore;
    if (!store || this.bus !== undefined) return 0;
    for (const stored of await store.all()) await this.restore(store, stored);
    return this.sessions.size;
  }

  private async restore(store: SessionStore, stored: StoredSession): Promise<void> {
    const now = this.clock.now();
    const { clientId, expirySeconds, disconnectedAt, owner } = stored.session;
    // A session whose connection was live when the process died counts as disconnected now.
    const left = expirySeconds * 1000 - (disconnectedAt === null ? 0 : now - disconnectedAt);
    if (left <= 0) {
      await store.delete(clientId);
      return;
    }
    const session = this.newSession(clientId);
    session.expirySeconds = expirySeconds;
    // An older topicd kept no owner: its sessions count as an authenticated principal's.
    session.owner = owner ?? '';
    this.hold(session);
    for (const s of stored.subscriptions) this.subs.add(session, s.filter, s.qos, s.options ?? 0, s.identifier ?? 0);
    for (const row of stored.messages) {
      session.restore(fromSessionMessageRow(row), { seq: row.seq, packetId: row.packetId, released: row.released === true, ids: row.identifiers });
    }
    for (const packetId of stored.awaitingRelease) session.awaitingRelease.add(packetId);
    if (disconnectedAt === null) await store.put({ clientId, expirySeconds, disconnectedAt: now, owner });
    this.armExpiry(session, left);
  }

  // ---- the cluster ----

  /** Whether a CONNECT for the client id must first claim its session from the cluster. */
  mustClaim(clientId: string): boolean {
    return this.bus !== undefined && !this.sessions.has(clientId);
  }

  /**
   * Takes the client id's session from the node holding it (which closes its connection and makes its
   * writes durable first), then loads it from the Store. False when the Store could not be read.
   */
  async claim(clientId: string): Promise<boolean> {
    await this.bus?.claim(clientId);
    const store = this.deps.sessionStore;
    if (store === undefined || this.sessions.has(clientId)) return true;
    try {
      const stored = await store.get(clientId);
      if (stored !== undefined && !this.sessions.has(clientId)) await this.restore(store, stored);
      return true;
    } catch (err) {
      this.storeFailed(err);
      return false;
    }
  }

  /** Another node claims the session: its connection here ends, the session leaves this node's memory (not the Store). */
  private async release(clientId: string): Promise<void> {
    const session = this.sessions.get(clientId);
    if (session !== undefined) {
      session.channel?.takenOver();
      if (this.sessions.get(clientId) === session) this.forget(session);
    }
    const durability = this.deps.durability;
    if (durability !== undefined) await new Promise<void>((resolve) => durability.afterDurable(resolve, undefined));
  }

  /** A message another node published: routed to this node's subscribers, its retained copy followed. */
  private fromBus(message: Message, share: string | undefined, ask: AckRequest | undefined): void {
    if (share !== undefined) this.subs.group(share)?.deliver(message, message.qos, false, undefined);
    else {
      if (message.retain) this.retained.retain(message, false);
      this.route(message, undefined);
    }
    // Its sender holds its publisher's acknowledgement until this node's copies are durable.
    if (ask !== undefined) this.acks?.received(ask.origin, ask.id, share ?? this.bus!.nodeId);
  }

  private hold(session: Session): void {
    this.sessions.set(session.clientId, session);
    this.bus?.hold(session.clientId, true);
  }

  /** Out of memory only: no Store write. */
  private forget(session: Session): void {
    this.clock.clearTimeout(session.expiryTimer);
    session.expiryTimer = undefined;
    for (const filter of [...session.subscriptions.keys()]) this.subs.remove(session, filter);
    this.sessions.delete(session.clientId);
    this.bus?.hold(session.clientId, false);
  }

  /** Shutdown: no session expires any more in this process (persistent ones stay in the Store). */
  close(): void {
    this.acks?.close();
    for (const session of this.sessions.values()) {
      this.clock.clearTimeout(session.expiryTimer);
      session.expiryTimer = undefined;
    }
  }

  /** The per-client-id CONNECT quota (connect-quota.ts). */
  admitConnect(clientId: string, perSecond: number): boolean {
    return this.connects.admit(clientId, perSecond);
  }

  private newSession(clientId: string): Session {
    return new Session(clientId, {
      maxQueued: this.options.maxQueuedPerSession,
      highWater: this.options.congestionHighWater,
      lowWater: this.options.congestionLowWater,
      store: this.deps.sessionStore,
      onStoreError: this.deps.onStoreError,
      clock: this.clock,
      counters: this.counters,
    });
  }

  private armExpiry(session: Session, ms: number): void {
    this.clock.clearTimeout(session.expiryTimer);
    session.expiryTimer = undefined;
    // MQTT 5 §3.1.2.11.2: 0xFFFFFFFF means the session does not expire (possible in the mqtt profile)
    if (session.expirySeconds === NEVER_EXPIRES) return;
    after(this.clock, ms, () => {
      if (session.channel === undefined && this.sessions.get(session.clientId) === session) this.discard(session);
    }, (timer) => { session.expiryTimer = timer; });
  }

  private discard(session: Session): void {
    this.clock.clearTimeout(session.expiryTimer);
    session.expiryTimer = undefined;
    if (this.sessions.get(session.clientId) === session) this.forget(session);
    else for (const filter of [...session.subscriptions.keys()]) this.subs.remove(session, filter);
    if (session.persistent) this.deps.sessionStore?.delete(session.clientId).catch(this.storeFailed);
  }

  // ---- subscriptions ----

  /**
   * Adds or replaces a subscription; returns the retained messages it should receive now (none for
   * a shared subscription: MQTT 5 §4.8.2 sends no retained messages to share groups).
   */
  subscribe(session: Session, filter: string, qos: QoS, flags = 0, id = 0): Message[] {
    const shared = this.subs.add(session, filter, qos, flags, id);
    if (session.persistent) this.deps.sessionStore?.subscribe(session.clientId, subscriptionRow(filter, { qos, flags, id })).catch(this.storeFailed);
    return shared ? [] : this.retained.for(filter);
  }

  unsubscribe(session: Session, filter: string): boolean {
    if (!this.subs.remove(session, filter)) return false;
    if (session.persistent) this.deps.sessionStore?.unsubscribe(session.clientId, filter).catch(this.storeFailed);
    return true;
  }

  // ---- routing ----

  /**
   * Routes one admitted message to every matching session, and keeps it when retained. `origin` is
   * the publishing session, for No Local. Only the publish gate calls this.
   */
  publish(message: Message, origin: Session | undefined): void {
    if (message.retain) this.retained.retain(message);
    this.route(message, origin);
    const bus = this.bus;
    if (bus === undefined) return;
    bus.forward(message, message.qos > 0 && this.acks !== undefined ? this.acks.ask(message) : 0);
    // NATS unreachable: this node's shared groups are served here until it is back.
    if (!bus.connected) this.subs.routeGroupsHere(message);
  }

  /** Hot path: this node's matching subscriptions. */
  private route(message: Message, origin: Session | undefined): void {
    const matches = this.subs.tree.match(message.topic);
    for (let i = 0; i < matches.length; i++) {
      const m = matches[i]!;
      const flags = m.flags;
      // [MQTT-3.8.3-3] No Local: not back to the client that published it
      if ((flags & NO_LOCAL) !== 0 && m.subscriber === origin) continue;
      // [MQTT-3.3.1-12] live deliveries carry RETAIN 0 unless Retain As Published [MQTT-3.3.1-13];
      // the QoS is the lower of the two [MQTT-3.8.4-6]
      m.subscriber.deliver(message, m.qos < message.qos ? m.qos : message.qos, (flags & RETAIN_AS_PUBLISHED) !== 0 && message.retain, m.ids);
    }
  }

  /**
   * Delivers a message to one client's own matching (non-shared) subscriptions only: a service's
   * answer to the client that asked (AWS: a shadow reply reaches the requester alone).
   */
  deliverTo(clientId: string, message: Message): void {
    const session = this.sessions.get(clientId);
    if (session === undefined) return;
    const matches = this.subs.tree.match(message.topic);
    for (let i = 0; i < matches.length; i++) {
      const m = matches[i]!;
      if (m.subscriber !== session) continue;
      session.deliver(message, m.qos < message.qos ? m.qos : message.qos, false, m.ids);
    }
  }

  private readonly storeFailed = (err: unknown): void => this.deps.onStoreError?.(err, 'broker store write');
}
