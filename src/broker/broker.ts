/**
 * @module broker/broker
 * The routing core: sessions by client id, the subscription tree over them, and retained messages.
 * Transports and channels publish into it; it fans a message out to every matching session. It
 * opens no sockets and touches no SQL: persistent sessions, delayed wills and retained messages
 * outlive the process through the Store's SessionStore and RetainedStore ports.
 */
import { createMessage, isExpired, type Message, type PublishProperties, type QoS } from '../protocol/codec.js';
import type { RetainedStore, SessionStore, SessionSubscriptionRow } from '../store/store.js';
import { fromRetainedRow, fromSessionMessageRow, parseProperties, serializeProperties, toRetainedRow } from './message-codec.js';
import { parseSharedFilter } from '../protocol/topics.js';
import { Session, type SessionChannel, type SessionSubscription } from './session.js';
import { SharedGroup } from './shared-group.js';
import { NO_LOCAL, RETAIN_AS_PUBLISHED, TopicTree } from './topic-tree.js';

/** The v5 Session Expiry Interval that means never. */
const NEVER_EXPIRES = 0xffffffff;
const MAX_TIMER_MS = 0x7fffffff;

/** A last will as the broker sends it (CONNECT's will, without its delay). */
export interface WillMessage {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties: PublishProperties | undefined;
}

/** What the topic tree delivers to: a session, or a shared subscription group of sessions. */
type Target = Session | SharedGroup;

export interface BrokerOptions {
  /** Whether `a/#` matches `a` as well (standard); AWS IoT: no. */
  hashMatchesParent: boolean;
  /** Whether retained messages go to wildcard subscriptions (standard); AWS IoT: exact filters only. */
  retainedToWildcards: boolean;
  /** QoS 1 messages a session may have queued behind its in-flight window; past it new ones are dropped. */
  maxQueuedPerSession: number;
  /** Queue length at which a connected session holds back its publishers' PUBACKs, and where it stops. */
  congestionHighWater: number;
  congestionLowWater: number;
}

export const AWS_BROKER_OPTIONS: BrokerOptions = {
  hashMatchesParent: false, retainedToWildcards: false, maxQueuedPerSession: 1000, congestionHighWater: 100, congestionLowWater: 50,
};

export interface BrokerDeps {
  /** Where retained messages are kept across restarts; in memory only when absent. */
  retainedStore?: RetainedStore;
  /** Where persistent sessions are kept across restarts; in memory only when absent. */
  sessionStore?: SessionStore;
  /** A store write failed: the message was routed, but its stored copy may not survive a restart. */
  onStoreError?: (err: unknown, context: string) => void;
  now?: () => number;
}

export class Broker {
  private readonly tree: TopicTree<Target>;
  /** Delayed wills (MQTT 5 Will Delay Interval) by client id. */
  private readonly pendingWills = new Map<string, NodeJS.Timeout>();
  /** Shared subscription groups by their full `$share/{group}/{filter}`. */
  private readonly groups = new Map<string, SharedGroup>();
  private readonly retained = new Map<string, Message>();
  private readonly sessions = new Map<string, Session>();
  private readonly options: BrokerOptions;
  private readonly deps: BrokerDeps;
  private readonly now: () => number;
  /** CONNECTs per client id in the current second (only when a connect rate is set). */
  private readonly connectsThisSecond = new Map<string, number>();
  private connectSecond = 0;
  /** Sessions that reported congestion while the current publish was routed (reused: no allocation per publish). */
  private readonly congested: Session[] = [];
  private readonly noteCongested = (session: Session): void => {
    if (!this.congested.includes(session)) this.congested.push(session);
  };

  constructor(options: BrokerOptions = AWS_BROKER_OPTIONS, deps: BrokerDeps = {}) {
    this.options = options;
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.tree = new TopicTree<Target>({ hashMatchesParent: options.hashMatchesParent });
  }

  // ---- sessions ----

