/**
 * @module test/fuzz/run
 * `npm run fuzz -- --seconds N [--seed S]`: the fuzzers of `npm test` for longer (60 % of the time
 * MQTT, 40 % HTTPS). Prints the report as JSON; exits 1 when anything failed.
 */
import { runFuzz } from './harness.js';
import { fuzzSeed } from './random.js';

function argument(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

const seconds = Number(argument('seconds') ?? '60');
if (!Number.isFinite(seconds) || seconds <= 0) {
  console.error('usage: npm run fuzz -- --seconds N [--seed S]');
  process.exit(2);
}
const seed = fuzzSeed(argument('seed'));
console.error(`fuzz: seed ${seed}, ${seconds} s`);
const report = await runFuzz({ seed, mqttMs: seconds * 600, httpsMs: seconds * 400, log: (line) => console.error(line) });
console.log(JSON.stringify(report, null, 2));
if (report.failures.length > 0) {
  console.error(`fuzz: ${report.failures.length} failure(s); replay with --seed ${seed}`);
  process.exit(1);
}
