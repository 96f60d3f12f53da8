/**
 * @module broker/broker-options
 * The router's settings that the profiles (profile.ts) choose: AWS IoT's values and the standard's.
 */

export interface BrokerOptions {
  /** Whether `a/#` matches `a` as well (standard); AWS IoT: no. */
  hashMatchesParent: boolean;
  /** Whether retained messages go to wildcard subscriptions (standard); AWS IoT: exact filters only. */
  retainedToWildcards: boolean;
  /** QoS 1 and 2 messages a session may have queued behind its in-flight window; past it new ones are dropped. */
  maxQueuedPerSession: number;
  /** Queue length at which a connected session says it is congested (its publishers may be paused; transports/flow-control.ts), and where that ends. */
  congestionHighWater: number;
  congestionLowWater: number;
}

export const AWS_BROKER_OPTIONS: BrokerOptions = {
  hashMatchesParent: false, retainedToWildcards: false, maxQueuedPerSession: 1000, congestionHighWater: 100, congestionLowWater: 50,
};