  /**
   * Opens the session a CONNECT asks for. A connection holding the client id is taken over (the new
   * connection wins, as in AWS IoT and [MQTT-3.1.4-2]); clean start discards the old session
   * [MQTT-3.1.2-4]. The caller sends CONNACK, then attaches its channel with `session.attach`.
   */
  openSession(clientId: string, cleanStart: boolean, expirySeconds: number): { session: Session; present: boolean } {
    this.sessions.get(clientId)?.channel?.takenOver();
    // [MQTT-3.1.3-9] a new connection for the client id before the Will Delay Interval cancels the will
    const will = this.pendingWills.get(clientId);
    if (will) {
      clearTimeout(will);
      this.pendingWills.delete(clientId);
      this.deps.sessionStore?.deleteWill(clientId).catch(this.storeFailed);
    }
    let session = this.sessions.get(clientId);
    if (session && cleanStart) {
      this.discard(session);
      session = undefined;
    }
    const present = session !== undefined;
    if (!session) {
      session = this.newSession(clientId);
      this.sessions.set(clientId, session);
    }
    const wasPersistent = session.persistent;
    session.expirySeconds = expirySeconds;
    const store = this.deps.sessionStore;
    if (store) {
      if (session.persistent) {
        store.put({ clientId, expirySeconds, disconnectedAt: null }).catch(this.storeFailed);
        // A session that becomes persistent keeps the subscriptions it already had.
        if (!wasPersistent) for (const [filter, sub] of session.subscriptions) store.subscribe(clientId, subscriptionRow(filter, sub)).catch(this.storeFailed);
      } else if (wasPersistent) {
        store.delete(clientId).catch(this.storeFailed);
      }
    }
    return { session, present };
  }

  /** The session's connection ended: a persistent session waits for its expiry, any other ends now. */
  closeSession(session: Session, channel: SessionChannel): void {
    if (!session.detach(channel)) return;
    if (!session.persistent) {
      this.discard(session);
      return;
    }
    this.deps.sessionStore?.put({ clientId: session.clientId, expirySeconds: session.expirySeconds, disconnectedAt: this.now() }).catch(this.storeFailed);
    this.armExpiry(session, session.expirySeconds * 1000);
  }

  /** Loads the persistent sessions the store kept, dropping expired ones; call once before serving. */
  async loadSessions(): Promise<number> {
    const store = this.deps.sessionStore;
    if (!store) return 0;
    const now = this.now();
    for (const stored of await store.all()) {
      const { clientId, expirySeconds, disconnectedAt } = stored.session;
      // A session whose connection was live when the process died counts as disconnected now.
      const left = expirySeconds * 1000 - (disconnectedAt === null ? 0 : now - disconnectedAt);
      if (left <= 0) {
        await store.delete(clientId);
        continue;
      }
      const session = this.newSession(clientId);
      session.expirySeconds = expirySeconds;
      this.sessions.set(clientId, session);
      for (const s of stored.subscriptions) this.addSubscription(session, s.filter, s.qos, s.options ?? 0, s.identifier ?? 0);
      for (const row of stored.messages) {
        session.restore(fromSessionMessageRow(row), { seq: row.seq, packetId: row.packetId, released: row.released === true, ids: row.identifiers });
      }
      for (const packetId of stored.awaitingRelease) session.awaitingRelease.add(packetId);
      if (disconnectedAt === null) await store.put({ clientId, expirySeconds, disconnectedAt: now });
      this.armExpiry(session, left);
    }
    return this.sessions.size;
  }

  /**
   * The per-client-id CONNECT quota (AWS: 1 per second, reference §4): false when `clientId` has
   * connected `perSecond` times in the current second already.
   */
  admitConnect(clientId: string, perSecond: number): boolean {
    const second = Math.floor(this.now() / 1000);
    if (second !== this.connectSecond) {
      // One second's counts at a time: the map never holds more than the ids of the last second.
      this.connectSecond = second;
      this.connectsThisSecond.clear();
    }
    const count = (this.connectsThisSecond.get(clientId) ?? 0) + 1;
    this.connectsThisSecond.set(clientId, count);
    return count <= perSecond;
  }

  /** Publishes a will now; its message is made here, so its expiry runs from now. */
  publishWill(will: WillMessage): void {
    this.publish(createMessage(will.topic, will.payload, will.qos, will.retain, will.properties));
  }

  /**
   * Sends a will after `ms` unless the client id connects again first [MQTT-3.1.3-9]. The will is
   * written to the Store with its due time, so a restart (SIGKILL included) still sends it.
   */
  scheduleWill(clientId: string, will: WillMessage, ms: number): void {
    this.deps.sessionStore?.putWill({
      clientId, topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain,
      properties: serializeProperties(will.properties), dueAt: this.now() + ms,
    }).catch(this.storeFailed);
    this.armWill(clientId, will, ms);
  }

