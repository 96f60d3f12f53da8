/**
 * @module broker/core
 * Builds the broker's parts for one profile and loads what the Store kept: the router (broker.ts),
 * the publish gate every message enters by (ingress.ts), delayed wills and AWS lifecycle events.
 * Restarts resume from here: retained messages, persistent sessions with what they are owed, then the
 * wills that were waiting (after the sessions, so persistent subscribers get them queued).
 */
import type { Bus } from '../bus/bus.js';
import type { Durability, NodeLeaseStore, RetainedStore, SessionStore } from '../store/store.js';
import { Broker } from './broker.js';
import type { Clock } from './clock.js';
import { PublishGate, type GateLimits } from './ingress.js';
import { LifecycleEvents } from './lifecycle.js';
import type { Profile } from './profile.js';
import { NodeWatch } from './node-watch.js';
import { Wills } from './wills.js';

export interface BrokerCore {
  readonly broker: Broker;
  readonly gate: PublishGate;
  readonly wills: Wills;
  readonly lifecycle: LifecycleEvents;
  readonly clock: Clock;
  /** Stops the timers (wills, session expiry) so nothing fires into a closed store; call after the listeners closed. */
  close(): void;
}

export interface BrokerCoreDeps {
  store: { retained: RetainedStore; sessions: SessionStore } | undefined;
  clock: Clock;
  onStoreError: (err: unknown, context: string) => void;
  /** The cluster's bus, and the store's durability it orders a handed-over session's writes with. */
  bus?: Bus | undefined;
  durability?: Durability | undefined;
  /** The shared store's node leases (a cluster): the wills and events of a dead node's connections. */
  leases?: NodeLeaseStore | undefined;
  /** How long a publisher's acknowledgement waits for other nodes' durable copies (broker/cluster-acks.ts). */
  ackTimeoutMs?: number | undefined;
}

/** The gate's rules, from the profile. */
export function gateLimits(profile: Profile): GateLimits {
  const l = profile.limits;
  return {
    qos2: l.features.qos2,
    topics: l.topics,
    maxPayloadBytes: l.maxPayloadBytes,
    reservedDollarTopics: l.features.reservedTopics,
    publishPerSecond: l.rates.publishPerSecond,
  };
}

export async function startBrokerCore(profile: Profile, deps: BrokerCoreDeps): Promise<BrokerCore> {
  const { clock, store, onStoreError } = deps;
  const broker = new Broker(profile.broker, {
    retainedStore: store?.retained, sessionStore: store?.sessions, onStoreError, clock, bus: deps.bus, durability: deps.durability,
    ackTimeoutMs: deps.ackTimeoutMs,
  });
  const gate = new PublishGate(broker, gateLimits(profile), clock);
  const wills = new Wills({ gate, clock, store: store?.sessions, onStoreError });
  const lifecycle = new LifecycleEvents(gate, clock);
  await broker.retained.load();
  await broker.loadSessions();
  const bus = deps.bus?.clustered === true ? deps.bus : undefined;
  let watch: NodeWatch | undefined;
  if (bus === undefined) {
    await wills.load();
  } else if (deps.leases !== undefined) {
    // A cluster: a delayed will waits on the node that scheduled it; a dead node's are sent by the watch.
    watch = new NodeWatch({
      leases: deps.leases, node: bus.instance, lifecycle, wills, clock, onError: onStoreError, onDead: (node) => broker.acks?.interest.gone(node, true),
    });
    lifecycle.presence = watch;
    await watch.start();
  }
  return {
    broker, gate, wills, lifecycle, clock,
    close: () => {
      watch?.close();
      wills.close();
      broker.close();
    },
  };
}
