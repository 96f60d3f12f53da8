import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { rateLimitedErrorLog } from '../../src/observe/error-log.js';

/** A real pino logger whose JSON lines are kept in memory. */
function memoryLog(): { lines: Array<Record<string, unknown>>; log: pino.Logger } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, log: pino({ level: 'info' }, sink) };
}

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('error log', () => {
  it('error log - an error path hit 10,000 times logs at most perWindow lines per kind, then one line counting the rest', async () => {
    const { lines, log } = memoryLog();
    const report = rateLimitedErrorLog(log, { perWindow: 5, windowMs: 1_000 });
    for (let i = 0; i < 10_000; i++) report(new RangeError(`boom ${i}`), 'mqtt publish');
    for (let i = 0; i < 3; i++) report(new Error('other'), 'https publish');
    await settle(20);
    assert.equal(lines.filter((l) => l.msg === 'unexpected error' && l.context === 'mqtt publish').length, 5, 'perWindow lines of the flooding kind');
    assert.equal(lines.filter((l) => l.context === 'https publish').length, 3, 'another kind keeps its own budget');
    assert.equal(lines.length, 8, 'nothing else yet');
    await settle(1_100);
    const counted = lines.filter((l) => l.msg === 'unexpected errors suppressed');
    assert.deepEqual(counted.map((l) => [l.context, l.suppressed]), [['mqtt publish', 9_995]]);
    // A new window: the kind may log again.
    report(new Error('later'), 'mqtt publish');
    await settle(20);
    assert.equal(lines.filter((l) => l.msg === 'unexpected error' && l.context === 'mqtt publish').length, 6);
  });

  it('error log - kinds past maxKinds share one budget, so the bound holds for any context a caller names', async () => {
    const { lines, log } = memoryLog();
    const report = rateLimitedErrorLog(log, { perWindow: 2, windowMs: 500, maxKinds: 3 });
    for (let i = 0; i < 1_000; i++) report(new Error('x'), `kind ${i}`);
    await settle(20);
    // 3 kinds of their own (2 lines each at most, 1 used) and the shared bucket (2 lines)
    assert.equal(lines.length, 3 + 2);
    await settle(600);
    assert.deepEqual(lines.filter((l) => l.msg === 'unexpected errors suppressed').map((l) => [l.context, l.suppressed]), [['other', 995]]);
  });
});
