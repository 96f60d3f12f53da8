/**
 * @module broker/durable-interest
 * Which nodes of a cluster hold a *durable* interest in which filters: a persistent session (expiry
 * > 0) subscribed at QoS 1 or 2, shared or not. A QoS 1 publisher's acknowledgement waits for the
 * nodes whose durable interest matches its topic (broker/cluster-acks.ts), so each node declares its
 * own on the bus and keeps the others' here.
 *
 * The declarations are bus events (versioned as every event, bus/envelope.ts): `durable` carries a
 * node's changes of one turn (`on`, `off`: [filter, share] pairs, share '' for a plain filter), or
 * with `all` its whole set, which replaces what was known of it; `durable-hello` asks every node for
 * its whole set (a node that joins, or whose NATS connection came back, may have missed changes).
 * A node is known by its node id, so a restarted node's set replaces its predecessor's.
 *
 * The tree holds one subscriber per other node (its plain filters) and one per share (`$share/g/f`:
 * NATS picks the node that serves each message, this one included, so any member's answer does).
 */
import type { Bus, BusEvent } from '../bus/bus.js';
import { TopicTree, type Subscriber } from './topic-tree.js';

export const DURABLE_EVENT = 'durable';
export const DURABLE_HELLO = 'durable-hello';
/** A node's lease ran out (broker/node-watch.ts): its declarations go everywhere. */
export const DURABLE_GONE = 'durable-gone';

/** [filter, share]; share '' for a plain filter. */
type Declaration = [string, string];

export class DurableInterest {
  /** This node's declarations: `filter\0share` -> count (as many offs as ons end one). */
  private readonly local = new Map<string, number>();
  private changes: { on: Declaration[]; off: Declaration[] } | undefined;
  /** The other nodes' declarations, by node id: `filter\0share`. */
  private readonly remote = new Map<string, Set<string>>();
  /** The instance each node's declarations came from (a restarted node is a new one). */
  private readonly instances = new Map<string, string>();
  private readonly tree: TopicTree<Subscriber>;
  private readonly subscribers = new Map<string, Subscriber>();
  /** Entries of the tree: `key\0filter` -> how many declarations made it. */
  private readonly entries = new Map<string, number>();
  /** Told when a node declared anything (it is alive and heard). */
  onHeard: (node: string) => void = () => undefined;

  constructor(private readonly bus: Bus, hashMatchesParent: boolean) {
    this.tree = new TopicTree<Subscriber>({ hashMatchesParent });
    bus.onEvent((event) => this.onEvent(event));
  }

  /** Whether no durable interest is known that a message of this node must wait for. */
  get empty(): boolean {
    return this.entries.size === 0;
  }

  /** The keys (node ids, shares) whose durable copies a message on `topic` waits for. */
  match(topic: string): string[] {
    const matches = this.tree.match(topic);
    const keys: string[] = [];
    for (let i = 0; i < matches.length; i++) keys.push(matches[i]!.subscriber.clientId);
    return keys;
  }

  /** This node gains (`on`) or loses a durable interest; `share` is '' for a plain filter. */
  declare(filter: string, share: string, on: boolean): void {
    const key = `${filter}\0${share}`;
    const n = (this.local.get(key) ?? 0) + (on ? 1 : -1);
    if (n > 0) this.local.set(key, n);
    else this.local.delete(key);
    if (n !== (on ? 1 : 0)) return;
    // A share may be served by this node too (NATS picks): its answer counts as any member's.
    if (share !== '') this.entry(share, filter, on);
    if (this.changes === undefined) {
      this.changes = { on: [], off: [] };
      setImmediate(this.sendChanges);
    }
    (on ? this.changes.on : this.changes.off).push([filter, share]);
  }

  private readonly sendChanges = (): void => {
    const changes = this.changes;
    this.changes = undefined;
    if (changes !== undefined) this.bus.announce(DURABLE_EVENT, { instance: this.bus.instance, all: false, on: changes.on, off: changes.off });
  };

  /** Joined, or NATS is back: asks for every node's set and sends this node's. */
  hello(): void {
    this.bus.announce(DURABLE_HELLO, {});
    this.sendAll();
  }

  /** A clean stop: this node holds nothing any more. */
  leave(): void {
    this.bus.announce(DURABLE_EVENT, { instance: this.bus.instance, all: true, on: [], off: [] });
  }

  private sendAll(): void {
    const on = [...this.local.keys()].map((key) => key.split('\0') as Declaration);
    this.bus.announce(DURABLE_EVENT, { instance: this.bus.instance, all: true, on, off: [] });
  }

  /** A node that stopped answering for longer than a timeout is taken as gone: its declarations go. */
  drop(node: string): void {
    const known = this.remote.get(node);
    if (known === undefined) return;
    this.remote.delete(node);
    for (const key of known) this.remoteEntry(node, key, false);
  }

  /** A dead instance (its lease ran out): its node's declarations go, unless a newer instance made them; told to every node. */
  gone(instance: string, tell: boolean): void {
    const node = instance.slice(0, instance.indexOf('/'));
    if (this.instances.get(node) === instance) this.drop(node);
    if (tell) this.bus.announce(DURABLE_GONE, { instance });
  }

  private onEvent(event: BusEvent): void {
    if (event.kind === DURABLE_HELLO) return this.sendAll();
    if (event.kind === DURABLE_GONE && typeof event.body['instance'] === 'string') return this.gone(event.body['instance'], false);
    if (event.kind !== DURABLE_EVENT) return;
    const { all, on, off, instance } = event.body as { all?: unknown; on?: unknown; off?: unknown; instance?: unknown };
    if (!Array.isArray(on) || !Array.isArray(off)) return;
    if (typeof instance === 'string') this.instances.set(event.from, instance);
    if (all === true) this.drop(event.from);
    let known = this.remote.get(event.from);
    if (known === undefined) this.remote.set(event.from, known = new Set());
    for (const d of off as unknown[]) {
      const key = declarationKey(d);
      if (key !== undefined && known.delete(key)) this.remoteEntry(event.from, key, false);
    }
    for (const d of on as unknown[]) {
      const key = declarationKey(d);
      if (key !== undefined && !known.has(key)) {
        known.add(key);
        this.remoteEntry(event.from, key, true);
      }
    }
    this.onHeard(event.from);
  }

  private remoteEntry(node: string, key: string, on: boolean): void {
    const [filter, share] = key.split('\0') as Declaration;
    this.entry(share === '' ? node : share, filter, on);
  }

  /** Counts one declaration of `filter` for `key` (a node id or a share) in or out of the tree. */
  private entry(key: string, filter: string, on: boolean): void {
    const entry = `${key}\0${filter}`;
    const n = (this.entries.get(entry) ?? 0) + (on ? 1 : -1);
    if (n > 0) this.entries.set(entry, n);
    else this.entries.delete(entry);
    if (n !== (on ? 1 : 0)) return;
    let subscriber = this.subscribers.get(key);
    if (subscriber === undefined) this.subscribers.set(key, subscriber = { clientId: key });
    if (on) this.tree.add({ subscriber, filter, qos: 1 });
    else this.tree.remove(subscriber, filter);
  }
}

/** `filter\0share` of a declaration as it came off the bus; undefined when it is not one. */
function declarationKey(d: unknown): string | undefined {
  if (!Array.isArray(d) || typeof d[0] !== 'string' || typeof d[1] !== 'string') return undefined;
  return `${d[0]}\0${d[1]}`;
}
