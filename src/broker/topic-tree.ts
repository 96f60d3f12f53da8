/**
 * @module broker/topic-tree
 * The subscription trie and its match cache.
 *
 * Design note. Filters are stored level by level; a node holds the subscriptions whose filter ends
 * there, a `+` child and the subscriptions of a `#` below it. Matching a topic walks at most two
 * branches per level (the literal level and `+`). Publish rates dwarf subscribe rates, so each
 * topic's match result is cached, already de-duplicated per subscriber (one delivery per subscriber
 * at the highest granted QoS, as [MQTT-3.3.5-1] allows), and the whole cache is dropped on any
 * subscription change. The cache is bounded: when it fills, it is cleared rather than tracked LRU,
 * which keeps the hit path to one Map lookup. MQTT 5 subscription identifiers are gathered per
 * subscriber at match time, so the cached result carries them and a publish allocates nothing for them.
 */
import type { QoS } from '../protocol/codec.js';

export interface Subscriber {
  readonly clientId: string;
}

/** MQTT 5 subscription options that change delivery (bit flags, so a match stays one small number). */
export const NO_LOCAL = 1;
export const RETAIN_AS_PUBLISHED = 2;

export interface Subscription<S extends Subscriber = Subscriber> {
  readonly subscriber: S;
  readonly filter: string;
  readonly qos: QoS;
  /** NO_LOCAL | RETAIN_AS_PUBLISHED; 0 when absent. */
  readonly flags?: number;
  /** MQTT 5 Subscription Identifier; 0 or absent when none. */
  readonly id?: number;
}

/**
 * One delivery target of a topic: the subscriber, the highest QoS among its matching subscriptions,
 * and their flags: NO_LOCAL only if every matching subscription has it, RETAIN_AS_PUBLISHED if any does;
 * `ids` are the Subscription Identifiers of those that have one [MQTT-3.3.4-3], undefined when none.
 */
export interface Match<S extends Subscriber = Subscriber> {
  readonly subscriber: S;
  readonly qos: QoS;
  readonly flags: number;
  readonly ids: readonly number[] | undefined;
}

class TreeNode<S extends Subscriber> {
  readonly children = new Map<string, TreeNode<S>>();
  /** Subscriptions whose filter ends at this node, by subscriber. */
  readonly exact = new Map<S, Subscription<S>>();
  /** Subscriptions of `<this node>/#`, by subscriber. */
  readonly hash = new Map<S, Subscription<S>>();

  isEmpty(): boolean {
    return this.children.size === 0 && this.exact.size === 0 && this.hash.size === 0;
  }
}

export interface TopicTreeOptions {
  /** Whether `a/#` matches `a` too (the standard); AWS IoT says no. */
  hashMatchesParent: boolean;
  /** Most topics whose matches are cached at once. */
  cacheSize?: number;
}

export class TopicTree<S extends Subscriber = Subscriber> {
  private readonly root = new TreeNode<S>();
  private readonly cache = new Map<string, readonly Match<S>[]>();
  private readonly cacheSize: number;
  private readonly hashMatchesParent: boolean;
  private count = 0;

  constructor(options: TopicTreeOptions) {
    this.hashMatchesParent = options.hashMatchesParent;
    this.cacheSize = options.cacheSize ?? 10_000;
  }

  /** Number of subscriptions held. */
  get size(): number {
    return this.count;
  }

  /** Adds or replaces the subscriber's subscription to `filter`; returns true when it is new. */
  add(subscription: Subscription<S>): boolean {
    const levels = subscription.filter.split('/');
    let node = this.root;
    const last = levels.length - 1;
    for (let i = 0; i < last; i++) node = this.child(node, levels[i]!);
    const tail = levels[last]!;
    const bucket = tail === '#' ? node.hash : this.child(node, tail).exact;
    const isNew = !bucket.has(subscription.subscriber);
    bucket.set(subscription.subscriber, subscription);
    if (isNew) this.count++;
    this.cache.clear();
    return isNew;
  }

