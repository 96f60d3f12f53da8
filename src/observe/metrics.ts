/**
 * @module observe/metrics
 * The node's Prometheus metrics (prom-client, one Registry per node so that several nodes in one
 * process stay apart). The message counters are the hot path's own (observe/counters.ts): each metric
 * here copies them in its collect() callback, at scrape time, so counting costs the route path one
 * array increment and no label lookup. Connections and queued messages are read from the live sessions
 * at scrape time too. The store's commit latency is observed once per commit (a batch of writes), and
 * the process's own metrics (CPU, memory, event-loop lag, GC) come from prom-client's defaults.
 * Every name starts with `topicd_`; docs/observability.md lists them with their labels.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BYTE_TRANSPORTS, DROP_REASONS, PROTOCOLS, type Counters } from './counters.js';

export const METRIC_PREFIX = 'topicd_';

/** A live MQTT connection as the connection gauge labels it. */
export interface LiveConnection {
  transport: string;
  protocolVersion: number;
}

export interface MetricSources {
  counters: Counters;
  /** Every live MQTT connection, read at scrape time. */
  connections(): Iterable<LiveConnection>;
  /** QoS 1 and 2 messages owed to sessions (in flight and queued), read at scrape time. */
  queuedMessages(): number;
}

export interface NodeMetrics {
  readonly registry: Registry;
  /** Seconds from a store batch's first write to its commit, by result (committed, failed). */
  readonly storeWriteSeconds: Histogram<'result'>;
}

const QOS = ['0', '1', '2'] as const;

/** Store commit buckets: SQLite commits in well under a millisecond, PostgreSQL over a network in a few. */
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** topicd serves MQTT 3.1.1 (level 4) and 5; a 3.1 CONNECT is refused. */
function protocolVersionLabel(version: number): string {
  return version === 5 ? '5' : '3.1.1';
}

/** A counter by protocol and QoS copied from `values` ([protocol * 3 + qos]). */
function byProtocolAndQos(registry: Registry, name: string, help: string, values: Float64Array, protocols: readonly string[]): void {
  new Counter({
    name, help, labelNames: ['protocol', 'qos'], registers: [registry],
    collect() {
      this.reset();
      protocols.forEach((protocol, p) => {
        for (let q = 0; q < 3; q++) this.inc({ protocol, qos: QOS[q]! }, values[p * 3 + q]!);
      });
    },
  });
}

/** A counter with one label whose values are `names`, copied from `values` by index. */
function byIndex(registry: Registry, name: string, help: string, label: string, names: readonly string[], values: Float64Array): void {
  new Counter({
    name, help, labelNames: [label], registers: [registry],
    collect() {
      this.reset();
      names.forEach((value, i) => this.inc({ [label]: value }, values[i]!));
    },
  });
}

/** A counter with one label copied from a map of counts. */
function byKey(registry: Registry, name: string, help: string, label: string, values: ReadonlyMap<string, number>): void {
  new Counter({
    name, help, labelNames: [label], registers: [registry],
    collect() {
      this.reset();
      for (const [key, n] of values) this.inc({ [label]: key }, n);
    },
  });
}

function messageMetrics(registry: Registry, counters: Counters): void {
  byProtocolAndQos(registry, `${METRIC_PREFIX}messages_received_total`,
    'Messages admitted by the publish gate from clients, by protocol (mqtt3, mqtt5, https) and QoS.', counters.received, PROTOCOLS);
  byProtocolAndQos(registry, `${METRIC_PREFIX}messages_delivered_total`,
    'PUBLISH packets written to subscribers, by protocol (mqtt3, mqtt5) and the QoS of the delivery.', counters.delivered, PROTOCOLS.slice(0, 2));
  byIndex(registry, `${METRIC_PREFIX}messages_dropped_total`, 'Messages dropped, by reason.', 'reason', DROP_REASONS, counters.dropped);
  byIndex(registry, `${METRIC_PREFIX}bytes_received_total`, 'Data-plane bytes read from clients, by transport.', 'transport', BYTE_TRANSPORTS, counters.bytesIn);
  byIndex(registry, `${METRIC_PREFIX}bytes_sent_total`, 'Data-plane bytes written to clients, by transport.', 'transport', BYTE_TRANSPORTS, counters.bytesOut);
  byKey(registry, `${METRIC_PREFIX}tls_handshake_failures_total`, 'TLS handshakes that failed or whose client certificate was refused, by reason.', 'reason', counters.tlsFailures);
  byKey(registry, `${METRIC_PREFIX}authorization_denials_total`, 'Requests the policies refused, by action.', 'action', counters.denials);
  new Counter({
    name: `${METRIC_PREFIX}https_requests_total`, help: 'Data-plane HTTPS requests answered, by route and status (0: no answer was sent).',
    labelNames: ['route', 'status'], registers: [registry],
    collect() {
      this.reset();
      for (const [route, byStatus] of counters.httpsResponses) {
        for (const [status, n] of byStatus) this.inc({ route, status: String(status) }, n);
      }
    },
  });
}

export function createNodeMetrics(sources: MetricSources): NodeMetrics {
  const registry = new Registry();
  messageMetrics(registry, sources.counters);
  new Gauge({
    name: `${METRIC_PREFIX}connections`, help: 'Live MQTT connections, by transport (mqtt, websocket) and protocol version.',
    labelNames: ['transport', 'protocol'], registers: [registry],
    collect() {
      this.reset();
      for (const c of sources.connections()) this.inc({ transport: c.transport, protocol: protocolVersionLabel(c.protocolVersion) });
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}queued_messages`, help: 'QoS 1 and 2 messages owed to sessions: in flight and queued.', registers: [registry],
    collect() {
      this.set(sources.queuedMessages());
    },
  });
  const storeWriteSeconds = new Histogram({
    name: `${METRIC_PREFIX}store_write_seconds`, help: 'Seconds from a store write batch\'s first write to its commit, by result.',
    labelNames: ['result'], buckets: STORE_BUCKETS, registers: [registry],
  });
  // The process's own: CPU, memory, handles, GC, and the event-loop lag (topicd_nodejs_eventloop_lag_seconds).
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  return { registry, storeWriteSeconds };
}
