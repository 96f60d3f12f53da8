/**
 * @module broker/shared-group
 * A shared subscription `$share/{group}/{filter}`: one entry in the topic tree that hands each
 * message to one member at a time, round robin over the members that are connected. When none is
 * connected, a persistent member's session queues it (QoS 1), so the group loses nothing it could
 * keep. AWS IoT offers shared subscriptions to MQTT 3.1.1 clients too.
 */
import type { Message, QoS } from '../protocol/codec.js';
import type { Session } from './session.js';

export class SharedGroup {
  /** Unique in the tree's subscriber maps: the full `$share/...` filter. */
  readonly clientId: string;
  private readonly members: Session[] = [];
  /** Each member's granted QoS and Subscription Identifier (as the one-element list a delivery carries). */
  private readonly qos = new Map<Session, QoS>();
  private readonly ids = new Map<Session, readonly number[]>();
  private next = 0;

  constructor(readonly sharedFilter: string) {
    this.clientId = sharedFilter;
  }

  get size(): number {
    return this.members.length;
  }

  add(session: Session, qos: QoS, id = 0): void {
    if (!this.qos.has(session)) this.members.push(session);
    this.qos.set(session, qos);
    if (id === 0) this.ids.delete(session);
    else this.ids.set(session, [id]);
  }

  remove(session: Session): boolean {
    if (!this.qos.delete(session)) return false;
    this.ids.delete(session);
    this.members.splice(this.members.indexOf(session), 1);
    if (this.next >= this.members.length) this.next = 0;
    return true;
  }

  deliver(message: Message, qos: QoS, _retain: boolean, _ids: readonly number[] | undefined): void {
    const n = this.members.length;
    let fallback: Session | undefined;
    for (let i = 0; i < n; i++) {
      const index = (this.next + i) % n;
      const member = this.members[index]!;
      if (member.channel === undefined) {
        if (fallback === undefined && member.persistent) fallback = member;
        continue;
      }
      this.next = (index + 1) % n;
      return this.hand(member, message, qos);
    }
    if (fallback !== undefined) this.hand(fallback, message, qos);
  }

  private hand(member: Session, message: Message, qos: QoS): void {
    const granted = this.qos.get(member)!;
    member.deliver(message, granted < qos ? granted : qos, false, this.ids.get(member));
  }
}
