/**
 * @module bench/run
 * `npm run bench`: topicd side by side with Mosquitto, Aedes, a bare node HTTPS server and nginx, in one
 * run, on loopback. It re-runs itself pinned to CPU 1 (the load generator) with a raised open-files
 * limit, starts each server fresh on CPU 0 for each scenario, prints a line per step, and writes
 * docs/benchmarks.md (between its markers) and bench/results/<date>.json + latest.json.
 *
 *   npm run bench                     # full: under 10 minutes
 *   npm run bench -- --quick          # under 2 minutes
 *   npm run bench -- --only fan-in    # one scenario (or a,b,...); results/<date>-partial.json only
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makePeerCerts, type PeerCerts } from './certs.js';
import { FULL, QUICK, type Budget, type CellResult, type ScenarioId, type SystemId } from './kit.js';
import { evaluateGoals, bound, fmt, ratioOf, renderFromJson, writeDoc, writeJson, type RunInfo } from './report.js';
import { httpsKeepalive, httpsLatency, httpsOneShot } from './scenarios-https.js';
import { flood } from './scenarios-flood.js';
import { isolation } from './scenarios-isolation.js';
import { fanIn, fanOut, idleConnections, mqttLatency, offlineDrain } from './scenarios-mqtt.js';
import { nginxBinary, nginxVersion, startNginx } from './nginx.js';
import {
  MOSQUITTO, OPEN_FILES, ROOT, killAllChildren, mosquittoVersion, provisionTopicd, snapshotBuild, startAedes, startBareHttps,
  startMosquitto, startTopicd, topicdHasPlainListener, type RunningSystem, type TopicdDevice,
} from './systems.js';

const SERVER_CPU = 0;
const GENERATOR_CPU = 1;
const PINNED_ENV = 'TOPICD_BENCH_PINNED';
const LETTERS: Record<string, ScenarioId> = {
  a: 'https-keepalive', b: 'https-oneshot', c: 'fan-in', d: 'fan-out', e: 'latency', f: 'idle', g: 'offline', h: 'flood', i: 'isolation',
};
const ALL_SCENARIOS = Object.values(LETTERS);
const ALL_SYSTEMS: readonly SystemId[] = ['topicd', 'bare-https', 'nginx', 'mosquitto', 'mosquitto-unlimited', 'aedes'];

interface Args {
  /** Re-render docs/benchmarks.md from this results file instead of running. */
  render: string | undefined;
  quick: boolean;
  only: ScenarioId[] | undefined;
  systems: SystemId[] | undefined;
  /** Another checkout's build to run as topicd (before/after lines); the bench and the peers stay this one's. */
  topicdDir: string | undefined;
}

const USAGE = `usage: npm run bench -- [--quick] [--only <scenario>[,<scenario>...]] [--systems <system>[,...]] [--topicd-dir <checkout>]
       npm run bench -- --render bench/results/<file>.json   (rewrite docs/benchmarks.md from a saved run)
  scenarios: ${Object.entries(LETTERS).map(([l, s]) => `${l}=${s}`).join(', ')}
  systems:   ${ALL_SYSTEMS.join(', ')}
  --topicd-dir: run topicd from another checkout's build (its dist/, package.json, node_modules); results/<date>-partial.json only`;

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { render: undefined, quick: false, only: undefined, systems: undefined, topicdDir: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === '--quick') args.quick = true;
    else if (arg === '--render') args.render = value();
    else if (arg === '--only') {
      args.only = value().split(',').map((name) => {
        const id = LETTERS[name] ?? (ALL_SCENARIOS.includes(name as ScenarioId) ? name as ScenarioId : undefined);
        if (id === undefined) throw new Error(`unknown scenario ${name}\n${USAGE}`);
        return id;
      });
    } else if (arg === '--systems') {
      args.systems = value().split(',').map((name) => {
        if (!ALL_SYSTEMS.includes(name as SystemId)) throw new Error(`unknown system ${name}\n${USAGE}`);
        return name as SystemId;
      });
    } else if (arg === '--topicd-dir') args.topicdDir = resolve(value());
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return args;
}

function has(command: string): boolean {
  try {
    execFileSync('bash', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Re-runs this script under `taskset -c 1` with the open-files limit raised; returns false if it did not. */
function reexecPinned(): boolean {
  if (process.env[PINNED_ENV] !== undefined || cpus().length < 2 || !has('taskset')) return false;
  const script = `ulimit -n ${OPEN_FILES} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec taskset -c ${GENERATOR_CPU} "$@"`;
  const child = spawn('bash', ['-c', script, 'bench', process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [PINNED_ENV]: '1' },
  });
  // Ctrl-C reaches the child through the terminal's process group; it cleans up and exits.
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)));
  return true;
}

