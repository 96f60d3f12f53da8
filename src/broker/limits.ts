/**
 * @module broker/limits
 * The limits and switches one MQTT connection lives by. AWS_LIMITS are AWS IoT Core's (reference §4,
 * §5); broker/profile.ts holds the standard's set and applies the settings that override single values.
 */
import type { ProtocolVersion } from '../protocol/codec.js';
import { AWS_TOPIC_LIMITS, type TopicLimits } from '../protocol/topics.js';

/**
 * What a connection may do beyond AWS IoT. Each is one named AWS difference (docs/compatibility.md);
 * all are false in the aws profile.
 */
export interface ChannelFeatures {
  /** QoS 2 both ways (PUBREC/PUBREL/PUBCOMP); AWS IoT: QoS 0 and 1 only. */
  qos2: boolean;
  /** v5 Subscription Identifiers accepted and delivered; AWS IoT: refused with DISCONNECT 0xA1. */
  subscriptionIdentifiers: boolean;
  /** The server sets topic aliases on PUBLISH to a v5 client that allows them; AWS IoT: never. */
  outboundTopicAliases: boolean;
  /** Keep-alive clamped into [keepAliveMin, keepAliveMax] as AWS does; off: the client's value stands. */
  keepAliveClamp: boolean;
  /** v5 Reason String on refusals and server DISCONNECTs (unless Request Problem Information is 0). */
  reasonStrings: boolean;
  /**
   * A WebSocket close frame from the client without an MQTT DISCONNECT still sends the will (the
   * standard: the network connection closed); AWS IoT: a WebSocket Close is a clean disconnect.
   */
  willOnWebSocketClose: boolean;
  /**
   * AWS: `$` topics belong to the service: clients publish only to the topics of its services (shadows)
   * and watch only its events and services' replies. The standard reserves nothing (`$SYS`-style
   * topics are ordinary ones that `#` and `+` do not match at the first level).
   */
  reservedTopics: boolean;
}

/** Per-connection and per-client-id rates; 0 means no quota. AWS IoT lists them in reference §4. */
export interface RateQuotas {
  /** Inbound PUBLISH packets per second per connection (AWS: 100). */
  publishPerSecond: number;
  /** SUBSCRIBE packets per second per connection. */
  subscribePerSecond: number;
  /** CONNECT packets per second per client id (AWS: 1). */
  connectPerSecond: number;
}

export interface ChannelLimits {
  /** Client ids longer than this are refused (AWS: 128 bytes). */
  maxClientIdBytes: number;
  /** Keep-alive is clamped into [min, max] seconds; 0 means max (AWS: 30..1200). */
  keepAliveMin: number;
  keepAliveMax: number;
  /** Filters in one SUBSCRIBE (AWS: 8) and subscriptions per connection (AWS: 50). */
  maxFiltersPerSubscribe: number;
  maxSubscriptions: number;
  /** PUBLISH payload ceiling in bytes (AWS: 128 KB). */
  maxPayloadBytes: number;
  /** Largest packet accepted from a client; a larger one ends the connection. */
  maxPacketBytes: number;
  /** Unacknowledged outbound QoS 1 messages (AWS: 100), also the Receive Maximum we advertise. */
  maxInflight: number;
  /** Inbound topic aliases a v5 client may use (AWS: 8). */
  topicAliasMaximum: number;
  /** Session expiry of a 3.1.1 persistent session (clean session 0), seconds (AWS: 1 h). */
  defaultSessionExpiry: number;
  /** Longest session expiry granted, seconds (AWS: 7 days). */
  maxSessionExpiry: number;
  /** Unsent bytes past which QoS 0 messages to a slow subscriber are dropped. */
  maxBufferedQos0Bytes: number;
  /** Time a new connection has to send CONNECT. */
  connectTimeoutMs: number;
  topics: TopicLimits;
  features: ChannelFeatures;
  rates: RateQuotas;
}

export const AWS_LIMITS: ChannelLimits = {
  maxClientIdBytes: 128,
  keepAliveMin: 30,
  keepAliveMax: 1200,
  maxFiltersPerSubscribe: 8,
  maxSubscriptions: 50,
  maxPayloadBytes: 128 * 1024,
  // What AWS IoT Core's CONNACK says (146 KiB): a 128 KB payload with room for its topic and properties.
  maxPacketBytes: 149_504,
  maxInflight: 100,
  topicAliasMaximum: 8,
  defaultSessionExpiry: 3600,
  maxSessionExpiry: 7 * 24 * 3600,
  maxBufferedQos0Bytes: 1024 * 1024,
  connectTimeoutMs: 10_000,
  topics: AWS_TOPIC_LIMITS,
  features: { qos2: false, subscriptionIdentifiers: false, outboundTopicAliases: false, keepAliveClamp: true, reasonStrings: false, willOnWebSocketClose: false, reservedTopics: true },
  // AWS enforces its rates, but a self-hosted broker has no fleet to protect: quotas are opt-in.
  rates: { publishPerSecond: 0, subscribePerSecond: 0, connectPerSecond: 0 },
};

/** The largest keep-alive MQTT can express: a keepAliveMax at it lowers nothing. */
export const KEEP_ALIVE_LIMIT = 65535;

/**
 * The keep-alive the connection runs with. AWS: 0 or over the max becomes the max, under the min
 * becomes the min. Without the clamp the client's value stands, 0 meaning none [MQTT-3.1.2-10],
 * except that a v5 client is told a lower maximum when one is set (Server Keep Alive
 * [MQTT-3.2.2-21]); a 3.1.1 client cannot be told, so its value stands.
 */
export function clampKeepAlive(requested: number, limits: ChannelLimits, version: ProtocolVersion): number {
  if (!limits.features.keepAliveClamp) {
    const max = limits.keepAliveMax;
    return version === 5 && max < KEEP_ALIVE_LIMIT && (requested === 0 || requested > max) ? max : requested;
  }
  if (requested === 0 || requested > limits.keepAliveMax) return limits.keepAliveMax;
  if (requested < limits.keepAliveMin) return limits.keepAliveMin;
  return requested;
}
