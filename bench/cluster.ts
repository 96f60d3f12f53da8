/**
 * @module bench/cluster
 * The cluster section of the bench (issue 12), bounded (about a minute): topicd nodes as `topicd
 * start` child processes on the plain-TCP MQTT listener, a nats-server and a PostgreSQL schema of
 * the bench's own (dropped at the end), and this process as the load generator.
 *
 *   fan-in QoS 0: 8 publishers on node 1 to 1 subscriber (`bench/#`) on node 2, against the same on one node
 *   fan-out QoS 0: 1 publisher on node 1 to 50 subscribers on node 2, against one node
 *   fan-in QoS 1: one node on PostgreSQL + NATS against the embedded node (SQLite, in-process bus)
 *
 * Goals: 2 nodes at least 1.7x one node's fan-in; PostgreSQL + NATS at least 0.5x the embedded QoS 1
 * fan-in. Run: `npm run build && node dist/bench/cluster.js` (also the end of `npm run bench`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { publishFrame, pubackFrame, publishPacketId, TYPE_PUBACK, TYPE_PUBLISH, WireClient } from './mqtt-wire.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const PG_URL = process.env['TOPICD_BENCH_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const NATS_SERVER = '/usr/sbin/nats-server';
const WARM_MS = 1000;
const WINDOW_MS = 2000;
const WINDOWS = 3;
const AHEAD = 2000;
const PUBLISHERS = 8;
const FAN_OUT_SUBSCRIBERS = 50;
const QOS1_WINDOW = 20;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Node { port: number; dataDir: string; child: ChildProcess }

async function startNode(extra: string[], caFrom?: string): Promise<Node> {
  const dataDir = mkdtempSync(join(tmpdir(), 'topicd-bench-cluster-'));
  if (caFrom !== undefined) for (const f of ['root-CA.pem', 'root-CA.key']) copyFileSync(join(caFrom, f), join(dataDir, f));
  const child = spawn(process.execPath, [CLI, 'start', '--data-dir', dataDir, '--https-port', '0', '--mqtt-port', '0', '--alpn-port', '0',
    '--control-port', '0', '--mqtt-plain-port', '0', '--log-level', 'error', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('topicd is ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`topicd exited (${code}) before it was ready`)));
  });
  const runtime = JSON.parse(readFileSync(join(dataDir, 'runtime.json'), 'utf8')) as { mqttPlainPort: number };
  return { port: runtime.mqttPlainPort, dataDir, child };
}

function stopNode(node: Node): void {
  node.child.kill('SIGKILL');
  rmSync(node.dataDir, { recursive: true, force: true });
}

/** Messages per second a counter grows by, median of WINDOWS windows after a warm-up. */
async function rate(count: () => number): Promise<number> {
  await sleep(WARM_MS);
  const runs: number[] = [];
  for (let i = 0; i < WINDOWS; i++) {
    const before = count();
    const started = Date.now();
    await sleep(WINDOW_MS);
    runs.push(((count() - before) * 1000) / (Date.now() - started));
  }
  return median(runs);
}

let ids = 0;
const client = (port: number): Promise<WireClient> => WireClient.connect({ port }, { clientId: `bench-${process.pid}-${++ids}` });

