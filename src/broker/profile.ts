/**
 * @module broker/profile
 * Profiles: `aws` (the default) behaves as AWS IoT Core does, `mqtt` follows the OASIS MQTT 3.1.1 and
 * 5.0 standards in full. A profile is a named set of switches and limits for the channel
 * (ChannelLimits) and the broker (BrokerOptions); single settings override single values on top of it.
 *
 * Each AWS difference is one switch, listed with its reason in docs/compatibility.md; this module
 * only decides values, it reads no config file and opens nothing.
 */
import { MQTT_TOPIC_LIMITS } from '../protocol/topics.js';
import { AWS_BROKER_OPTIONS, type BrokerOptions } from './broker-options.js';
import { AWS_LIMITS, KEEP_ALIVE_LIMIT, type ChannelFeatures, type ChannelLimits } from './limits.js';

export type ProfileName = 'aws' | 'mqtt';
export const PROFILE_NAMES: readonly ProfileName[] = ['aws', 'mqtt'];

export interface Profile {
  readonly name: ProfileName;
  readonly limits: ChannelLimits;
  readonly broker: BrokerOptions;
}

export const AWS_PROFILE: Profile = { name: 'aws', limits: AWS_LIMITS, broker: AWS_BROKER_OPTIONS };

/** The standard's own ceilings where it has them, and bounds that keep one client from exhausting memory where it has none. */
export const MQTT_PROFILE: Profile = {
  name: 'mqtt',
  limits: {
    ...AWS_LIMITS,
    // [MQTT-1.5.4] a UTF-8 string is at most 65535 bytes
    maxClientIdBytes: 65535,
    // The client's keep-alive stands unless --keep-alive-max lowers it (v5: Server Keep Alive).
    keepAliveMin: 0,
    keepAliveMax: KEEP_ALIVE_LIMIT,
    maxFiltersPerSubscribe: Number.MAX_SAFE_INTEGER,
    maxSubscriptions: Number.MAX_SAFE_INTEGER,
    maxPayloadBytes: 1024 * 1024,
    maxPacketBytes: 1024 * 1024 + 64 * 1024,
    // The v5 Receive Maximum is at most 65535; this is the window topicd offers by default.
    maxInflight: 100,
    topicAliasMaximum: 65535,
    defaultSessionExpiry: 3600,
    maxSessionExpiry: 0xffffffff,
    topics: MQTT_TOPIC_LIMITS,
    features: { qos2: true, subscriptionIdentifiers: true, outboundTopicAliases: true, keepAliveClamp: false, reasonStrings: true, willOnWebSocketClose: true, reservedTopics: false },
  },
  broker: { ...AWS_BROKER_OPTIONS, hashMatchesParent: true, retainedToWildcards: true },
};

/**
 * Settings that override one value of the profile (config.ts declares them as flags, env vars and
 * file keys); undefined keeps the profile's value.
 */
export interface ProfileOverrides {
  qos2?: boolean | undefined;
  retainedToWildcards?: boolean | undefined;
  hashMatchesParent?: boolean | undefined;
  subscriptionIdentifiers?: boolean | undefined;
  outboundTopicAliases?: boolean | undefined;
  keepAliveClamp?: boolean | undefined;
  reasonStrings?: boolean | undefined;
  willOnWebSocketClose?: boolean | undefined;
  maxClientIdBytes?: number | undefined;
  keepAliveMin?: number | undefined;
  keepAliveMax?: number | undefined;
  maxFiltersPerSubscribe?: number | undefined;
  maxSubscriptions?: number | undefined;
  maxPayloadBytes?: number | undefined;
  maxTopicBytes?: number | undefined;
  maxTopicSlashes?: number | undefined;
  maxInflight?: number | undefined;
  topicAliasMaximum?: number | undefined;
  defaultSessionExpiry?: number | undefined;
  maxSessionExpiry?: number | undefined;
  maxQueuedMessages?: number | undefined;
  publishRate?: number | undefined;
  subscribeRate?: number | undefined;
  connectRate?: number | undefined;
}

