/**
 * @module bench/report
 * Turns one run's rows into what people read: the goals of issues 5 and 10 with met or missed and by how
 * much, one table per scenario with topicd ÷ peer ratios from the same run, and the JSON file.
 * docs/benchmarks.md is rewritten only between its bench markers, so what people write around
 * them (the speed round's before/after lines) survives every run.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { cellKey, type Budget, type CellResult, type ScenarioId, type SystemId, type Transport } from './kit.js';
import { KEEPALIVE_CONNECTIONS, LATENCY_CONNECTIONS, ONESHOT_CONCURRENCY } from './scenarios-https.js';
import { FLOOD_BATCH, FLOOD_PUBLISHERS, FLOOD_VARIANT } from './scenarios-flood.js';
import { ISOLATION_DEVICES, ISOLATION_VARIANTS } from './scenarios-isolation.js';
import { FAN_IN_AHEAD, FAN_IN_PUBLISHERS, FAN_OUT_AHEAD, FAN_OUT_SUBSCRIBERS, QOS1_WINDOW } from './scenarios-mqtt.js';

const n = (value: number): string => value.toLocaleString('en-US');

export interface RunInfo {
  date: string;
  mode: 'quick' | 'full';
  command: string;
  durationSeconds: number;
  budget: Budget;
  machine: Record<string, string>;
  versions: Record<string, string>;
  /** How topicd's device certificate was made. */
  device: string;
  /** Things the reader must know: skipped peers, reduced counts, a machine without pinning. */
  notes: string[];
}

export interface GoalResult {
  goal: string;
  measured: string;
  target: string;
  verdict: string;
  met: boolean | undefined;
}

const BEGIN = '<!-- bench:begin: written by `npm run bench`; edit outside these markers -->';
const END = '<!-- bench:end -->';

