/**
 * @module broker/subscriptions
 * The router's subscriptions: the topic tree over sessions and shared groups, and, in a cluster, the
 * filters this node declares on the bus. A cluster keeps the shared groups in a tree apart: NATS
 * picks the node of each message for a group, and this node serves its groups alone only while
 * NATS is unreachable.
 */
import type { Bus } from '../bus/bus.js';
import type { Message, QoS } from '../protocol/codec.js';
import { parseSharedFilter } from '../protocol/topics.js';
import type { DurableInterest } from './durable-interest.js';
import type { Session } from './session.js';
import { SharedGroup } from './shared-group.js';
import { TopicTree } from './topic-tree.js';

/** What the topic tree delivers to: a session, or a shared subscription group of sessions. */
export type Target = Session | SharedGroup;

export class Subscriptions {
  readonly tree: TopicTree<Target>;
  /** Shared subscription groups by their full `$share/{group}/{filter}`. */
  private readonly groups = new Map<string, SharedGroup>();
  private readonly groupTree: TopicTree<SharedGroup> | undefined;
  /** The filters each session has declared as a durable interest (a cluster only). */
  private readonly declared = new WeakMap<Session, Set<string>>();

  constructor(hashMatchesParent: boolean, private readonly bus: Bus | undefined, private readonly durable?: DurableInterest) {
    this.tree = new TopicTree<Target>({ hashMatchesParent });
    if (bus !== undefined) this.groupTree = new TopicTree<SharedGroup>({ hashMatchesParent });
  }

  group(share: string): SharedGroup | undefined {
    return this.groups.get(share);
  }

  /** NATS unreachable: this node's shared groups get the message here. */
  routeGroupsHere(message: Message): void {
    const matches = this.groupTree?.match(message.topic) ?? [];
    for (let i = 0; i < matches.length; i++) matches[i]!.subscriber.deliver(message, message.qos, false, undefined);
  }

  /** Puts the subscription in the tree (through its share group when shared); true when shared. */
  add(session: Session, filter: string, qos: QoS, flags: number, id: number): boolean {
    const added = !session.subscriptions.has(filter);
    session.subscriptions.set(filter, { qos, flags, id });
    const shared = parseSharedFilter(filter);
    this.declare(session, filter, session.persistent && qos > 0);
    if (!shared) {
      this.tree.add({ subscriber: session, filter, qos, flags, id });
      if (added) this.bus?.interest(filter, true);
      return false;
    }
    let group = this.groups.get(filter);
    if (!group) {
      group = new SharedGroup(filter);
      this.groups.set(filter, group);
      // The group takes the highest QoS from the tree and gives each member its own granted QoS.
      if (this.groupTree === undefined) this.tree.add({ subscriber: group, filter: shared.filter, qos: 2 });
      else this.groupTree.add({ subscriber: group, filter: shared.filter, qos: 2 });
      this.bus?.interest(shared.filter, true, filter);
    }
    group.add(session, qos, id);
    return true;
  }

  remove(session: Session, filter: string): boolean {
    if (!session.subscriptions.delete(filter)) return false;
    this.declare(session, filter, false);
    const shared = parseSharedFilter(filter);
    if (!shared) {
      this.bus?.interest(filter, false);
      return this.tree.remove(session, filter);
    }
    const group = this.groups.get(filter);
    if (!group?.remove(session)) return false;
    if (group.size === 0) {
      this.groups.delete(filter);
      if (this.groupTree === undefined) this.tree.remove(group, shared.filter);
      else this.groupTree.remove(group, shared.filter);
      this.bus?.interest(shared.filter, false, filter);
    }
    return true;
  }

  /** The session became persistent or stopped being so: its durable interests follow. */
  redeclare(session: Session): void {
    for (const [filter, sub] of session.subscriptions) this.declare(session, filter, session.persistent && sub.qos > 0);
  }

  /** A persistent session's QoS 1 or 2 subscription is a durable interest: other nodes' publishers wait for its copies. */
  private declare(session: Session, filter: string, durable: boolean): void {
    if (this.durable === undefined) return;
    let filters = this.declared.get(session);
    if ((filters?.has(filter) === true) === durable) return;
    if (filters === undefined) this.declared.set(session, filters = new Set());
    if (durable) filters.add(filter);
    else filters.delete(filter);
    const shared = parseSharedFilter(filter);
    this.durable.declare(shared ? shared.filter : filter, shared ? filter : '', durable);
  }
}
