/**
 * @module test/fuzz/harness
 * Runs the fuzzers against a real topicd started in this process (real TLS, a real device
 * certificate), once per profile, and collects what must never happen: an unexpected error (topicd's
 * `topicd:unexpected-error` diagnostics channel), an internal-failure answer, a well-behaved
 * subscriber disconnected, heap growth past the bound, a well-behaved client no longer served
 * afterwards. A crash fails the run by itself. Used by fuzz.test.ts (bounded, in `npm test`) and
 * run.ts (`npm run fuzz -- --seconds N`).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createSecureContext } from 'node:tls';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MqttClient } from 'mqtt';
import { UNEXPECTED_ERROR_CHANNEL } from '../../src/observe/error-log.js';
import { collect, connectMqtt, createDevice, endClient, httpsPost, startTestTopicd, type Device, type TestTopicd } from '../helpers/topicd.js';
import { fuzzHttpsConnection, type HttpsFuzzFailure, type HttpsFuzzStats } from './https-fuzz.js';
import { fuzzConnection, type MqttFuzzFailure, type MqttFuzzStats } from './mqtt-fuzz.js';
import { Random } from './random.js';

/** Heap growth allowed over a fuzz run, measured after GC from a baseline taken after a warm-up. */
export const HEAP_GROWTH_BOUND_BYTES = 32 * 1024 * 1024;
const WORKERS = 8;
const MAX_FAILURES_KEPT = 20;

export interface FuzzOptions {
  seed: number;
  /** Time of MQTT fuzzing, split over the two profiles. */
  mqttMs: number;
  httpsMs: number;
  log?: (line: string) => void;
}

export interface FuzzReport {
  seed: number;
  mqtt: Record<string, MqttFuzzStats>;
  https: HttpsFuzzStats;
  /** Heap growth after GC per profile's topicd, in bytes. */
  heapGrowth: Record<string, number>;
  failures: string[];
}

function exposeGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

async function heapAfterGc(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

/** Runs `one` from WORKERS loops until `ms` have passed; each loop has its own seeded source. */
async function loops(seed: number, salt: number, ms: number, one: (rng: Random) => Promise<void>): Promise<void> {
  const deadline = Date.now() + ms;
  await Promise.all(Array.from({ length: WORKERS }, async (_, i) => {
    const rng = new Random((seed ^ Math.imul(salt * WORKERS + i + 1, 0x9e3779b1)) >>> 0);
    while (Date.now() < deadline) await one(rng);
  }));
}

/** Subscribers that receive whatever topicd routes; each must stay connected through the run. */
async function observers(topicd: TestTopicd, device: Device, failures: string[]): Promise<MqttClient[]> {
  const clients: MqttClient[] = [];
  for (const protocolVersion of [4, 5] as const) {
    const client = await connectMqtt(topicd, device, { protocolVersion, clientId: `observer-${protocolVersion}` });
    await client.subscribeAsync('fuzz/#', { qos: 1 });
    client.on('close', () => failures.push(`the well-behaved v${protocolVersion} subscriber was disconnected`));
    clients.push(client);
  }
  return clients;
}

/** After the fuzz: a new client publishes by MQTT and by HTTPS, and a subscriber receives both. */
async function stillServes(topicd: TestTopicd, device: Device, failures: string[]): Promise<void> {
  try {
    const subscriber = await connectMqtt(topicd, device, { protocolVersion: 5, clientId: 'after-sub' });
    await subscriber.subscribeAsync('after/#', { qos: 1 });
    const received = collect(subscriber);
    const publisher = await connectMqtt(topicd, device, { protocolVersion: 4, clientId: 'after-pub' });
    await publisher.publishAsync('after/mqtt', 'm', { qos: 1 });
    const reply = await httpsPost(topicd, device, '/topics/after/https?qos=1', 'h');
    if (reply.status !== 200) failures.push(`HTTPS publish after the fuzz answered ${reply.status}`);
    await received.waitFor(2, 5_000);
    await endClient(publisher);
    await endClient(subscriber);
  } catch (err) {
    failures.push(`a well-behaved client is no longer served after the fuzz: ${(err as Error).message}`);
  }
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const { seed, log = () => undefined } = options;
  const gc = exposeGc();
  const report: FuzzReport = {
    seed, mqtt: {}, heapGrowth: {}, failures: [],
    https: { connections: 0, requests: 0, mutated: 0, statuses: {} },
  };
  const unexpected = (message: unknown): void => {
    const { err, context } = message as { err: unknown; context: string };
    report.failures.push(`unexpected error (${context}): ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  };
  subscribe(UNEXPECTED_ERROR_CHANNEL, unexpected);
  const mqttFailures: MqttFuzzFailure[] = [];
  const httpsFailures: HttpsFuzzFailure[] = [];
  try {
    for (const [salt, profile] of (['aws', 'mqtt'] as const).entries()) {
      const topicd = await startTestTopicd({ profile });
      try {
        const device = await createDevice(topicd, 'fuzz-device');
        const secureContext = createSecureContext({ ca: device.ca, cert: device.cert, key: device.key });
        const target = { port: topicd.running.ports.mqtt, secureContext };
        const clients = await observers(topicd, device, report.failures);
        const stats: MqttFuzzStats = { connections: 0, frames: 0, mutated: 0, closes: {} };
        report.mqtt[profile] = stats;
        const mqttMs = options.mqttMs / 2;
        // A warm-up first, so the baseline holds what is made once (compiled code, caches).
        await loops(seed, salt * 10 + 1, Math.min(1_000, mqttMs / 5), (rng) => fuzzConnection(rng, target, stats, mqttFailures));
        const baseline = await heapAfterGc(gc);
        await loops(seed, salt * 10 + 2, mqttMs, (rng) => fuzzConnection(rng, target, stats, mqttFailures));
        if (profile === 'aws') {
          const https = { port: topicd.running.ports.https, secureContext };
          await loops(seed, salt * 10 + 3, options.httpsMs, (rng) => fuzzHttpsConnection(rng, https, report.https, httpsFailures));
        }
        await new Promise((resolve) => setTimeout(resolve, 300));
        report.heapGrowth[profile] = (await heapAfterGc(gc)) - baseline;
        await stillServes(topicd, device, report.failures);
        for (const client of clients) client.removeAllListeners('close');
        await Promise.all(clients.map((client) => endClient(client)));
        log(`profile ${profile}: mqtt ${JSON.stringify(stats)}, heap growth ${(report.heapGrowth[profile]! / 1048576).toFixed(1)} MiB`);
      } finally {
        await topicd.stop();
      }
    }
  } finally {
    unsubscribe(UNEXPECTED_ERROR_CHANNEL, unexpected);
  }
  for (const f of mqttFailures.slice(0, MAX_FAILURES_KEPT)) report.failures.push(`mqtt: ${f.what}; input ${f.input}`);
  for (const f of httpsFailures.slice(0, MAX_FAILURES_KEPT)) report.failures.push(`https: ${f.what}; input ${f.input}`);
  for (const [profile, growth] of Object.entries(report.heapGrowth)) {
    if (growth > HEAP_GROWTH_BOUND_BYTES) report.failures.push(`profile ${profile}: heap grew ${(growth / 1048576).toFixed(1)} MiB after GC (bound ${HEAP_GROWTH_BOUND_BYTES / 1048576} MiB)`);
  }
  log(`https ${JSON.stringify(report.https)}`);
  return report;
}