const SCENARIOS: Record<ScenarioId, { title: string; what: string }> = {
  'https-keepalive': {
    title: '(a) HTTPS publish, keep-alive',
    what: `${KEEPALIVE_CONNECTIONS} mutual-TLS connections, one request at a time each (no pipelining), 256-byte bodies to `
      + '`POST /topics/bench/https/N?qos=1`. topicd: every message is also counted at an MQTT subscriber on `bench/#` '
      + '(`missing` = 200s not delivered); the bare node server and nginx (`ssl_verify_client on`, `return 200` with the '
      + 'same body, the ceiling of the path) route nothing and count their 200s.',
  },
  'https-oneshot': {
    title: '(b) HTTPS publish, one-shot',
    what: `A new TLS connection per request (\`Connection: close\`), ${ONESHOT_CONCURRENCY} at once, as curl and \`requests\` do; `
      + '`full handshake` never offers a session, `resumed` offers the last session ticket the server gave '
      + '(`resumedPct` = handshakes the server actually resumed).',
  },
  'fan-in': {
    title: '(c) MQTT fan-in',
    what: `${FAN_IN_PUBLISHERS} publishers to 1 subscriber on \`bench/#\`, 256-byte payloads. QoS 0: publishers run at most `
      + `${n(FAN_IN_AHEAD)} messages ahead of the subscriber (see bench/README.md); QoS 1: ${QOS1_WINDOW} in flight per publisher, the subscriber `
      + 'subscribes at QoS 1 and acknowledges each message. The rate counts messages delivered to the subscriber; '
      + '`dropped` = acknowledged (QoS 1) or sent (QoS 0) but never delivered.',
  },
  'fan-out': {
    title: '(d) MQTT fan-out',
    what: `1 publisher (QoS 0, at most ${n(FAN_OUT_AHEAD)} publishes ahead of the slowest subscriber) to ${FAN_OUT_SUBSCRIBERS} subscribers on `
      + `\`bench/#\`. The rate counts deliveries (publishes × ${FAN_OUT_SUBSCRIBERS}).`,
  },
  latency: {
    title: '(e) End-to-end latency',
    what: 'Messages released at a fixed rate by a 1 ms timer, each carrying a sequence number; latency from '
      + `release to arrival at an MQTT subscriber (QoS 0). \`https to mqtt\`: ${LATENCY_CONNECTIONS} keep-alive HTTPS connections `
      + '(`maxBacklog` > 0: requests waited for a free connection, the server did not keep up with the rate); '
      + '`mqtt to mqtt`: one MQTT publisher. The value is the median over windows of each window\'s p99.',
  },
  idle: {
    title: '(f) Idle mutual-TLS MQTT connections',
    what: 'Connections opened 100 at a time (TLS handshake, CONNECT, CONNACK), then left idle. `memory` = growth '
      + 'of the server\'s RSS / connections; `connect rate` = connections / seconds to open them all.',
  },
  offline: {
    title: '(g) QoS 1 into an offline persistent session, then the drain',
    what: 'A clean-session-off subscriber subscribes at QoS 1 and leaves; QoS 1 messages are published to it '
      + '(64 in flight); it reconnects and receives what the server kept. The rate is the drain; `kept` is '
      + 'how many of the published messages came back; `publishRate` is the rate of all the publishes, '
      + '`storedPublishRate` that of the first 1,000 (which every server keeps: written to the session\'s '
      + 'queue, in topicd to its Store, where later ones may be dropped at the queue bound).',
  },
  flood: {
    title: '(h) MQTT QoS 0 flood, unthrottled',
    what: `${FLOOD_PUBLISHERS} publishers write QoS 0 PUBLISHes (256-byte payloads, ${FLOOD_BATCH} frames per write) as fast as TCP `
      + 'lets them, with no window (unlike (c)), to 1 subscriber on `bench/#` that reads as fast as it can; a fresh '
      + 'server per transport. The value is the rate delivered to the subscriber; `read` = the rate of messages the '
      + 'server read (its read(2) bytes over the window, from /proc/PID/io, ÷ the bytes of one message on the wire); '
      + '`deliveredPct` = delivered ÷ read, the median of the windows (above 100: the server delivered in the window '
      + 'what it had read before it); `writtenTotal` = what the kernel took from the publishers (its buffers hold '
      + 'megabytes the server has not read); `serverRssMiB` at the end of the windows.',
  },
  isolation: {
    title: '(i) A stalled subscriber costs only itself',
    what: `A backend publishes QoS 1 round robin to ${ISOLATION_DEVICES} devices' topics (64 in flight); each device subscribes `
      + 'at QoS 1 to its own topic and acknowledges; in the second row device 0 subscribes and then never reads again. '
      + 'The value is the backend\'s acknowledged publishes per second, measured after a 2 s warm-up; `vsAllReading` = '
      + 'the stalled row over the first (issue 10, defect 2: once 1,000 times lower).',
  },
};

const SYSTEM_LABEL: Record<SystemId, string> = {
  topicd: 'topicd',
  'bare-https': 'bare node https (mTLS)',
  nginx: 'nginx (ssl_verify_client on)',
  mosquitto: 'Mosquitto (defaults)',
  'mosquitto-unlimited': 'Mosquitto (unlimited inflight/queue)',
  aedes: 'Aedes',
};

// ---- formatting ----

/** Milliseconds and KiB keep decimals; rates are whole numbers. */
export function fmt(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '-';
  if (unit === 'ms' || unit.startsWith('ms ')) return value.toFixed(2);
  if (unit.startsWith('KiB')) return value.toFixed(1);
  return Math.round(value).toLocaleString('en-US');
}

/** Other processes used more than this share of the machine (percent of one core) during the windows. */
const DISTURBED_OTHERS = 50;

export function disturbed(cell: CellResult | undefined): boolean {
  return cell?.cpu !== undefined && cell.cpu.others > DISTURBED_OTHERS;
}

