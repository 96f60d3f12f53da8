/**
 * @module bench/heap
 * `npm run build && node dist/bench/heap.js [--connections N] [--out DIR] [--top N] [--topicd-dir PATH] [--bare]`:
 * what one idle mutual-TLS MQTT connection keeps in topicd's JavaScript heap. Starts topicd with
 * `--heapsnapshot-signal=SIGUSR2` (node writes a snapshot on the signal; nothing in src/ knows), takes
 * a snapshot, opens N idle connections as the bench's (f) scenario does (TLS handshake, CONNECT,
 * CONNACK, then nothing), takes another, and prints the difference per connection by object kind
 * (constructor or closure name). The OpenSSL state of a TLS connection lives outside the JS heap; the
 * RSS line says how much that is (RSS growth minus heap growth per connection).
 *
 * `--bare`: the floor node itself sets: the bench's bare node https server (the same mutual TLS,
 * no MQTT, no topicd) with N idle TLS connections, RSS growth per connection only.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loopbackAddress } from './https-wire.js';
import { clientId, SocketPool } from './kit.js';
import { connect as tlsConnect } from 'node:tls';
import { makePeerCerts } from './certs.js';
import { processRssBytes, sleep } from './measure.js';
import { WireClient } from './mqtt-wire.js';
import { mqttTarget } from './scenarios-mqtt.js';
import { killAllChildren, provisionTopicd, snapshotBuild, startBareHttps, startTopicd, type RunningSystem } from './systems.js';

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size and count per object kind (`type name`), summed over the snapshot. */
export function sizesByKind(snapshot: HeapSnapshot): Map<string, { count: number; bytes: number }> {
  const fields = snapshot.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = snapshot.snapshot.meta.node_types[0];
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt]!] ?? '?';
    const rawName = snapshot.strings[snapshot.nodes[i + nameAt]!] ?? '?';
    // strings and code are many small distinct names: one row each kind
    const name = type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'code' || type === 'number' ? '' : rawName.slice(0, 60);
    const key = `${type} ${name}`.trim();
    const row = out.get(key) ?? { count: 0, bytes: 0 };
    row.count++;
    row.bytes += snapshot.nodes[i + sizeAt]!;
    out.set(key, row);
  }
  return out;
}

async function snapshotOf(pid: number, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  // node writes the file while the process is stopped; done when its size stops changing
  let last = -1;
  for (;;) {
    await sleep(500);
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (file === undefined) continue;
    const size = statSync(join(dir, file)).size;
    if (size > 0 && size === last) return join(dir, file);
    last = size;
  }
}

/** Opens `count` TLS connections to the bare server, 100 at a time, and leaves them idle. */
async function openBare(system: RunningSystem, count: number, pool: SocketPool): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      // localAddress spreads the connections over loopback addresses, as the (f) scenario does
      const local = { localAddress: loopbackAddress(i) };
      await new Promise<void>((resolveOpen, reject) => {
        const socket = tlsConnect({
          host: '127.0.0.1', port: system.https!, servername: system.servername, secureContext: system.secureContext,
          rejectUnauthorized: false, ...local,
        }, () => resolveOpen());
        socket.once('error', reject);
        pool.add(socket);
      });
    }
  };
  await Promise.all(Array.from({ length: 100 }, () => worker()));
}

async function bareFloor(count: number, work: string, pool: SocketPool): Promise<void> {
  mkdirSync(join(work, 'certs'));
  const system = await startBareHttps(0, makePeerCerts(join(work, 'certs'), 'ec-p256'));
  await sleep(1_000);
  const rssBefore = processRssBytes(system.pid) ?? NaN;
  await openBare(system, count, pool);
  await sleep(2_000);
  const rss = ((processRssBytes(system.pid) ?? NaN) - rssBefore) / count;
  process.stdout.write(`bare node https server (mutual TLS, no MQTT): ${count} idle TLS connections (${pool.size} alive): RSS +${(rss / 1024).toFixed(1)} KiB/conn\n`);
  await system.stop();
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let count = 2_000;
  let out = resolve('bench-heap');
  let top = 30;
  let topicdDir: string | undefined;
  let bare = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--bare') bare = true;
    else if (arg === '--connections') count = Number(argv[++i]);
    else if (arg === '--out') out = resolve(argv[++i] ?? '.');
    else if (arg === '--top') top = Number(argv[++i]);
    else if (arg === '--topicd-dir') topicdDir = resolve(argv[++i] ?? '.');
    else throw new Error(`unknown argument ${arg}`);
  }
  execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  const work = mkdtempSync(join(tmpdir(), 'topicd-heap-'));
  const pool = new SocketPool();
  process.on('exit', () => {
    pool.closeAll();
    killAllChildren();
    rmSync(work, { recursive: true, force: true });
  });
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  snapshotBuild(join(work, 'app'), topicdDir);
  if (bare) return bareFloor(count, work, pool);
  const device = await provisionTopicd(0, join(work, 'topicd-data'));
  const system = await startTopicd(0, device, ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${out}`]);
  const target = mqttTarget(system, 'mtls');
  if (target === undefined) throw new Error('topicd serves no MQTT over TLS');
  await sleep(1_000);
  const firstFile = await snapshotOf(system.pid, out);
  const rssBefore = processRssBytes(system.pid) ?? NaN;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const client = await WireClient.connect(target, { clientId: clientId('heap'), keepalive: 1_200, localAddress: loopbackAddress(i) });
      pool.add(client.socket);
    }
  };
  await Promise.all(Array.from({ length: 100 }, () => worker()));
  await sleep(2_000);
  const rssAfter = processRssBytes(system.pid) ?? NaN;
  const secondFile = await snapshotOf(system.pid, out);
  const a = sizesByKind(JSON.parse(readFileSync(firstFile, 'utf8')) as HeapSnapshot);
  const b = sizesByKind(JSON.parse(readFileSync(secondFile, 'utf8')) as HeapSnapshot);
  const rows: Array<[string, number, number]> = [];
  let heap = 0;
  for (const [key, after] of b) {
    const before = a.get(key) ?? { count: 0, bytes: 0 };
    const bytes = (after.bytes - before.bytes) / count;
    heap += bytes;
    rows.push([key, (after.count - before.count) / count, bytes]);
  }
  rows.sort((x, y) => y[2] - x[2]);
  const rss = (rssAfter - rssBefore) / count;
  const lines = [
    `${count} idle mTLS MQTT connections (${pool.size} alive): RSS +${(rss / 1024).toFixed(1)} KiB/conn, JS heap (live objects) +${(heap / 1024).toFixed(1)} KiB/conn, outside the heap ~${((rss - heap) / 1024).toFixed(1)} KiB/conn`,
    'per connection: objects, bytes (self size), kind',
    ...rows.slice(0, top).map(([key, n, bytes]) => `${n.toFixed(2).padStart(7)} ${bytes.toFixed(0).padStart(7)} B  ${key}`),
  ];
  writeFileSync(join(out, 'heap.txt'), `${lines.join('\n')}\n`);
  process.stdout.write(`${lines.join('\n')}\n`);
  await system.stop();
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`heap: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
