/**
 * Fuzz (issue 10, "Keep it true"): the MQTT decoder (mutated frames of both protocol versions, both
 * profiles) and the HTTPS publish parser, against a real topicd, bounded to about 25 s. Seeded: a
 * failure prints its seed, and `FUZZ_SEED=<seed> node --test dist/test/fuzz/fuzz.test.js` replays it
 * (`npm run fuzz -- --seconds N` runs longer; docs/testing.md).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFuzz } from './harness.js';
import { fuzzSeed } from './random.js';

describe('fuzz', () => {
  it('fuzz - MQTT decoder and HTTPS publish parser: no crash, no internal error, bounded heap, clients still served', async (t) => {
    const seed = fuzzSeed();
    t.diagnostic(`seed ${seed}`);
    const report = await runFuzz({ seed, mqttMs: 8_000, httpsMs: 5_000, log: (line) => t.diagnostic(line) });
    assert.deepEqual(report.failures, [], `fuzz seed ${seed}: replay with FUZZ_SEED=${seed}`);
    // The fuzzers reached topicd: answers came back (a loaded machine slows them, it must not void them).
    for (const profile of ['aws', 'mqtt']) {
      const closes = report.mqtt[profile]?.closes ?? {};
      const answered = Object.entries(closes).filter(([how]) => how !== 'open' && how !== 'unchecked').reduce((n, [, count]) => n + count, 0);
      assert.ok(answered >= 20, `fuzz seed ${seed}: profile ${profile} got ${answered} MQTT answers (${JSON.stringify(closes)})`);
    }
    const statuses = Object.values(report.https.statuses).reduce((n, count) => n + count, 0);
    assert.ok(statuses >= 20, `fuzz seed ${seed}: ${statuses} HTTPS answers (${JSON.stringify(report.https)})`);
  });
});