function fmtExtra(extra: Record<string, number | string>): string {
  return Object.entries(extra)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(2)) : v}`)
    .join(', ');
}

function pct(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '-' : `${Math.round(value)}%`;
}

/** Which side ran out of CPU first, so a ratio is read for what it is. */
export function bound(cell: CellResult): string {
  if (!cell.cpu) return '';
  const hints: string[] = [];
  if (cell.cpu.server >= 90 && cell.cpu.generator >= 90) hints.push('server-bound, generator at 90%+ too');
  else if (cell.cpu.server >= 90) hints.push('server-bound');
  else if (cell.cpu.generator >= 90) hints.push('GENERATOR-bound: a lower bound');
  if (disturbed(cell)) hints.push(`DISTURBED: others used ${Math.round(cell.cpu.others)}% of a core`);
  return hints.join('; ');
}

// ---- ratios and goals ----

function find(cells: readonly CellResult[], system: SystemId, scenario: ScenarioId, transport: Transport, variant: string): CellResult | undefined {
  return cells.find((c) => c.system === system && c.scenario === scenario && c.transport === transport && c.variant === variant);
}

/** topicd ÷ this row, same scenario, transport and variant; undefined when either is missing. */
export function ratioOf(cells: readonly CellResult[], cell: CellResult): number | undefined {
  if (cell.system === 'topicd' || cell.status !== 'ok') return undefined;
  const mine = cells.find((c) => c.system === 'topicd' && c.status === 'ok' && cellKey(c) === cellKey(cell));
  return mine === undefined ? undefined : mine.value / cell.value;
}

function ratioGoal(goal: string, target: number, top: CellResult | undefined, bottom: CellResult | undefined, inverse = false, extraCheck?: () => string | undefined): GoalResult {
  const targetText = `≥ ${target.toFixed(1)}×`;
  if (top?.status !== 'ok' || bottom?.status !== 'ok') {
    const why = [top, bottom].map((c) => (c === undefined ? 'not run' : c.status !== 'ok' ? `${c.system}: ${c.note ?? c.status}` : '')).filter(Boolean).join('; ');
    return { goal, measured: '-', target: targetText, verdict: `not measured (${why})`, met: undefined };
  }
  const ratio = inverse ? bottom.value / top.value : top.value / bottom.value;
  const shaky = [top, bottom].filter(disturbed).map((c) => c.system);
  const measured = `${ratio.toFixed(2)}× (${fmt(top.value, top.unit)} vs ${fmt(bottom.value, bottom.unit)} ${top.unit})`
    + (shaky.length > 0 ? ` ⚠ ${shaky.join(' and ')} row disturbed by other load` : '');
  const problem = extraCheck?.();
  if (ratio >= target && problem === undefined) return { goal, measured, target: targetText, verdict: `met (${Math.round((ratio / target - 1) * 100)}% above)`, met: true };
  const parts: string[] = [];
  if (ratio < target) parts.push(`missed by ${Math.round((1 - ratio / target) * 100)}% (needs ${(target / ratio).toFixed(2)}× more)`);
  if (problem !== undefined) parts.push(problem);
  return { goal, measured, target: targetText, verdict: parts.join('; '), met: false };
}

function limitGoal(goal: string, limit: number, unit: string, cell: CellResult | undefined): GoalResult {
  const target = `≤ ${limit} ${unit}`;
  if (cell?.status !== 'ok') return { goal, measured: '-', target, verdict: `not measured (${cell?.note ?? 'not run'})`, met: undefined };
  const measured = `${fmt(cell.value, cell.unit)} ${unit}${disturbed(cell) ? ' ⚠ disturbed by other load' : ''}`;
  if (cell.value <= limit) return { goal, measured, target, verdict: `met (${Math.round((1 - cell.value / limit) * 100)}% under)`, met: true };
  return { goal, measured, target, verdict: `missed by ${Math.round((cell.value / limit - 1) * 100)}% (${(cell.value / limit).toFixed(2)}× the limit)`, met: false };
}

/** A share in percent that must reach `floor` (the flood's delivered ÷ read). */
function shareGoal(goal: string, floor: number, cell: CellResult | undefined): GoalResult {
  const target = `≥ ${floor}%`;
  const share = cell?.extra.deliveredPct;
  if (cell?.status !== 'ok' || typeof share !== 'number' || !Number.isFinite(share)) {
    return { goal, measured: '-', target, verdict: `not measured (${cell?.note ?? (cell === undefined ? 'not run' : 'no reads')})`, met: undefined };
  }
  const read = typeof cell.extra.read === 'number' ? fmt(cell.extra.read, cell.unit) : '-';
  const measured = `${share}% (${fmt(cell.value, cell.unit)} delivered of ${read} read ${cell.unit})${disturbed(cell) ? ' ⚠ disturbed by other load' : ''}`;
  if (share >= floor) return { goal, measured, target, verdict: `met (${Math.round(share - floor)} points above)`, met: true };
  return { goal, measured, target, verdict: `missed by ${Math.round(floor - share)} points`, met: false };
}

/** A ratio shown for reference, with no target (nginx: how far topicd's HTTPS path is from a C server's). */
function referenceRatio(goal: string, top: CellResult | undefined, bottom: CellResult | undefined): GoalResult {
  if (top?.status !== 'ok' || bottom?.status !== 'ok') return { goal, measured: '-', target: 'none (ceiling)', verdict: 'not measured', met: undefined };
  const shaky = [top, bottom].some(disturbed) ? ' ⚠ disturbed by other load' : '';
  return {
    goal, target: 'none (ceiling)', met: undefined, verdict: 'reference',
    measured: `${(top.value / bottom.value).toFixed(2)}× (${fmt(top.value, top.unit)} vs ${fmt(bottom.value, bottom.unit)} ${top.unit})${shaky}`,
  };
}

/** The goals of issues 5 and 10, each measured on mutual TLS. */
export function evaluateGoals(cells: readonly CellResult[], latencyVariant: string): GoalResult[] {
  const t = (scenario: ScenarioId, variant: string, transport: Transport = 'mtls'): CellResult | undefined => find(cells, 'topicd', scenario, transport, variant);
  const p = (system: SystemId, scenario: ScenarioId, variant: string): CellResult | undefined => find(cells, system, scenario, 'mtls', variant);
  const noDrops = (): string | undefined => {
    const dropped = t('fan-in', 'qos1')?.extra.dropped;
    return typeof dropped === 'number' && dropped > 0 ? `topicd dropped ${dropped.toLocaleString('en-US')} acknowledged messages` : undefined;
  };
  const mqttLatency = latencyVariant.replace('https', 'mqtt');
  return [
    ratioGoal('MQTT fan-in QoS 0 vs Mosquitto (defaults)', 2.0, t('fan-in', 'qos0'), p('mosquitto', 'fan-in', 'qos0')),
    ratioGoal('MQTT fan-in QoS 1 vs Mosquitto (unlimited inflight), nothing dropped', 1.5, t('fan-in', 'qos1'), p('mosquitto-unlimited', 'fan-in', 'qos1'), false, noDrops),
    ratioGoal('MQTT fan-out vs Mosquitto (defaults)', 1.5, t('fan-out', 'qos0'), p('mosquitto', 'fan-out', 'qos0')),
    ratioGoal('MQTT fan-in QoS 0 vs Aedes', 3.0, t('fan-in', 'qos0'), p('aedes', 'fan-in', 'qos0')),
    ratioGoal('MQTT fan-in QoS 1 vs Aedes', 3.0, t('fan-in', 'qos1'), p('aedes', 'fan-in', 'qos1')),
    ratioGoal('MQTT fan-out vs Aedes', 3.0, t('fan-out', 'qos0'), p('aedes', 'fan-out', 'qos0')),
    ratioGoal('MQTT latency p99 vs Aedes (Aedes p99 ÷ topicd p99)', 3.0, t('latency', mqttLatency), p('aedes', 'latency', mqttLatency), true),
    ratioGoal('MQTT idle connect rate vs Aedes', 3.0, t('idle', 'connect rate'), p('aedes', 'idle', 'connect rate')),
    ratioGoal('HTTPS keep-alive publish vs bare node mTLS server', 1.0, t('https-keepalive', '64 connections'), p('bare-https', 'https-keepalive', '64 connections')),
    referenceRatio('HTTPS keep-alive publish vs nginx (`ssl_verify_client on`, the ceiling)', t('https-keepalive', '64 connections'), p('nginx', 'https-keepalive', '64 connections')),
    ratioGoal('HTTPS one-shot publish vs bare node (both full handshakes)', 0.9, t('https-oneshot', 'full handshake'), p('bare-https', 'https-oneshot', 'full handshake')),
    ratioGoal('HTTPS one-shot with resumption vs bare node full handshakes', 1.8, t('https-oneshot', 'resumed'), p('bare-https', 'https-oneshot', 'full handshake')),
    limitGoal('End-to-end p99, HTTPS publish to MQTT subscriber, at 5,000 msg/s', 2, 'ms', t('latency', latencyVariant)),
    limitGoal('Memory per idle mTLS MQTT connection', 20, 'KiB', t('idle', 'memory')),
    shareGoal('MQTT QoS 0 flood: topicd delivers of what it reads (issue 10)', 80, t('flood', FLOOD_VARIANT)),
    ratioGoal('MQTT QoS 0 flood: delivered rate vs Mosquitto (defaults) (issue 10)', 2.0, t('flood', FLOOD_VARIANT), p('mosquitto', 'flood', FLOOD_VARIANT)),
    ratioGoal('A stalled QoS 1 subscriber: the backend\'s rate to the others vs with every device reading (issue 10)', 0.9,
      t('isolation', ISOLATION_VARIANTS.stalled), t('isolation', ISOLATION_VARIANTS.all)),
  ];
}

// ---- markdown ----

function scenarioTable(cells: readonly CellResult[], scenario: ScenarioId): string {
  const rows = cells.filter((c) => c.scenario === scenario);
  if (rows.length === 0) return '';
  const lowerBetter = rows.some((r) => !r.higherIsBetter);
  const lines = [
    `### ${SCENARIOS[scenario].title}`,
    '',
    SCENARIOS[scenario].what,
    '',
    `| system | transport | variant | median | unit | runs (min-max) | topicd ÷ this${lowerBetter ? ' (lower is better for ms and KiB)' : ''} | server CPU | generator CPU | others CPU | notes |`,
    '|---|---|---|---:|---|---|---:|---:|---:|---:|---|',
  ];
  for (const c of rows) {
    const ratio = ratioOf(cells, c);
    const runs = c.runs.length === 0 ? '-' : `${fmt(Math.min(...c.runs), c.unit)}-${fmt(Math.max(...c.runs), c.unit)}`;
    const notes = [c.status === 'ok' ? '' : c.note ?? c.status, c.status === 'ok' ? c.note ?? '' : '', bound(c), fmtExtra(c.extra)].filter(Boolean).join('; ');
    lines.push(`| ${SYSTEM_LABEL[c.system]} | ${c.transport === 'tcp' ? 'plain TCP' : 'mTLS'} | ${c.variant} | ${c.status === 'ok' ? `**${fmt(c.value, c.unit)}**` : c.status} | ${c.unit} | ${runs} | ${ratio === undefined ? '-' : `${ratio.toFixed(2)}×`} | ${pct(c.cpu?.server)} | ${pct(c.cpu?.generator)} | ${pct(c.cpu?.others)} | ${notes.replace(/\|/g, '/')} |`);
  }
  return lines.join('\n');
}

