/**
 * @module bench/profile
 * `npm run build && node dist/bench/profile.js <cell>...`: one bench cell at a time against a topicd
 * started with `node --cpu-prof` (pinned to CPU 0, the generator to CPU 1, as in `npm run bench`),
 * then topicd's top functions by self time, from the profile node writes when topicd exits. The
 * speed round's findings in docs/benchmarks.md come from here; the .cpuprofile files open in Chrome
 * DevTools (Performance) or speedscope for the call trees.
 *
 *   node dist/bench/profile.js fan-in-qos1 fan-out https-keepalive https-oneshot [--out DIR] [--top N] [--topicd-dir PATH]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { FULL, type CellResult } from './kit.js';
import { httpsKeepalive, httpsOneShot } from './scenarios-https.js';
import { fanIn, fanOut } from './scenarios-mqtt.js';
import { killAllChildren, provisionTopicd, snapshotBuild, startTopicd, type RunningSystem } from './systems.js';

const CELLS: Record<string, (system: RunningSystem) => Promise<CellResult[]>> = {
  'https-keepalive': (s) => httpsKeepalive(FULL, s),
  'https-oneshot': (s) => httpsOneShot(FULL, s, false),
  'fan-in-qos0': (s) => fanIn(FULL, s, 'mtls', 0),
  'fan-in-qos1': (s) => fanIn(FULL, s, 'mtls', 1),
  'fan-out': (s) => fanOut(FULL, s, 'mtls'),
};

const USAGE = `usage: node dist/bench/profile.js <${Object.keys(CELLS).join('|')}>... [--out DIR] [--top N] [--topicd-dir PATH]`;

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function (name, file, line), as percent of all samples and of the busy (non-idle) ones. */
export function topSelfTime(profile: CpuProfile, top: number): string[] {
  const keyOf = new Map<number, string>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url === '' ? '' : ` ${url.includes('/node_modules/') ? url.slice(url.lastIndexOf('/node_modules/') + 14) : url.includes('/dist/') ? url.slice(url.lastIndexOf('/dist/') + 6) : basename(url)}:${lineNumber + 1}`;
    keyOf.set(node.id, `${functionName || '(anonymous)'}${file}`);
  }
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const key = keyOf.get(id) ?? '?';
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  const idle = self.get('(idle)') ?? 0;
  const busy = Math.max(1, total - idle);
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [
    `${(total / 1e6).toFixed(1)} s sampled, idle ${(idle / total * 100).toFixed(1)}%; self time, % of all | % of busy:`,
    ...rows.map(([key, us]) => `${(us / total * 100).toFixed(1).padStart(5)}% | ${key === '(idle)' ? '    -' : `${(us / busy * 100).toFixed(1).padStart(5)}%`}  ${key}`),
  ];
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const cells: string[] = [];
  let out = resolve('bench-profiles');
  let top = 25;
  let topicdDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--out') out = resolve(argv[++i] ?? '.');
    else if (arg === '--top') top = Number(argv[++i]);
    else if (arg === '--topicd-dir') topicdDir = resolve(argv[++i] ?? '.');
    else if (CELLS[arg] !== undefined) cells.push(arg);
    else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  if (cells.length === 0) throw new Error(USAGE);
  // The generator on CPU 1 (every thread of it), topicd on CPU 0, as in npm run bench.
  execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  const work = mkdtempSync(join(tmpdir(), 'topicd-profile-'));
  process.on('exit', () => {
    killAllChildren();
    rmSync(work, { recursive: true, force: true });
  });
  snapshotBuild(join(work, 'app'), topicdDir);
  const device = await provisionTopicd(0, join(work, 'topicd-data'));
  for (const cell of cells) {
    const dir = join(out, cell);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const system = await startTopicd(0, device, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    let results: CellResult[];
    try {
      results = await CELLS[cell]!(system);
    } finally {
      // topicd exits cleanly on SIGTERM, and node writes the profile on the way out.
      await system.stop();
    }
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    const lines = [
      `${cell}: ${results.map((r) => `${r.variant} ${Math.round(r.value).toLocaleString('en-US')} ${r.unit}`).join(', ')} (with the profiler on)`,
      ...(file === undefined ? ['no .cpuprofile was written'] : topSelfTime(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, top)),
    ];
    writeFileSync(join(dir, 'top.txt'), `${lines.join('\n')}\n`);
    process.stdout.write(`${lines.join('\n')}\n\n`);
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`profile: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