  /**
   * Loads the delayed wills the Store kept: those due are published now, the others wait for the
   * rest of their delay. Call once after loadSessions (so persistent subscribers get them queued)
   * and before serving (so a reconnect cancels them).
   */
  async loadWills(): Promise<number> {
    const store = this.deps.sessionStore;
    if (!store) return 0;
    const now = this.now();
    const rows = await store.wills();
    for (const row of rows) {
      const will: WillMessage = { topic: row.topic, payload: row.payload, qos: row.qos, retain: row.retain, properties: parseProperties(row.properties) };
      if (row.dueAt > now) {
        this.armWill(row.clientId, will, row.dueAt - now);
        continue;
      }
      await store.deleteWill(row.clientId);
      this.publishWill(will);
    }
    return rows.length;
  }

  private armWill(clientId: string, will: WillMessage, ms: number): void {
    const previous = this.pendingWills.get(clientId);
    if (previous) clearTimeout(previous);
    // A will delay is at most the session expiry, which may pass what one timer holds: wait in steps.
    const step = Math.min(ms, MAX_TIMER_MS);
    const timer = setTimeout(() => {
      if (ms > step) return this.armWill(clientId, will, ms - step);
      this.pendingWills.delete(clientId);
      this.deps.sessionStore?.deleteWill(clientId).catch(this.storeFailed);
      this.publishWill(will);
    }, step);
    this.pendingWills.set(clientId, timer);
  }


  private newSession(clientId: string): Session {
    return new Session(clientId, {
      maxQueued: this.options.maxQueuedPerSession,
      highWater: this.options.congestionHighWater,
      lowWater: this.options.congestionLowWater,
      onCongested: this.noteCongested,
      store: this.deps.sessionStore,
      onStoreError: this.deps.onStoreError,
      now: this.now,
    });
  }

  private armExpiry(session: Session, ms: number): void {
    if (session.expiryTimer) clearTimeout(session.expiryTimer);
    session.expiryTimer = undefined;
    // MQTT 5 §3.1.2.11.2: 0xFFFFFFFF means the session does not expire (possible in the mqtt profile)
    if (session.expirySeconds === NEVER_EXPIRES) return;
    // setTimeout holds at most 2^31-1 ms (24.8 days): a longer expiry (mqtt profile) waits in steps.
    const step = Math.min(ms, MAX_TIMER_MS);
    session.expiryTimer = setTimeout(() => {
      if (ms > step) return this.armExpiry(session, ms - step);
      if (session.channel === undefined && this.sessions.get(session.clientId) === session) this.discard(session);
    }, step);
    session.expiryTimer.unref();
  }

  private discard(session: Session): void {
    if (session.expiryTimer) clearTimeout(session.expiryTimer);
    session.expiryTimer = undefined;
    for (const filter of [...session.subscriptions.keys()]) this.removeSubscription(session, filter);
    if (this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId);
    if (session.persistent) this.deps.sessionStore?.delete(session.clientId).catch(this.storeFailed);
  }

  // ---- subscriptions ----

  /**
   * Adds or replaces a subscription; returns the retained messages it should receive now (none for
   * a shared subscription: MQTT 5 §4.8.2 sends no retained messages to share groups).
   */
  subscribe(session: Session, filter: string, qos: QoS, flags = 0, id = 0): Message[] {
    const shared = this.addSubscription(session, filter, qos, flags, id);
    if (session.persistent) this.deps.sessionStore?.subscribe(session.clientId, subscriptionRow(filter, { qos, flags, id })).catch(this.storeFailed);
    return shared ? [] : this.retainedFor(filter);
  }

  unsubscribe(session: Session, filter: string): boolean {
    if (!this.removeSubscription(session, filter)) return false;
    if (session.persistent) this.deps.sessionStore?.unsubscribe(session.clientId, filter).catch(this.storeFailed);
    return true;
  }

