/**
 * @module observe/counters
 * The message counters of one node, as the hot path keeps them: plain numbers and typed arrays indexed
 * by small constants, incremented where a message is received, delivered or dropped, and read only when
 * someone looks (a Prometheus scrape through observe/metrics.ts, the console's dashboard). No label is
 * looked up and nothing is allocated per message; prom-client sees these values in its collect()
 * callbacks at scrape time.
 *
 * It imports nothing, so every layer that counts (broker/, transports/) may hold one without
 * depending on prom-client. Rarer events (TLS handshake failures, denials, HTTPS answers) are counted
 * in small maps: they are not per-message work on the route path.
 */

/** Protocols a message arrives or leaves by (the `protocol` label). */
export const PROTOCOLS = ['mqtt3', 'mqtt5', 'https'] as const;
export type ProtocolLabel = (typeof PROTOCOLS)[number];
export const PROTOCOL_MQTT3 = 0;
export const PROTOCOL_MQTT5 = 1;
export const PROTOCOL_HTTPS = 2;

/** The protocol index of an MQTT protocol version (4: 3.1.1, 5: 5; 3.1 counts with 3.1.1). */
export function mqttProtocol(version: number): number {
  return version === 5 ? PROTOCOL_MQTT5 : PROTOCOL_MQTT3;
}

/** Why a message was not delivered to a subscriber, or not routed at all (the `reason` label). */
export const DROP_REASONS = ['queue-full', 'subscriber-congested', 'too-large-for-client', 'expired', 'quota-exceeded'] as const;
export type DropReason = (typeof DROP_REASONS)[number];
export const DROP_QUEUE_FULL = 0;
export const DROP_CONGESTED = 1;
export const DROP_TOO_LARGE = 2;
export const DROP_EXPIRED = 3;
export const DROP_QUOTA = 4;

/** Data-plane transports whose bytes are counted (the `transport` label of the byte counters). */
export const BYTE_TRANSPORTS = ['mqtt', 'websocket', 'https'] as const;
export const BYTES_MQTT = 0;
export const BYTES_WEBSOCKET = 1;
export const BYTES_HTTPS = 2;

export class Counters {
  /** Messages admitted by the publish gate, by [protocol * 3 + qos]. */
  readonly received = new Float64Array(PROTOCOLS.length * 3);
  /** PUBLISH packets written to subscribers, by [protocol * 3 + qos] (MQTT protocols only). */
  readonly delivered = new Float64Array(PROTOCOLS.length * 3);
  /** Messages dropped, by DROP_REASONS index. */
  readonly dropped = new Float64Array(DROP_REASONS.length);
  /** Data-plane bytes read and written, by BYTE_TRANSPORTS index. */
  readonly bytesIn = new Float64Array(BYTE_TRANSPORTS.length);
  readonly bytesOut = new Float64Array(BYTE_TRANSPORTS.length);
  /** TLS handshakes that failed or whose client was refused, by reason. */
  readonly tlsFailures = new Map<string, number>();
  /** Authorization denials, by action (`iot:Publish`, `iot:Connect`, ...). */
  readonly denials = new Map<string, number>();
  /** Data-plane HTTPS answers, by route, then by status code. */
  readonly httpsResponses = new Map<string, Map<number, number>>();

  tlsFailure(reason: string): void {
    this.tlsFailures.set(reason, (this.tlsFailures.get(reason) ?? 0) + 1);
  }

  denied(action: string): void {
    this.denials.set(action, (this.denials.get(action) ?? 0) + 1);
  }

  httpsResponse(route: string, status: number): void {
    let byStatus = this.httpsResponses.get(route);
    if (byStatus === undefined) {
      byStatus = new Map();
      this.httpsResponses.set(route, byStatus);
    }
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  }

  /** The dashboard's totals (console/broker-console-data.ts): the same numbers /metrics shows. */
  totals(): { messagesIn: number; messagesOut: number; dropped: number; denied: number } {
    let denied = 0;
    for (const n of this.denials.values()) denied += n;
    return { messagesIn: sum(this.received), messagesOut: sum(this.delivered), dropped: sum(this.dropped), denied };
  }
}

function sum(values: Float64Array): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
