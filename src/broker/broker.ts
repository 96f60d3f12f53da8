/**
 * @module broker/broker
 * The routing core: the subscription tree, retained messages and the registry of connected sessions
 * by client id (for takeover). Transports and channels publish into it; it fans a message out to every
 * matching session's `deliver`. It opens no sockets and touches no SQL; retained messages outlive
 * the process through the Store's RetainedStore port.
 */
import type { Message } from '../protocol/codec.js';
import type { RetainedStore } from '../store/store.js';
import { fromRetainedRow, toRetainedRow } from './retained-codec.js';
import { TopicTree, type Subscription } from './topic-tree.js';

/** A session that can receive messages: a connected MQTT channel. */
export interface SessionTarget {
  readonly clientId: string;
  /** Hot path: hand one message over at `qos`; must not throw. */
  deliver(message: Message, qos: 0 | 1): void;
  /** Ends the session because another connection took its client id. */
  takenOver(): void;
}

export interface BrokerOptions {
  /** Whether `a/#` matches `a` as well (standard); AWS IoT: no. */
  hashMatchesParent: boolean;
  /** Whether retained messages go to wildcard subscriptions (standard); AWS IoT: exact filters only. */
  retainedToWildcards: boolean;
}

export const AWS_BROKER_OPTIONS: BrokerOptions = { hashMatchesParent: false, retainedToWildcards: false };

export interface BrokerDeps {
  /** Where retained messages are kept across restarts; in memory only when absent. */
  retainedStore?: RetainedStore;
  /** A store write failed: the message was routed, but its retained copy may not survive a restart. */
  onStoreError?: (err: unknown, context: string) => void;
  now?: () => number;
}

export class Broker {
  private readonly tree: TopicTree<SessionTarget>;
  private readonly retained = new Map<string, Message>();
  private readonly sessions = new Map<string, SessionTarget>();
  private readonly options: BrokerOptions;
  /** Messages routed since start, for metrics and tests. */
  published = 0;

  private readonly deps: BrokerDeps;

  constructor(options: BrokerOptions = AWS_BROKER_OPTIONS, deps: BrokerDeps = {}) {
    this.options = options;
    this.deps = deps;
    this.tree = new TopicTree<SessionTarget>({ hashMatchesParent: options.hashMatchesParent });
  }

  /**
   * Registers a connected session under its client id. A session already there is taken over
   * (the new connection wins, as in AWS IoT and [MQTT-3.1.4-2]).
   */
  attach(session: SessionTarget): void {
    const previous = this.sessions.get(session.clientId);
    this.sessions.set(session.clientId, session);
    if (previous && previous !== session) {
      this.dropSubscriptions(previous);
      previous.takenOver();
    }
  }

  /** Unregisters a session (only if it is still the one registered) and drops its subscriptions. */
  detach(session: SessionTarget): void {
    if (this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId);
    this.dropSubscriptions(session);
  }

  isConnected(clientId: string): boolean {
    return this.sessions.has(clientId);
  }

  get connectedCount(): number {
    return this.sessions.size;
  }

  /** Adds a subscription; returns the retained messages it should receive now. */
  subscribe(subscription: Subscription<SessionTarget>): Message[] {
    this.tree.add(subscription);
    this.filtersOf(subscription.subscriber).add(subscription.filter);
    return this.retainedFor(subscription.filter);
  }

  unsubscribe(session: SessionTarget, filter: string): boolean {
    this.filtersOf(session).delete(filter);
    return this.tree.remove(session, filter);
  }

  /** Number of filters the session holds (for per-connection limits). */
  subscriptionCount(session: SessionTarget): number {
    return this.subscriptions.get(session)?.size ?? 0;
  }

  /** Routes one message to every matching session, and keeps it when retained. Returns the number of deliveries. */
  publish(message: Message): number {
    this.published++;
    if (message.retain) this.retain(message);
    const matches = this.tree.match(message.topic);
    for (let i = 0; i < matches.length; i++) {
      const m = matches[i]!;
      // [MQTT-3.3.1-9] live deliveries carry RETAIN 0; the QoS is the lower of the two [MQTT-3.8.4-6]
      m.subscriber.deliver(message, m.qos < message.qos ? m.qos : message.qos);
    }
    return matches.length;
  }

  retainedCount(): number {
    return this.retained.size;
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
    if (store) store.put(toRetainedRow(message, (this.deps.now ?? Date.now)())).catch(this.storeFailed);
  }

  private readonly storeFailed = (err: unknown): void => this.deps.onStoreError?.(err, 'retained message');

  private retainedFor(filter: string): Message[] {
    const hasWildcard = filter.includes('+') || filter.includes('#');
    if (!hasWildcard) {
      const m = this.retained.get(filter);
      return m ? [m] : [];
    }
    if (!this.options.retainedToWildcards) return [];
    const out: Message[] = [];
    const probe = new TopicTree<{ clientId: string }>({ hashMatchesParent: this.options.hashMatchesParent, cacheSize: 1 });
    const me = { clientId: '' };
    probe.add({ subscriber: me, filter, qos: 0 });
    for (const [topic, message] of this.retained) if (probe.match(topic).length > 0) out.push(message);
    return out;
  }

  /** The filters each session holds, so they can all be dropped when it goes. */
  private readonly subscriptions = new WeakMap<SessionTarget, Set<string>>();

  private filtersOf(session: SessionTarget): Set<string> {
    let set = this.subscriptions.get(session);
    if (!set) {
      set = new Set();
      this.subscriptions.set(session, set);
    }
    return set;
  }

  private dropSubscriptions(session: SessionTarget): void {
    const set = this.subscriptions.get(session);
    if (!set) return;
    for (const filter of set) this.tree.remove(session, filter);
    set.clear();
  }
}
