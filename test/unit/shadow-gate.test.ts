/**
 * The shadow service's topics on the publish gate (services/shadow/gate-service): which topics and
 * filters it serves in the aws profile, where every other `$` topic is reserved (reference §5, §8).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isShadowTopicOrFilter } from '../../src/services/shadow/index.js';

describe('shadow gate - the topics and filters the shadow service serves', () => {
  const served = [
    '$aws/things/lamp/shadow/get', '$aws/things/lamp/shadow/update', '$aws/things/lamp/shadow/delete',
    '$aws/things/lamp/shadow/update/accepted', '$aws/things/lamp/shadow/update/delta', '$aws/things/lamp/shadow/update/documents',
    '$aws/things/lamp/shadow/name/cfg/get/rejected', '$aws/things/lamp/shadow/name/$cfg_1/update',
    '$aws/things/+/shadow/update/delta', '$aws/things/lamp/shadow/#', '$aws/things/+/shadow/name/+/update/documents',
    '$aws/things/lamp/shadow/+/accepted',
  ];
  const notServed = [
    '$aws/things/lamp/jobs/get', '$aws/things/#', '$aws/things/lamp/#', '$aws/things/la+mp/shadow/update', '$aws/events/presence/connected/x',
    '$aws/things/bad name/shadow/update', '$aws/things', 'things/lamp/shadow/update', '$SYS/broker', '$aws/things/lamp/shadow',
  ];
  for (const topic of served) it(`shadow gate - AWS: ${topic} is the shadow service's`, () => assert.equal(isShadowTopicOrFilter(topic), true));
  for (const topic of notServed) it(`shadow gate - ${topic} is not the shadow service's`, () => assert.equal(isShadowTopicOrFilter(topic), false));
});
