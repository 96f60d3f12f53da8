import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AWS_BROKER_OPTIONS } from '../../src/broker/broker-options.js';
import { AWS_LIMITS, clampKeepAlive } from '../../src/broker/limits.js';
import { AWS_PROFILE, MQTT_PROFILE, describeProfile, resolveProfile } from '../../src/broker/profile.js';
import { loadConfig } from '../../src/config/config.js';

describe('profile', () => {
  it('profile - aws is AWS IoT Core: the AWS limits, every switch off, no quotas', () => {
    const p = resolveProfile('aws');
    assert.deepEqual(p, AWS_PROFILE);
    assert.deepEqual(p.limits, AWS_LIMITS);
    assert.deepEqual(p.broker, AWS_BROKER_OPTIONS);
    assert.deepEqual(p.limits.features, { qos2: false, subscriptionIdentifiers: false, outboundTopicAliases: false, keepAliveClamp: true, reasonStrings: false, willOnWebSocketClose: false, reservedTopics: true });
    assert.deepEqual(p.limits.rates, { publishPerSecond: 0, subscribePerSecond: 0, connectPerSecond: 0 });
  });

  it('profile - mqtt turns every AWS difference to the standard', () => {
    const p = resolveProfile('mqtt');
    assert.deepEqual(p, MQTT_PROFILE);
    assert.deepEqual(p.limits.features, { qos2: true, subscriptionIdentifiers: true, outboundTopicAliases: true, keepAliveClamp: false, reasonStrings: true, willOnWebSocketClose: true, reservedTopics: false });
    assert.equal(p.broker.retainedToWildcards, true);
    assert.equal(p.broker.hashMatchesParent, true);
    assert.equal(p.limits.topics.maxBytes, 65535);
  });

  it('profile - single settings override single values, the rest stays the profile\'s', () => {
    const p = resolveProfile('aws', { qos2: true, keepAliveMin: 1, maxPayloadBytes: 1000, maxTopicSlashes: 20, maxQueuedMessages: 5, publishRate: 100, connectRate: 1 });
    assert.equal(p.limits.features.qos2, true);
    assert.equal(p.limits.features.subscriptionIdentifiers, false);
    assert.equal(p.limits.keepAliveMin, 1);
    assert.equal(p.limits.keepAliveMax, 1200);
    assert.equal(p.limits.maxPayloadBytes, 1000);
    assert.equal(p.limits.maxPacketBytes, 1000 + 64 * 1024);
    assert.deepEqual(p.limits.topics, { maxBytes: 256, maxSlashes: 20 });
    assert.equal(p.broker.maxQueuedPerSession, 5);
    assert.deepEqual(p.limits.rates, { publishPerSecond: 100, subscribePerSecond: 0, connectPerSecond: 1 });
  });

  it('profile - AWS: keep-alive clamped to 30..1200 (0 means 1200); without the clamp the client\'s value stands', () => {
    for (const version of [4, 5] as const) {
      assert.deepEqual([0, 1, 29, 30, 600, 1200, 1201].map((k) => clampKeepAlive(k, AWS_LIMITS, version)), [1200, 30, 30, 30, 600, 1200, 1200]);
      assert.deepEqual([0, 1, 5000].map((k) => clampKeepAlive(k, MQTT_PROFILE.limits, version)), [0, 1, 5000]);
    }
  });

  it('profile - mqtt: --keep-alive-max lowers a v5 client\'s keep-alive (Server Keep Alive [MQTT-3.2.2-21]); a 3.1.1 client\'s stands', () => {
    const limits = resolveProfile('mqtt', { keepAliveMax: 60 }).limits;
    assert.deepEqual([0, 1, 60, 61, 5000].map((k) => clampKeepAlive(k, limits, 5)), [60, 1, 60, 60, 60]);
    assert.deepEqual([0, 1, 60, 61, 5000].map((k) => clampKeepAlive(k, limits, 4)), [0, 1, 60, 61, 5000]);
  });

  it('profile - the banner line names the profile and its main switches', () => {
    assert.match(describeProfile(AWS_PROFILE), /^aws \(AWS IoT Core behaviour: QoS 0\/1, retained to exact filters\)$/);
    assert.match(describeProfile(MQTT_PROFILE), /^mqtt \(OASIS MQTT standard: QoS 2, retained to wildcards, subscription ids, server topic aliases\)$/);
  });

  it('profile - config: --profile defaults to aws; bad values are named', () => {
    assert.equal(loadConfig({ env: {} }).profile, 'aws');
    assert.equal(loadConfig({ env: { TOPICD_PROFILE: 'mqtt' } }).profile, 'mqtt');
    assert.throws(() => loadConfig({ env: {}, flags: { profile: 'iot' } }), /profile must be aws or mqtt, got "iot"/);
    const c = loadConfig({ env: { TOPICD_QOS2: 'true', TOPICD_KEEP_ALIVE_MIN: '5' }, flags: { retainedToWildcards: 'false' } });
    assert.equal(c.qos2, true);
    assert.equal(c.keepAliveMin, 5);
    assert.equal(c.retainedToWildcards, false);
    assert.equal(c.maxInflight, undefined, 'unset keeps the profile\'s value');
    assert.throws(() => loadConfig({ env: { TOPICD_QOS2: 'yes' } }), /env TOPICD_QOS2 \(qos2\) must be true or false, got "yes"/);
    assert.throws(() => loadConfig({ env: {}, flags: { publishRate: '-1' } }), /--publish-rate must be a whole number 0 or more, got "-1"/);
  });
});
