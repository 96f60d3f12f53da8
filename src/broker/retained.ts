/**
 * @module broker/retained
 * Retained messages: the last retained message of each topic, in memory for delivery and in the Store
 * for restarts. An empty retained payload deletes it [MQTT-3.3.1-10]; an expired one is deleted
 * rather than delivered [MQTT-3.3.2-5]. Which subscriptions get them is the profile's: AWS sends them
 * to exact filters only, the standard to wildcards too.
 */
import { isExpired, type Message } from '../protocol/codec.js';
import type { RetainedStore } from '../store/store.js';
import type { Clock } from './clock.js';
import { fromRetainedRow, toRetainedRow } from './message-codec.js';
import { TopicTree } from './topic-tree.js';

export interface RetainedOptions {
  hashMatchesParent: boolean;
  toWildcards: boolean;
}

/** A retained message and when it was retained (AWS GetRetainedMessage's lastModifiedTime). */
export interface RetainedEntry {
  readonly message: Message;
  /** Epoch milliseconds. */
  readonly at: number;
}

export class RetainedMessages {
  private readonly messages = new Map<string, RetainedEntry>();

  constructor(
    private readonly options: RetainedOptions,
    private readonly clock: Clock,
    private readonly store: RetainedStore | undefined,
    private readonly storeFailed: (err: unknown) => void,
  ) {}

  get size(): number {
    return this.messages.size;
  }

  /**
   * Loads what the store kept; call once before serving. In a cluster, again when the bus is back:
   * `replace` then drops what other nodes deleted meanwhile.
   */
  async load(replace = false): Promise<number> {
    if (!this.store) return 0;
    const rows = await this.store.all();
    if (replace) this.messages.clear();
    for (const row of rows) this.messages.set(row.topic, { message: fromRetainedRow(row), at: row.updatedAt });
    return this.messages.size;
  }

  /**
   * Keeps (or with an empty payload deletes) the topic's retained message. The Store write is issued
   * now; the publisher's acknowledgement waits for it (Durability.afterDurable). `write` false: another
   * node of the cluster published it and wrote the shared Store; this node's copy only follows.
   */
  retain(message: Message, write = true): void {
    const store = write ? this.store : undefined;
    if (message.payload.length === 0) {
      if (this.messages.delete(message.topic) && store) store.delete(message.topic).catch(this.storeFailed);
      return;
    }
    const at = this.clock.now();
    this.messages.set(message.topic, { message, at });
    if (store) store.put(toRetainedRow(message, at)).catch(this.storeFailed);
  }

  /** The retained message of one topic, unless it expired. */
  get(topic: string): RetainedEntry | undefined {
    const entry = this.messages.get(topic);
    if (entry === undefined) return undefined;
    if (isExpired(entry.message, this.clock.now())) {
      this.messages.delete(topic);
      this.store?.delete(topic).catch(this.storeFailed);
      return undefined;
    }
    return entry;
  }

  /** Live retained messages in topic order (by UTF-16 code unit), after `after` (exclusive), at most `limit`. */
  list(after: string | undefined, limit: number): RetainedEntry[] {
    const now = this.clock.now();
    const topics = [...this.messages.keys()].filter((t) => after === undefined || t > after).sort();
    const out: RetainedEntry[] = [];
    for (const topic of topics) {
      const entry = this.messages.get(topic)!;
      if (isExpired(entry.message, now)) continue;
      out.push(entry);
      if (out.length === limit) break;
    }
    return out;
  }

  /** What a new subscription to `filter` gets now. */
  for(filter: string): Message[] {
    const hasWildcard = filter.includes('+') || filter.includes('#');
    if (!hasWildcard) {
      const entry = this.get(filter);
      return entry === undefined ? [] : [entry.message];
    }
    if (!this.options.toWildcards) return [];
    const probe = new TopicTree<{ clientId: string }>({ hashMatchesParent: this.options.hashMatchesParent, cacheSize: 1 });
    probe.add({ subscriber: { clientId: '' }, filter, qos: 0 });
    const out: Message[] = [];
    const now = this.clock.now();
    for (const [topic, { message }] of this.messages) if (!isExpired(message, now) && probe.match(topic).length > 0) out.push(message);
    return out;
  }
}
