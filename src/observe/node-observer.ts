/**
 * @module observe/node-observer
 * Everything one node shows an operator, wired in one place so main.ts stays composition only: the
 * metrics over the broker's counters and live sessions, the store's commit latency (through the
 * Store's commit observer, so store/ never imports observe/), the connection log, the denials
 * counted by action (and logged by denial-log.ts), and the readiness checks (the store writable here;
 * a cluster's bus connected; the listeners are registered by whoever starts them).
 */
import type { Denial } from '../auth/policy-authorizer.js';
import type { Broker } from '../broker/broker.js';
import type { LifecycleEvents } from '../broker/lifecycle.js';
import type { Bus } from '../bus/bus.js';
import type { Store } from '../store/store.js';
import { connectionLogger } from './connection-log.js';
import { Readiness } from './health.js';
import type { Logger } from './logger.js';
import { createNodeMetrics, type LiveConnection, type NodeMetrics } from './metrics.js';
import { registerObserveRoutes } from './routes.js';
import type { FastifyInstance } from 'fastify';

export interface NodeObserverDeps {
  broker: Broker;
  lifecycle: LifecycleEvents;
  store: Pick<Store, 'meta' | 'observeCommits'>;
  log: Logger;
  /** A cluster's bus: the node is not ready while it is away from the other nodes. */
  bus?: Pick<Bus, 'clustered' | 'connected'> | undefined;
}

export interface NodeObserver {
  readonly metrics: NodeMetrics;
  readonly readiness: Readiness;
  /** Wraps the authorizer's onDenied hook: each denial is counted by action, then handed on (to the log). */
  denials(next: (denial: Denial) => void): (denial: Denial) => void;
  /** Registers /metrics, /healthz and /readyz on the control plane. */
  routes(app: FastifyInstance): void;
  /** The dashboard's totals, the same counters /metrics reads. */
  totals(): { messagesIn: number; messagesOut: number; dropped: number; denied: number };
}

/** The store's readiness: a small write that must commit (a closed or locked database fails it). */
const READY_KEY = 'readyz.checked-at';

export function observeNode(deps: NodeObserverDeps): NodeObserver {
  const { broker, store } = deps;
  const counters = broker.counters;
  const metrics = createNodeMetrics({
    counters,
    *connections(): Iterable<LiveConnection> {
      for (const session of broker.allSessions()) {
        const info = session.channel?.describe();
        if (info !== undefined) yield info;
      }
    },
    queuedMessages() {
      let owed = 0;
      for (const session of broker.allSessions()) owed += session.owed;
      return owed;
    },
  });
  store.observeCommits((seconds, committed) => metrics.storeWriteSeconds.observe({ result: committed ? 'committed' : 'failed' }, seconds));
  deps.lifecycle.observe(connectionLogger(deps.log.child({ part: 'mqtt' })));

  const readiness = new Readiness();
  readiness.register('store', async () => {
    await store.meta.set(READY_KEY, new Date().toISOString());
    return true;
  });
  const bus = deps.bus;
  if (bus?.clustered === true) readiness.register('bus', () => bus.connected || 'not connected to the bus (NATS): serving this node\'s clients only');
  return {
    metrics,
    readiness,
    denials: (next) => (denial) => {
      counters.denied(denial.action);
      next(denial);
    },
    routes: (app) => registerObserveRoutes(app, { registry: metrics.registry, readiness }),
    totals: () => counters.totals(),
  };
}