/** Publishers on `pubPort`, `subscribers` on `subPort` (on `bench/#`); the rate counts deliveries. */
async function fan(pubPort: number, subPort: number, publishers: number, subscribers: number, qos: 0 | 1): Promise<number> {
  let received = 0;
  const subs = await Promise.all(Array.from({ length: subscribers }, () => client(subPort)));
  for (const s of subs) {
    s.onFrame = (type, flags, buf, bodyStart) => {
      if (type !== TYPE_PUBLISH) return;
      received++;
      if ((flags & 6) !== 0) s.socket.write(pubackFrame(publishPacketId(buf, bodyStart)));
    };
    await s.subscribe('bench/#', qos);
  }
  await sleep(300);
  const pubs = await Promise.all(Array.from({ length: publishers }, () => client(pubPort)));
  let sent = 0;
  let running = true;
  const payload = Buffer.alloc(64, 1);
  if (qos === 0) {
    const frames = pubs.map((_, i) => publishFrame(`bench/in/${i}`, payload, 0));
    const pump = (): void => {
      while (running && sent - received / subscribers < AHEAD) {
        for (let i = 0; i < pubs.length; i++) pubs[i]!.socket.write(frames[i]!);
        sent += pubs.length;
      }
      if (running) setTimeout(pump, 1);
    };
    pump();
  } else {
    pubs.forEach((p, i) => {
      let id = 0;
      const next = (): void => {
        if (!running) return;
        id = id === 0xffff ? 1 : id + 1;
        p.socket.write(publishFrame(`bench/in/${i}`, payload, 1, id));
      };
      p.onFrame = (type) => {
        if (type === TYPE_PUBACK) next();
      };
      for (let k = 0; k < QOS1_WINDOW; k++) next();
    });
  }
  const result = await rate(() => received);
  running = false;
  for (const c of [...pubs, ...subs]) c.socket.destroy();
  return result;
}

async function main(): Promise<void> {
  const natsPort = await freePort();
  const nats = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(natsPort)], { stdio: 'ignore' });
  const schema = `bench_cluster_${process.pid}`;
  const store = `${PG_URL}?schema=${schema}`;
  const cluster = (id: string): string[] => ['--store', store, '--bus', `nats://127.0.0.1:${natsPort}`, '--node-id', id];
  const lines: string[] = [];
  const row = (what: string, value: number, against: number | undefined, goal?: number): void => {
    const ratio = against === undefined ? '' : `${(value / against).toFixed(2)}x`;
    const verdict = goal === undefined || against === undefined ? '' : value / against >= goal ? `goal ${goal}x: met` : `goal ${goal}x: missed`;
    lines.push(`| ${what} | ${Math.round(value).toLocaleString('en-US')} | ${ratio} | ${verdict} |`);
  };
  try {
    await sleep(300);
    const one = await startNode([]);
    const inOne = await fan(one.port, one.port, PUBLISHERS, 1, 0);
    const outOne = await fan(one.port, one.port, 1, FAN_OUT_SUBSCRIBERS, 0);
    const q1Embedded = await fan(one.port, one.port, PUBLISHERS, 1, 1);
    stopNode(one);
    const a = await startNode(cluster('bench-1'));
    const q1Cluster = await fan(a.port, a.port, PUBLISHERS, 1, 1);
    const b = await startNode(cluster('bench-2'), a.dataDir);
    await sleep(500);
    const inTwo = await fan(a.port, b.port, PUBLISHERS, 1, 0);
    const outTwo = await fan(a.port, b.port, 1, FAN_OUT_SUBSCRIBERS, 0);
    stopNode(a);
    stopNode(b);
    row('fan-in QoS 0, 1 node (embedded), msg/s', inOne, undefined);
    row('fan-in QoS 0, 2 nodes (8 publishers on node 1, subscriber on node 2), msg/s', inTwo, inOne, 1.7);
    row('fan-out QoS 0 to 50, 1 node (embedded), deliveries/s', outOne, undefined);
    row('fan-out QoS 0 to 50, 2 nodes (publisher on node 1, subscribers on node 2), deliveries/s', outTwo, outOne);
    row('fan-in QoS 1, 1 node embedded (SQLite, in-process bus), msg/s', q1Embedded, undefined);
    row('fan-in QoS 1, 1 node on PostgreSQL + NATS, msg/s', q1Cluster, q1Embedded, 0.5);
  } finally {
    nats.kill('SIGKILL');
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
  process.stdout.write(`\n## cluster (issue 12)\n\n| row | rate | ratio | goal |\n|---|---:|---:|---|\n${lines.join('\n')}\n`);
}

await main();
