/**
 * @module broker/limits
 * The limits one MQTT connection lives by. The defaults are AWS IoT Core's (reference §4).
 */
import { AWS_TOPIC_LIMITS, type TopicLimits } from '../protocol/topics.js';

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
}

export const AWS_LIMITS: ChannelLimits = {
  maxClientIdBytes: 128,
  keepAliveMin: 30,
  keepAliveMax: 1200,
  maxFiltersPerSubscribe: 8,
  maxSubscriptions: 50,
  maxPayloadBytes: 128 * 1024,
  // The payload plus a topic, properties and headers.
  maxPacketBytes: 128 * 1024 + 64 * 1024,
  maxInflight: 100,
  topicAliasMaximum: 8,
  defaultSessionExpiry: 3600,
  maxSessionExpiry: 7 * 24 * 3600,
  maxBufferedQos0Bytes: 1024 * 1024,
  connectTimeoutMs: 10_000,
  topics: AWS_TOPIC_LIMITS,
};

/** AWS: 0 or over the max becomes the max, under the min becomes the min. */
export function clampKeepAlive(requested: number, limits: ChannelLimits): number {
  if (requested === 0 || requested > limits.keepAliveMax) return limits.keepAliveMax;
  if (requested < limits.keepAliveMin) return limits.keepAliveMin;
  return requested;
}
