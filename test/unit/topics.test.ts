import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { topicMatches, validateTopicFilter, validateTopicName, MQTT_TOPIC_LIMITS } from '../../src/protocol/topics.js';

describe('topics - names', () => {
  it('topics - accepts plain names, including empty levels', () => {
    for (const t of ['a', 'a/b', 'a/', '/a', 'device/message', 'ünï/cødé']) assert.equal(validateTopicName(t), null, t);
  });
  it('topics - [MQTT-3.3.2-2] refuses wildcards and empty names', () => {
    assert.match(validateTopicName('') ?? '', /empty/);
    assert.match(validateTopicName('a/+') ?? '', /wildcard/);
    assert.match(validateTopicName('a/#') ?? '', /wildcard/);
  });
  it('topics - AWS: at most 256 bytes and 7 slashes', () => {
    assert.equal(validateTopicName('x'.repeat(256)), null);
    assert.match(validateTopicName('x'.repeat(257)) ?? '', /257 bytes/);
    assert.equal(validateTopicName('a/b/c/d/e/f/g/h'), null);
    assert.match(validateTopicName('a/b/c/d/e/f/g/h/i') ?? '', /8 slashes/);
    // multi-byte characters count as bytes
    assert.match(validateTopicName('é'.repeat(129)) ?? '', /258 bytes/);
  });
  it('topics - AWS: the $aws/rules/<rule>/ prefix does not count', () => {
    assert.equal(validateTopicName('$aws/rules/myrule/a/b/c/d/e/f/g/h'), null);
  });
  it('topics - the mqtt limits allow deep topics', () => {
    assert.equal(validateTopicName('a/'.repeat(100) + 'z', MQTT_TOPIC_LIMITS), null);
  });
});

describe('topics - filters', () => {
  it('topics - [MQTT-4.7.1-2] # alone and last; [MQTT-4.7.1-3] + alone in its level', () => {
    for (const f of ['#', '+', 'a/#', 'a/+/b', '+/+', 'a/+/#']) assert.equal(validateTopicFilter(f), null, f);
    for (const f of ['a#', 'a/#/b', 'a/b#', 'a+', 'a/+b/c', '']) assert.notEqual(validateTopicFilter(f), null, f);
  });
});

describe('topics - matching', () => {
  const aws = { hashMatchesParent: false };
  const std = { hashMatchesParent: true };
  it('topics - + and # match as the standard says', () => {
    assert.ok(topicMatches('a/+/c', 'a/b/c', aws));
    assert.ok(!topicMatches('a/+/c', 'a/b/d', aws));
    assert.ok(topicMatches('#', 'a/b/c', aws));
    assert.ok(topicMatches('a/#', 'a/b/c', aws));
    assert.ok(topicMatches('+/+', 'a/', aws));
  });
  it('topics - AWS: sensor/# matches sensor/ but not sensor', () => {
    assert.ok(topicMatches('sensor/#', 'sensor/', aws));
    assert.ok(!topicMatches('sensor/#', 'sensor', aws));
    assert.ok(topicMatches('sensor/#', 'sensor', std));
  });
  it('topics - [MQTT-4.7.2-1] first-level wildcards never match $ topics', () => {
    assert.ok(!topicMatches('#', '$aws/things/x', aws));
    assert.ok(!topicMatches('+/things/x', '$aws/things/x', aws));
    assert.ok(topicMatches('$aws/#', '$aws/things/x', aws));
  });
});
