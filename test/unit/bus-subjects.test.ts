/** MQTT topics and filters as NATS subjects (bus/subjects.ts): what NATS routes on must match what MQTT matches. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_SUBJECT, claimSubject, filterSubjects, topicSubject } from '../../src/bus/subjects.js';

describe('bus subjects', () => {
  it('bus subjects - a plain topic keeps its levels as tokens', () => {
    assert.equal(topicSubject('room/1/temp'), 'topicd.m.room.1.temp');
    assert.equal(topicSubject('$aws/things/t/shadow/update'), 'topicd.m.$aws.things.t.shadow.update');
  });

  it('bus subjects - dots, wildcard characters, spaces, the escape, empty levels and UTF-8 are escaped, so no two topics share a subject', () => {
    assert.equal(topicSubject('a.b/c'), 'topicd.m.a~2eb.c');
    assert.equal(topicSubject('a/*/>'), 'topicd.m.a.~2a.~3e');
    assert.equal(topicSubject('x y/~'), 'topicd.m.x~20y.~7e');
    assert.equal(topicSubject('/a//b/'), 'topicd.m.~.a.~.b.~');
    assert.equal(topicSubject('é'), 'topicd.m.~c3~a9');
    const topics = ['a.b', 'a/b', 'a~2eb', 'a//b', 'a/~/b', '', '/'];
    assert.equal(new Set(topics.map(topicSubject)).size, topics.length);
  });

  it('bus subjects - + is *, # is > and also its parent; a filter escapes as its topics do', () => {
    assert.deepEqual(filterSubjects('room/+/temp'), ['topicd.m.room.*.temp']);
    assert.deepEqual(filterSubjects('room/#'), ['topicd.m.room.>', 'topicd.m.room']);
    assert.deepEqual(filterSubjects('#'), ['topicd.m.>']);
    assert.deepEqual(filterSubjects('a.b/+'), ['topicd.m.a~2eb.*']);
  });

  it('bus subjects - a topic too long for a subject goes where every node hears; a filter that long declares none', () => {
    const long = 'x'.repeat(2000);
    assert.equal(topicSubject(long), ALL_SUBJECT);
    assert.deepEqual(filterSubjects(long), []);
  });

  it('bus subjects - a client id\'s claim subject is one token', () => {
    assert.equal(claimSubject('dev/1.a'), 'topicd.claim.dev~2f1~2ea');
  });
});
