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
    assert.ok((report.mqtt.aws?.connections ?? 0) > 50 && report.https.requests > 50, `fuzz seed ${seed}: the fuzzers ran (${JSON.stringify(report)})`);
  });
});