function openFilesLimit(): number {
  try {
    return Number(execFileSync('bash', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  } catch {
    return 1024;
  }
}

function versionOf(command: string, args: string[], pattern: RegExp): string {
  try {
    const out = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return pattern.exec(out)?.[1] ?? out.trim();
  } catch {
    return 'not found';
  }
}

/** The commit a checkout is at (`+` when its tree differs from it), for saying which topicd was measured. */
function gitCommit(dir: string): string {
  try {
    const commit = execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty === '' ? commit : `${commit}+`;
  } catch {
    return 'unknown commit';
  }
}

function cpuModel(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    return /model name\s*:\s*(.+)/.exec(info)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
}

// ---- the plan ----

/** One server start and the cells measured against it before it is stopped. */
interface Step {
  scenario: ScenarioId;
  system: SystemId;
  run: (system: RunningSystem) => Promise<CellResult[]>;
}

async function sequence(...cells: Array<() => Promise<CellResult[]>>): Promise<CellResult[]> {
  const out: CellResult[] = [];
  for (const cell of cells) out.push(...await cell());
  return out;
}

function plan(budget: Budget, idleCount: number, idleWhy: string): Step[] {
  const steps: Step[] = [];
  const add = (scenario: ScenarioId, system: SystemId, run: Step['run']): void => {
    steps.push({ scenario, system, run });
  };

  for (const system of ['topicd', 'bare-https'] as const) {
    add('https-keepalive', system, (s) => httpsKeepalive(budget, s));
    add('https-oneshot', system, (s) => sequence(() => httpsOneShot(budget, s, false), () => httpsOneShot(budget, s, true)));
  }
  // The C ceiling of the keep-alive path (issue 9 §4); its one-shot rows would measure the generator's handshakes.
  add('https-keepalive', 'nginx', (s) => httpsKeepalive(budget, s));

  // topicd's plain rows read n/a by themselves where it has no plain listener.
  for (const system of ['topicd', 'mosquitto', 'aedes'] as const) {
    add('fan-in', system, (s) => sequence(
      () => fanIn(budget, s, 'tcp', 0), () => fanIn(budget, s, 'tcp', 1),
      () => fanIn(budget, s, 'mtls', 0), () => fanIn(budget, s, 'mtls', 1),
    ));
  }
  // The inflight and queue limits apply to QoS 1 and 2 only: the QoS 0 rows would repeat the defaults'.
  add('fan-in', 'mosquitto-unlimited', (s) => sequence(() => fanIn(budget, s, 'tcp', 1), () => fanIn(budget, s, 'mtls', 1)));

  for (const system of ['topicd', 'mosquitto', 'aedes'] as const) {
    add('fan-out', system, (s) => sequence(() => fanOut(budget, s, 'tcp'), () => fanOut(budget, s, 'mtls')));
  }

  add('latency', 'topicd', (s) => sequence(() => httpsLatency(budget, s), () => mqttLatency(budget, s)));
  add('latency', 'mosquitto', (s) => mqttLatency(budget, s));
  add('latency', 'aedes', (s) => mqttLatency(budget, s));

  for (const system of ['topicd', 'mosquitto', 'aedes'] as const) add('idle', system, (s) => idleConnections(budget, s, idleCount, idleWhy));

  // topicd is run too: it reports n/a itself if the reconnect finds no session (persistent sessions are landing).
  for (const system of ['topicd', 'mosquitto', 'mosquitto-unlimited', 'aedes'] as const) add('offline', system, (s) => offlineDrain(budget, s, budget.offlineRuns));

  // A fresh server per transport: what one flood leaves queued inside a server must not slow the next.
  for (const system of ['topicd', 'mosquitto', 'mosquitto-unlimited', 'aedes'] as const) {
    for (const transport of ['tcp', 'mtls'] as const) add('flood', system, (s) => flood(budget, s, transport));
  }

  for (const system of ['topicd', 'mosquitto', 'aedes'] as const) add('isolation', system, (s) => isolation(budget, s));
  return steps;
}

// ---- main ----

function clock(t0: number): string {
  const s = Math.round((performance.now() - t0) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function describe(cell: CellResult): string {
  const head = `${cell.transport === 'tcp' ? 'tcp' : 'mtls'} ${cell.variant}`;
  if (cell.status !== 'ok') return `${head}: ${cell.status} ${cell.note ?? ''}`;
  const value = fmt(cell.value, cell.unit);
  const cpu = cell.cpu ? ` (server ${Math.round(cell.cpu.server)}%, gen ${Math.round(cell.cpu.generator)}%, others ${Math.round(cell.cpu.others)}%)` : '';
  const extra = Object.entries(cell.extra).map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : v}`).join(' ');
  const hint = bound(cell);
  return `${head}: ${value} ${cell.unit}${cpu}${extra ? ` ${extra}` : ''}${hint ? ` [${hint}]` : ''}`;
}

/** Resolves false when it handed the run to a pinned copy of itself (which exits for both). */
async function main(): Promise<boolean> {
  const args = parseArgs(process.argv.slice(2));
  if (args.render !== undefined) {
    renderFromJson(args.render, join(ROOT, 'docs/benchmarks.md'));
    process.stdout.write(`wrote docs/benchmarks.md from ${args.render}\n`);
    return true;
  }
  if (reexecPinned()) return false;
  const pinned = process.env[PINNED_ENV] !== undefined;
  const serverCpu = pinned ? SERVER_CPU : undefined;
  const budget = args.quick ? QUICK : FULL;
  const t0 = performance.now();
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const work = mkdtempSync(join(tmpdir(), 'topicd-bench-'));
  const cleanup = (): void => {
    killAllChildren();
    rmSync(work, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  process.on('SIGINT', () => {
    process.stderr.write('\nbench: interrupted, stopping every server it started\n');
    process.exit(130);
  });
  process.on('SIGTERM', () => process.exit(143));

  const log = (line: string): void => {
    process.stdout.write(`[${clock(t0).padStart(5)}] ${line}\n`);
  };
  const notes: string[] = [];
  if (!pinned) notes.push('NOT pinned: fewer than 2 CPUs or no taskset; servers and generator shared the CPUs.');
  const nginx = nginxBinary();
  if (nginx === undefined) notes.push('nginx is not installed (Debian: apt-get install nginx-light): its HTTPS keep-alive ceiling was skipped.');
  notes.push('Mosquitto runs with its shipped defaults and, where its QoS 1 limits decide the outcome (QoS 1 fan-in, the offline '
    + 'queue), also with `max_inflight_messages 0` + `max_queued_messages 0`. Both have `set_tcp_nodelay true`, and Aedes '
    + 'runs with noDelay sockets: the one-line latency setting a deployment makes. topicd runs as it ships.');

  const limit = openFilesLimit();
  // The server needs one descriptor per connection plus a few dozen of its own (listeners, database).
  const idleCount = Math.min(budget.idleConnections, limit - 100);
  const idleWhy = idleCount < budget.idleConnections
    ? `idle connections: ${idleCount.toLocaleString('en-US')}, not ${budget.idleConnections.toLocaleString('en-US')}: the open-files limit is ${limit} and could not be raised (ulimit -n ${OPEN_FILES} was refused)`
    : '';
  if (idleWhy) notes.push(idleWhy);

  log(`topicd bench, ${args.quick ? 'quick' : 'full'} mode; generator on CPU ${pinned ? GENERATOR_CPU : 'any'}, servers on CPU ${serverCpu ?? 'any'}; work dir ${work}`);

  snapshotBuild(join(work, 'app'), args.topicdDir);
  const topicdBuild = args.topicdDir === undefined ? `this checkout, ${gitCommit(ROOT)}` : `${args.topicdDir}, ${gitCommit(args.topicdDir)}`;
  if (args.topicdDir !== undefined) notes.push(`topicd was run from another build (\`--topicd-dir\`): ${topicdBuild}.`);

  // topicd first: its device key kind decides the peers' client key kind.
  const wantTopicd = args.systems === undefined || args.systems.includes('topicd');
  let device: TopicdDevice | undefined;
  let topicdError = '';
  if (wantTopicd) {
    if (!existsSync(join(work, 'app/dist/src/cli/main.js'))) topicdError = 'dist/src/cli/main.js is missing: topicd did not build';
    else {
      log('starting topicd once to provision the bench device certificate');
      try {
        device = await provisionTopicd(serverCpu, join(work, 'topicd-data'));
        log(`topicd device: ${device.how}`);
        notes.push(topicdHasPlainListener()
          ? 'topicd runs with its development plain-TCP MQTT listener (`--mqtt-plain-port`, anonymous, loopback), so its plain TCP rows are measured too; the goals are taken over mutual TLS, the data plane devices use.'
          : 'topicd has no plain TCP MQTT listener: its plain TCP rows read n/a, and every goal is taken over mutual TLS.');
      } catch (err) {
        topicdError = `topicd did not start: ${(err as Error).message}`;
      }
    }
    if (topicdError) {
      log(topicdError);
      notes.push(topicdError);
    }
  }
  let certs: PeerCerts;
  try {
    const dir = join(work, 'peers');
    execFileSync('mkdir', ['-p', dir]);
    certs = makePeerCerts(dir, device?.keyKind ?? 'ec-p256');
  } catch (err) {
    throw new Error(`openssl could not make the peers' certificates: ${(err as Error).message}`);
  }
  if (!existsSync(MOSQUITTO)) notes.push(`${MOSQUITTO} not found: Mosquitto was skipped.`);

  const starters: Record<SystemId, () => Promise<RunningSystem>> = {
    topicd: () => (device ? startTopicd(serverCpu, device) : Promise.reject(new Error(topicdError || 'topicd was not provisioned'))),
    'bare-https': () => startBareHttps(serverCpu, certs),
    mosquitto: () => startMosquitto(serverCpu, certs, work, false),
    'mosquitto-unlimited': () => startMosquitto(serverCpu, certs, work, true),
    aedes: () => startAedes(serverCpu, certs),
    nginx: () => (nginx ? startNginx(serverCpu, nginx, certs, work) : Promise.reject(new Error('nginx is not installed'))),
  };

  const wanted = plan(budget, idleCount, idleWhy).filter((s) =>
    (args.only === undefined || args.only.includes(s.scenario)) && (args.systems === undefined || args.systems.includes(s.system)));
  const steps = wanted.filter((s) => s.system !== 'nginx' || nginx !== undefined);
  if (steps.length < wanted.length) log('nginx is not installed (Debian: apt-get install nginx-light): its HTTPS keep-alive ceiling is skipped');
  const cells: CellResult[] = [];
  for (const [i, step] of steps.entries()) {
    const tag = `${String(i + 1).padStart(2)}/${steps.length} ${step.scenario} · ${step.system}`;
    let system: RunningSystem | undefined;
    let results: CellResult[];
    try {
      system = await starters[step.system]();
      log(`${tag}: started (pid ${system.pid})`);
      results = await step.run(system);
    } catch (err) {
      const message = (err as Error).message.split('\n')[0] ?? '';
      results = [{
        scenario: step.scenario, system: step.system, transport: 'mtls', variant: 'all', unit: '', higherIsBetter: true,
        status: 'error', runs: [], value: NaN, cpu: undefined, extra: {}, note: message.slice(0, 300),
      }];
    } finally {
      await system?.stop();
    }
    cells.push(...results);
    for (const cell of results) log(`${tag}: ${describe(cell)}`);
  }

  const latencyVariant = `https to mqtt @ ${budget.latencyRate}/s`;
  const goals = evaluateGoals(cells, latencyVariant);
  const aedesVersion = (JSON.parse(readFileSync(join(ROOT, 'node_modules/aedes/package.json'), 'utf8')) as { version: string }).version;
  const info: RunInfo = {
    date,
    mode: args.quick ? 'quick' : 'full',
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    durationSeconds: (performance.now() - t0) / 1000,
    budget,
    machine: {
      CPU: `${cpuModel()}, ${cpus().length} cores`,
      memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
      kernel: `Linux ${release()}`,
      'open files (generator and servers)': String(limit),
    },
    versions: {
      node: process.version,
      mosquitto: await mosquittoVersion(),
      aedes: aedesVersion,
      openssl: versionOf('openssl', ['version'], /OpenSSL (\S+)/),
      nginx: nginx === undefined ? 'not installed (skipped)' : nginxVersion(nginx),
      topicd: topicdBuild,
    },
    device: device?.how ?? `none (${topicdError || 'topicd not selected'})`,
    notes,
  };

  log('goals:');
  for (const g of goals) log(`  ${g.met === true ? 'MET   ' : g.met === false ? 'MISSED' : '  -   '} ${g.goal}: ${g.measured} (target ${g.target}) ${g.verdict}`);
  for (const cell of cells) {
    const r = ratioOf(cells, cell);
    if (r !== undefined) log(`  ratio topicd ÷ ${cell.system} ${cell.scenario} ${cell.transport} ${cell.variant}: ${r.toFixed(2)}×`);
  }

  const stamp = date.replace(/:/g, '-');
  const partial = args.only !== undefined || args.systems !== undefined || args.topicdDir !== undefined;
  const resultsDir = join(ROOT, 'bench/results');
  if (partial) {
    const path = join(resultsDir, `${stamp}-partial.json`);
    writeJson(path, info, cells, goals);
    log(`partial run (--only/--systems/--topicd-dir): wrote ${path}; docs/benchmarks.md and latest.json left as they were`);
  } else {
    writeJson(join(resultsDir, `${stamp}.json`), info, cells, goals);
    writeJson(join(resultsDir, 'latest.json'), info, cells, goals);
    writeDoc(join(ROOT, 'docs/benchmarks.md'), info, cells, goals);
    log(`wrote docs/benchmarks.md, bench/results/${stamp}.json and bench/results/latest.json`);
    // The cluster section (bench/cluster.ts, issue 12): nodes and NATS of its own, on both CPUs.
    execFileSync('taskset', ['-c', '0,1', process.execPath, fileURLToPath(new URL('./cluster.js', import.meta.url))], { stdio: 'inherit' });
  }
  log(`done in ${clock(t0)}`);
  return true;
}

main().then(
  // Exit at once: a server that ignored its socket's end must not keep the bench waiting.
  (ran) => {
    if (ran) process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