  /** Puts the subscription in the tree (through its share group when shared); true when shared. */
  private addSubscription(session: Session, filter: string, qos: QoS, flags: number, id: number): boolean {
    session.subscriptions.set(filter, { qos, flags, id });
    const shared = parseSharedFilter(filter);
    if (!shared) {
      this.tree.add({ subscriber: session, filter, qos, flags, id });
      return false;
    }
    let group = this.groups.get(filter);
    if (!group) {
      group = new SharedGroup(filter);
      this.groups.set(filter, group);
      // The group takes the highest QoS from the tree and gives each member its own granted QoS.
      this.tree.add({ subscriber: group, filter: shared.filter, qos: 2 });
    }
    group.add(session, qos, id);
    return true;
  }

  private removeSubscription(session: Session, filter: string): boolean {
    if (!session.subscriptions.delete(filter)) return false;
    const shared = parseSharedFilter(filter);
    if (!shared) return this.tree.remove(session, filter);
    const group = this.groups.get(filter);
    if (!group?.remove(session)) return false;
    if (group.size === 0) {
      this.groups.delete(filter);
      this.tree.remove(group, shared.filter);
    }
    return true;
  }

  // ---- publishing ----

  /**
   * Routes one message to every matching session, and keeps it when retained. `origin` is the
   * publishing session, for No Local. Returns the sessions this message left congested (usually
   * none; the array is reused by the next publish, so copy what you keep).
   */
  publish(message: Message, origin?: Session): readonly Session[] {
    this.congested.length = 0;
    if (message.retain) this.retain(message);
    const matches = this.tree.match(message.topic);
    for (let i = 0; i < matches.length; i++) {
      const m = matches[i]!;
      const flags = m.flags;
      // [MQTT-3.8.3-3] No Local: not back to the client that published it
      if ((flags & NO_LOCAL) !== 0 && m.subscriber === origin) continue;
      // [MQTT-3.3.1-12] live deliveries carry RETAIN 0 unless Retain As Published [MQTT-3.3.1-13];
      // the QoS is the lower of the two [MQTT-3.8.4-6]
      m.subscriber.deliver(message, m.qos < message.qos ? m.qos : message.qos, (flags & RETAIN_AS_PUBLISHED) !== 0 && message.retain, m.ids);
    }
    return this.congested;
  }


  /** Loads the retained messages the store kept; call once before serving. */
  async loadRetained(): Promise<number> {
    const store = this.deps.retainedStore;
    if (!store) return 0;
    for (const row of await store.all()) this.retained.set(row.topic, fromRetainedRow(row));
    return this.retained.size;
  }

  private retain(message: Message): void {
    const store = this.deps.retainedStore;
    // [MQTT-3.3.1-10] an empty retained payload deletes the retained message
    if (message.payload.length === 0) {
      if (this.retained.delete(message.topic) && store) store.delete(message.topic).catch(this.storeFailed);
      return;
    }
    this.retained.set(message.topic, message);
    // The SQLite store writes synchronously inside put(), so the copy is on disk before the
    // publisher's PUBACK or HTTP 200 goes out; a networked store will need the ack to wait.
    if (store) store.put(toRetainedRow(message, this.now())).catch(this.storeFailed);
  }

  private retainedFor(filter: string): Message[] {
    const hasWildcard = filter.includes('+') || filter.includes('#');
    if (!hasWildcard) {
      const m = this.retained.get(filter);
      if (m === undefined) return [];
      // An expired retained message is deleted rather than delivered [MQTT-3.3.2-5].
      if (isExpired(m, this.now())) {
        this.retained.delete(filter);
        this.deps.retainedStore?.delete(filter).catch(this.storeFailed);
        return [];
      }
      return [m];
    }
    if (!this.options.retainedToWildcards) return [];
    const probe = new TopicTree<{ clientId: string }>({ hashMatchesParent: this.options.hashMatchesParent, cacheSize: 1 });
    probe.add({ subscriber: { clientId: '' }, filter, qos: 0 });
    const out: Message[] = [];
    const now = this.now();
    for (const [topic, message] of this.retained) if (!isExpired(message, now) && probe.match(topic).length > 0) out.push(message);
    return out;
  }

  private readonly storeFailed = (err: unknown): void => this.deps.onStoreError?.(err, 'broker store write');
}

/** The Store's row of one subscription (options and identifier only when set, as the store returns them). */
function subscriptionRow(filter: string, sub: SessionSubscription): SessionSubscriptionRow {
  const row: SessionSubscriptionRow = { filter, qos: sub.qos };
  if (sub.flags !== 0) row.options = sub.flags;
  if (sub.id !== 0) row.identifier = sub.id;
  return row;
}
