/**
 * @module broker/node-watch
 * A cluster node's lease and its watch over the others (leases in the shared Store). The node renews
 * its lease every second; each connection it serves is written with its will and lifecycle identity,
 * and deleted when it ends. A node killed without a word stops renewing: once its lease has run out
 * (a few seconds), the first node to look takes its connections (one Store statement, so exactly one
 * node does) and sends, for each, the lifecycle `disconnected` event (CONNECTION_LOST) and its will
 * (after its Will Delay Interval, if it has one), as the dead node would have.
 */
import { parseProperties, serializeProperties } from '../protocol/properties-json.js';
import type { NodeLeaseStore } from '../store/store.js';
import type { Clock } from './clock.js';
import type { ConnectionIdentity, LifecycleEvents, PresenceHook, PresenceWill } from './lifecycle.js';
import type { Wills } from './wills.js';

/** How often a node renews its lease and looks for dead ones; a lease lasts LEASE_MS. */
export const RENEW_MS = 1000;
export const LEASE_MS = 3000;

interface StoredWill extends Omit<PresenceWill, 'payload' | 'properties'> {
  payload: string;
  properties: string | null;
}

export interface NodeWatchDeps {
  leases: NodeLeaseStore;
  /** This process's lease key: the node id and a random part (a restarted node is a new lease). */
  node: string;
  lifecycle: LifecycleEvents;
  wills: Wills;
  clock: Clock;
  onError: (err: unknown, context: string) => void;
  /** A node's lease ran out (its lease key): what it declared is no longer waited for (broker/cluster-acks.ts). */
  onDead?: ((node: string) => void) | undefined;
}

export class NodeWatch implements PresenceHook {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(private readonly deps: NodeWatchDeps) {}

  /** Takes the lease (before serving), then keeps it and watches. */
  async start(): Promise<void> {
    await this.deps.leases.renew(this.deps.node, this.deps.clock.now() + LEASE_MS);
    this.timer = setInterval(() => void this.tick(), RENEW_MS);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    const { leases, node, clock } = this.deps;
    try {
      await leases.renew(node, clock.now() + LEASE_MS);
      const rows = await leases.takeExpired(clock.now());
      for (const row of rows) this.sendFor(row.record);
      for (const dead of new Set(rows.map((row) => row.node))) this.deps.onDead?.(dead);
    } catch (err) {
      this.deps.onError(err, 'node lease');
    } finally {
      this.busy = false;
    }
  }

  /** A dead node's connection: what it would have sent when the connection was lost. */
  private sendFor(record: string): void {
    const { identity, will } = JSON.parse(record) as { identity: ConnectionIdentity; will: StoredWill | null };
    this.deps.lifecycle.disconnected(identity, 'CONNECTION_LOST');
    if (will === null) return;
    const message = { ...will, payload: Buffer.from(will.payload, 'base64'), properties: parseProperties(will.properties) };
    if (will.delaySeconds > 0) this.deps.wills.schedule(identity.clientId, message, will.delaySeconds * 1000);
    else this.deps.wills.send(message);
  }

  connected(id: ConnectionIdentity, will: PresenceWill | undefined): void {
    const stored: StoredWill | null = will === undefined ? null
      : { ...will, payload: will.payload.toString('base64'), properties: serializeProperties(will.properties) };
    this.deps.leases.putConnection({ node: this.deps.node, sessionId: id.sessionIdentifier, record: JSON.stringify({ identity: id, will: stored }) })
      .catch((err: unknown) => this.deps.onError(err, 'node connection'));
  }

  disconnected(id: ConnectionIdentity): void {
    this.deps.leases.deleteConnection(this.deps.node, id.sessionIdentifier).catch((err: unknown) => this.deps.onError(err, 'node connection'));
  }

  /** A clean stop: the lease and the connections go (their ends were sent by this node). */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.deps.leases.release(this.deps.node).catch((err: unknown) => this.deps.onError(err, 'node lease'));
  }
}
