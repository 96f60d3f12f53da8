import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TopicTree } from '../../src/broker/topic-tree.js';
import { topicMatches } from '../../src/protocol/topics.js';

const sub = (clientId: string) => ({ clientId });

describe('topic-tree', () => {
  it('topic-tree - matches literal, + and # filters, once per subscriber at the highest QoS', () => {
    const tree = new TopicTree({ hashMatchesParent: false });
    const a = sub('a');
    const b = sub('b');
    tree.add({ subscriber: a, filter: 'x/y', qos: 0 });
    tree.add({ subscriber: a, filter: 'x/+', qos: 1 });
    tree.add({ subscriber: b, filter: '#', qos: 0 });
    const matches = tree.match('x/y');
    assert.equal(matches.length, 2);
    assert.deepEqual(matches.find((m) => m.subscriber === a)?.qos, 1);
    assert.deepEqual(matches.find((m) => m.subscriber === b)?.qos, 0);
  });

  it('topic-tree - removal prunes and invalidates the cache', () => {
    const tree = new TopicTree({ hashMatchesParent: false });
    const a = sub('a');
    tree.add({ subscriber: a, filter: 'p/q/r', qos: 0 });
    assert.equal(tree.match('p/q/r').length, 1);
    assert.equal(tree.remove(a, 'p/q/r'), true);
    assert.equal(tree.remove(a, 'p/q/r'), false);
    assert.equal(tree.match('p/q/r').length, 0);
    assert.equal(tree.size, 0);
  });

  it('topic-tree - agrees with the reference matcher on a grid of filters and topics', () => {
    const filters = ['#', '+', 'a', 'a/#', 'a/+', '+/b', 'a/b', 'a/b/#', '+/+/+', 'a/+/c', '$aws/#', '$aws/+/x', '+/', 'a/', '/#', '/+'];
    const topics = ['a', 'a/b', 'a/b/c', 'a/', '/a', 'b', 'x/b', '$aws/t/x', '$aws', 'a/x/c', '/', 'a//c'];
    for (const hashMatchesParent of [false, true]) {
      const tree = new TopicTree({ hashMatchesParent });
      const subs = filters.map((f) => ({ clientId: f }));
      filters.forEach((filter, i) => tree.add({ subscriber: subs[i]!, filter, qos: 0 }));
      for (const topic of topics) {
        const got = new Set(tree.match(topic).map((m) => m.subscriber.clientId));
        const want = new Set(filters.filter((f) => topicMatches(f, topic, { hashMatchesParent })));
        assert.deepEqual([...got].sort(), [...want].sort(), `topic ${topic} (hashMatchesParent ${hashMatchesParent})`);
      }
    }
  });
});