  /** Removes the subscriber's subscription to `filter`; returns whether there was one. */
  remove(subscriber: S, filter: string): boolean {
    const levels = filter.split('/');
    const path: Array<[TreeNode<S>, string]> = [];
    let node: TreeNode<S> | undefined = this.root;
    const last = levels.length - 1;
    for (let i = 0; i < last && node; i++) {
      path.push([node, levels[i]!]);
      node = node.children.get(levels[i]!);
    }
    if (!node) return false;
    const tail = levels[last]!;
    let removed: boolean;
    if (tail === '#') {
      removed = node.hash.delete(subscriber);
    } else {
      const leaf = node.children.get(tail);
      removed = leaf?.exact.delete(subscriber) ?? false;
      if (leaf?.isEmpty()) node.children.delete(tail);
    }
    if (!removed) return false;
    // Prune empty nodes bottom-up so long-gone topics do not keep memory.
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, level] = path[i]!;
      const child = parent.children.get(level);
      if (child?.isEmpty()) parent.children.delete(level);
      else break;
    }
    this.count--;
    this.cache.clear();
    return true;
  }

  /** Every subscriber whose filters match `topic`, once each, at the highest QoS among its matches. */
  match(topic: string): readonly Match<S>[] {
    const cached = this.cache.get(topic);
    if (cached !== undefined) return cached;
    const found = new Map<S, Found>();
    const levels = topic.split('/');
    // [MQTT-4.7.2-1] wildcards in the first level never match topics that start with $
    const dollar = topic.charCodeAt(0) === 36;
    this.collect(this.root, levels, 0, found, dollar);
    const result: Match<S>[] = [];
    for (const [subscriber, f] of found) result.push({ subscriber, qos: f.qos, flags: f.flags, ids: f.ids });
    if (this.cache.size >= this.cacheSize) this.cache.clear();
    this.cache.set(topic, result);
    return result;
  }

  private collect(node: TreeNode<S>, levels: readonly string[], depth: number, found: Map<S, Found>, dollar: boolean): void {
    const wildcardsAllowed = !(dollar && depth === 0);
    if (wildcardsAllowed && node.hash.size > 0 && (depth < levels.length || this.hashMatchesParent)) {
      add(found, node.hash);
    }
    if (depth === levels.length) {
      add(found, node.exact);
      return;
    }
    const level = levels[depth]!;
    const literal = node.children.get(level);
    if (literal) this.descend(literal, levels, depth, found, dollar);
    if (wildcardsAllowed) {
      const plus = node.children.get('+');
      if (plus) this.descend(plus, levels, depth, found, dollar);
    }
  }

  private descend(child: TreeNode<S>, levels: readonly string[], depth: number, found: Map<S, Found>, dollar: boolean): void {
    if (depth + 1 === levels.length) {
      add(found, child.exact);
      if (child.hash.size > 0 && this.hashMatchesParent) add(found, child.hash);
      return;
    }
    this.collect(child, levels, depth + 1, found, dollar);
  }

  private child(node: TreeNode<S>, level: string): TreeNode<S> {
    let next = node.children.get(level);
    if (!next) {
      next = new TreeNode<S>();
      node.children.set(level, next);
    }
    return next;
  }
}

interface Found {
  qos: QoS;
  flags: number;
  ids: number[] | undefined;
}

function add<S extends Subscriber>(found: Map<S, Found>, bucket: ReadonlyMap<S, Subscription<S>>): void {
  for (const [subscriber, sub] of bucket) {
    const flags = sub.flags ?? 0;
    const prev = found.get(subscriber);
    const id = sub.id ?? 0;
    if (prev === undefined) {
      found.set(subscriber, { qos: sub.qos, flags, ids: id === 0 ? undefined : [id] });
      continue;
    }
    if (sub.qos > prev.qos) prev.qos = sub.qos;
    if (id !== 0) (prev.ids ??= []).push(id);
    prev.flags = ((prev.flags & flags) & NO_LOCAL) | ((prev.flags | flags) & RETAIN_AS_PUBLISHED);
  }
}