function howToRead(b: Budget): string {
  const passes = b.offlineRuns === 1 ? 'one pass' : `the median of ${b.offlineRuns} passes`;
  return [
    '**How to read it.** Each server runs alone on CPU 0 (`taskset -c 0`), started fresh for each scenario; the',
    `load generator runs on CPU 1. Every number is the median of ${b.windows} measurement windows of ${b.windowMs / 1000} s`,
    `after a warm-up of ${b.warmupMs / 1000}-${b.warmupMaxMs / 1000} s, until the rate is steady (idle connections: one pass; the offline drain: ${passes}).`,
    'A ratio is topicd ÷ that peer in this same run, same transport and variant: above 1 topicd is faster (for ms',
    'and KiB, below 1 is better). CPU is percent of one core over the windows: `server` is the server process,',
    '`generator` the bench process, `others` everything else on the machine. **This machine has 2 cores and is',
    'shared with other engineers running tests**: a high `others` means a disturbed row (marked DISTURBED above',
    `${DISTURBED_OTHERS}%, and ⚠ in the goals); compare such rows with care. A row whose server is under 90% and whose`,
    'generator is at 90% or more measured the generator (marked GENERATOR-bound): its number is a lower bound for',
    'that server.',
  ].join('\n');
}

export function renderSection(info: RunInfo, cells: readonly CellResult[], goals: readonly GoalResult[]): string {
  const b = info.budget;
  const lines: string[] = [
    BEGIN,
    '## Latest run',
    '',
    `${info.date}, \`${info.command}\` (${info.mode} mode), ${Math.round(info.durationSeconds)} s. Raw numbers: `
      + '[bench/results/latest.json](../bench/results/latest.json).',
    '',
    '| machine | |',
    '|---|---|',
    ...Object.entries(info.machine).map(([k, v]) => `| ${k} | ${v} |`),
    ...Object.entries(info.versions).map(([k, v]) => `| ${k} | ${v} |`),
    `| topicd device certificate | ${info.device} |`,
    '',
    howToRead(b),
    '',
    ...info.notes.map((n) => `- ${n}`),
    '',
    '### Goals (issues 5 and 10)',
    '',
    'All taken over mutual TLS, the transport devices use.',
    '',
    '| goal | measured | target | verdict |',
    '|---|---|---|---|',
    ...goals.map((g) => `| ${g.goal} | ${g.measured} | ${g.target} | ${g.met === true ? '✅ ' : g.met === false ? '❌ ' : ''}${g.verdict} |`),
    '',
  ];
  for (const scenario of Object.keys(SCENARIOS) as ScenarioId[]) {
    const table = scenarioTable(cells, scenario);
    if (table) lines.push(table, '');
  }
  lines.push(END);
  return lines.join('\n');
}