const pick = <T>(value: T | undefined, fallback: T): T => (value === undefined ? fallback : value);

/** The profile named, with the overrides applied. */
export function resolveProfile(name: ProfileName, o: ProfileOverrides = {}): Profile {
  const base = name === 'mqtt' ? MQTT_PROFILE : AWS_PROFILE;
  const l = base.limits;
  const f = l.features;
  const features: ChannelFeatures = {
    qos2: pick(o.qos2, f.qos2),
    subscriptionIdentifiers: pick(o.subscriptionIdentifiers, f.subscriptionIdentifiers),
    outboundTopicAliases: pick(o.outboundTopicAliases, f.outboundTopicAliases),
    keepAliveClamp: pick(o.keepAliveClamp, f.keepAliveClamp),
    reasonStrings: pick(o.reasonStrings, f.reasonStrings),
    willOnWebSocketClose: pick(o.willOnWebSocketClose, f.willOnWebSocketClose),
    reservedTopics: f.reservedTopics,
  };
  const maxPayloadBytes = pick(o.maxPayloadBytes, l.maxPayloadBytes);
  const limits: ChannelLimits = {
    ...l,
    maxClientIdBytes: pick(o.maxClientIdBytes, l.maxClientIdBytes),
    keepAliveMin: pick(o.keepAliveMin, l.keepAliveMin),
    keepAliveMax: pick(o.keepAliveMax, l.keepAliveMax),
    maxFiltersPerSubscribe: pick(o.maxFiltersPerSubscribe, l.maxFiltersPerSubscribe),
    maxSubscriptions: pick(o.maxSubscriptions, l.maxSubscriptions),
    maxPayloadBytes,
    // Room for the topic, properties and headers around the largest payload.
    maxPacketBytes: maxPayloadBytes === l.maxPayloadBytes ? l.maxPacketBytes : maxPayloadBytes + 64 * 1024,
    maxInflight: pick(o.maxInflight, l.maxInflight),
    topicAliasMaximum: pick(o.topicAliasMaximum, l.topicAliasMaximum),
    defaultSessionExpiry: pick(o.defaultSessionExpiry, l.defaultSessionExpiry),
    maxSessionExpiry: pick(o.maxSessionExpiry, l.maxSessionExpiry),
    topics: { maxBytes: pick(o.maxTopicBytes, l.topics.maxBytes), maxSlashes: pick(o.maxTopicSlashes, l.topics.maxSlashes) },
    features,
    rates: {
      publishPerSecond: pick(o.publishRate, l.rates.publishPerSecond),
      subscribePerSecond: pick(o.subscribeRate, l.rates.subscribePerSecond),
      connectPerSecond: pick(o.connectRate, l.rates.connectPerSecond),
    },
  };
  const broker: BrokerOptions = {
    ...base.broker,
    hashMatchesParent: pick(o.hashMatchesParent, base.broker.hashMatchesParent),
    retainedToWildcards: pick(o.retainedToWildcards, base.broker.retainedToWildcards),
    maxQueuedPerSession: pick(o.maxQueuedMessages, base.broker.maxQueuedPerSession),
  };
  return { name, limits, broker };
}

/** One line for the start banner: the profile and what differs from its defaults. */
export function describeProfile(profile: Profile): string {
  const f = profile.limits.features;
  const on = [
    f.qos2 ? 'QoS 2' : 'QoS 0/1',
    profile.broker.retainedToWildcards ? 'retained to wildcards' : 'retained to exact filters',
    f.subscriptionIdentifiers ? 'subscription ids' : undefined,
    f.outboundTopicAliases ? 'server topic aliases' : undefined,
  ].filter((s) => s !== undefined);
  return `${profile.name} (${profile.name === 'aws' ? 'AWS IoT Core behaviour' : 'OASIS MQTT standard'}: ${on.join(', ')})`;
}
