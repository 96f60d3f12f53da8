/**
 * @module test/unit/denial-log.test
 * observe/denial-log through a real pino logger writing to memory, with a test clock: the fields of
 * a denial's line, at most one line a minute per (principal, action, resource) with the held-back
 * count, and a bounded memory of keys.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import type { Denial } from '../../src/auth/policy-authorizer.js';
import { decidingStatement, denialLogger, type DenialLogOptions } from '../../src/observe/denial-log.js';

const RESOURCE = 'arn:aws:iot:us-east-1:123456789012:topic/closed/a';

const denial = (over: Partial<Denial> = {}): Denial => ({
  principalKind: 'certificate', principal: 'c'.repeat(64), clientId: 'dev', sourceIp: '127.0.0.1',
  action: 'iot:Publish', resource: RESOURCE, reason: 'implicit-deny', policies: ['dev-policy'], ...over,
});

function setup(options: DenialLogOptions = {}): { lines: Array<Record<string, unknown>>; clock: { t: number }; log: (d: Denial) => void } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const clock = { t: 1_000_000 };
  const logger = pino({ level: 'info', base: { service: 'topicd' } }, sink);
  return { lines, clock, log: denialLogger(logger, { now: () => clock.t, ...options }) };
}

/** pino hands lines to the stream as it writes; let the stream take them before reading. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('denial log', () => {
  test('denial log - one warn line with the stable fields and a message naming what decided', async () => {
    const { lines, log } = setup();
    log(denial());
    await settle();
    assert.equal(lines.length, 1);
    const { time: _time, ...line } = lines[0] ?? {};
    assert.deepEqual(line, {
      level: 40, service: 'topicd', event: 'authz.denied',
      principalKind: 'certificate', principal: 'c'.repeat(64), clientId: 'dev', sourceIp: '127.0.0.1',
      action: 'iot:Publish', resource: RESOURCE, reason: 'implicit-deny', statement: 'no statement allows it',
      policies: ['dev-policy'], count: 1,
      msg: `denied iot:Publish on ${RESOURCE}: no statement allows it (\`topicd policy test\` shows the decision)`,
    });
  });

  test('denial log - an explicit deny gives policy, statementIndex and sid', async () => {
    const { lines, log } = setup();
    log(denial({ reason: 'explicit-deny', decidedBy: { policyName: 'p', statementIndex: 2, sid: 'NoSecrets', effect: 'Deny' } }));
    await settle();
    assert.equal(lines[0]?.statement, 'Deny by policy p, statement 2 (Sid NoSecrets)');
    assert.deepEqual([lines[0]?.policy, lines[0]?.statementIndex, lines[0]?.sid], ['p', 2, 'NoSecrets']);
  });

  test('denial log - at most one line a minute per (principal, action, resource); the next one counts those held back', async () => {
    const { lines, clock, log } = setup();
    log(denial());
    for (let i = 0; i < 5; i++) {
      clock.t += 10_000;
      log(denial());
    }
    // Another resource, action or principal is its own key.
    log(denial({ resource: `${RESOURCE}/other` }));
    log(denial({ action: 'iot:RetainPublish' }));
    log(denial({ principal: 'd'.repeat(64) }));
    await settle();
    assert.equal(lines.length, 4);
    clock.t += 10_000; // 60 s after the first line
    log(denial());
    await settle();
    assert.equal(lines.length, 5);
    assert.equal(lines[4]?.count, 6, 'itself and the five held back');
    assert.equal(lines[4]?.resource, RESOURCE);
  });

  test('denial log - the memory of keys is bounded: full of recent keys, it starts over', async () => {
    const { lines, clock, log } = setup({ maxKeys: 2 });
    log(denial({ resource: 'a' }));
    log(denial({ resource: 'b' }));
    log(denial({ resource: 'a' }));
    await settle();
    assert.equal(lines.length, 2, 'a is remembered');
    clock.t += 1;
    log(denial({ resource: 'c' })); // full, all recent: forgotten
    log(denial({ resource: 'a' }));
    await settle();
    assert.deepEqual(lines.map((l) => l.resource), ['a', 'b', 'c', 'a']);
  });

  test('denial log - each reason in words', () => {
    assert.match(decidingStatement(denial({ policies: [] })), /no policy is attached/);
    assert.equal(decidingStatement(denial({ reason: 'principal-inactive' })), 'the certificate is not ACTIVE');
    assert.equal(decidingStatement(denial({ reason: 'principal-inactive', principalKind: 'access-key' })), 'the access key no longer exists');
  });
});