const SPEED_ROUND = [
  '## Speed round (issue 5, item 4)',
  '',
  'One line per change, before and after, from `npm run bench` runs on this machine (the generated section above',
  'is replaced by each run; this part is not).',
  '',
].join('\n');

/** Writes the generated section into docs/benchmarks.md, keeping everything outside the markers. */
export function writeDoc(path: string, info: RunInfo, cells: readonly CellResult[], goals: readonly GoalResult[]): void {
  const section = renderSection(info, cells, goals);
  let text: string;
  if (!existsSync(path)) {
    text = [
      '# Benchmarks',
      '',
      'topicd against the servers people would pick instead, measured side by side in one run by `npm run bench`',
      '(how it works and how to read it: [bench/README.md](../bench/README.md)).',
      '',
      section,
      '',
      SPEED_ROUND,
    ].join('\n');
  } else {
    const old = readFileSync(path, 'utf8');
    const begin = old.indexOf(BEGIN);
    const end = old.indexOf(END);
    text = begin !== -1 && end > begin
      ? old.slice(0, begin) + section + old.slice(end + END.length)
      : `${section}\n\n${old}`;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text.endsWith('\n') ? text : `${text}\n`);
}

/** Re-renders docs/benchmarks.md from a results file (after a change to this module, without a new run). */
export function renderFromJson(jsonPath: string, docPath: string): void {
  const saved = JSON.parse(readFileSync(jsonPath, 'utf8')) as RunInfo & { cells: CellResult[] };
  const { cells, ...rest } = saved;
  const info: RunInfo = {
    date: rest.date, mode: rest.mode, command: rest.command, durationSeconds: rest.durationSeconds,
    budget: rest.budget, machine: rest.machine, versions: rest.versions, device: rest.device, notes: rest.notes,
  };
  const goals = evaluateGoals(cells, `https to mqtt @ ${info.budget.latencyRate}/s`);
  writeDoc(docPath, info, cells, goals);
}

export function writeJson(path: string, info: RunInfo, cells: readonly CellResult[], goals: readonly GoalResult[]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify({ version: 1, ...info, goals, cells }, null, 2)}\n`);
}
