/**
 * @module bench/kit
 * What every scenario shares: the run's budget (quick or full), the shape of one result row, the
 * measurement loop (a warm-up, then N equal windows whose median is the result), the caps that keep
 * a scenario bounded, and a pool that closes every socket a scenario opened, whatever happens.
 */
import type { Socket } from 'node:net';
import { CpuWindow, median, sleep, type CpuShare } from './measure.js';

export type ScenarioId = 'https-keepalive' | 'https-oneshot' | 'fan-in' | 'fan-out' | 'latency' | 'idle' | 'offline' | 'flood' | 'isolation';
export type SystemId = 'topicd' | 'bare-https' | 'nginx' | 'mosquitto' | 'mosquitto-unlimited' | 'aedes';
export type Transport = 'tcp' | 'mtls';

export interface Budget {
  quick: boolean;
  /** Warm-up: at least this long, then until the rate is steady (JIT), at most warmupMaxMs. */
  warmupMs: number;
  warmupMaxMs: number;
  windowMs: number;
  /** Measurement windows per cell; the result is their median. */
  windows: number;
  /** Messages one cell may send at most (a publish counts once however many receive it). */
  messageCap: number;
  idleConnections: number;
  /** Time the idle scenario may spend opening connections; it reports what it reached by then. */
  idleConnectMs: number;
  offlineMessages: number;
  offlineRuns: number;
  /** The fixed rate of the latency scenario. */
  latencyRate: number;
}

export const QUICK: Budget = {
  quick: true, warmupMs: 200, warmupMaxMs: 1_000, windowMs: 300, windows: 3, messageCap: 5_000_000,
  idleConnections: 2_000, idleConnectMs: 8_000, offlineMessages: 5_000, offlineRuns: 1, latencyRate: 5_000,
};

export const FULL: Budget = {
  quick: false, warmupMs: 600, warmupMaxMs: 2_000, windowMs: 1_000, windows: 5, messageCap: 20_000_000,
  idleConnections: 20_000, idleConnectMs: 80_000, offlineMessages: 20_000, offlineRuns: 3, latencyRate: 5_000,
};

/** The wall time a throughput cell needs, and the cap past which it is abandoned. */
export function cellCapMs(budget: Budget): number {
  return (budget.warmupMaxMs + budget.windowMs * budget.windows) * 3 + 20_000;
}

/** One row of the results: one system, one scenario variant. */
export interface CellResult {
  scenario: ScenarioId;
  system: SystemId;
  transport: Transport;
  /** e.g. `qos0`, `qos1`, `full handshake`, `resumed`, `https to mqtt`. */
  variant: string;
  /** e.g. `msg/s`, `req/s`, `ms p99`, `KiB/conn`. */
  unit: string;
  higherIsBetter: boolean;
  status: 'ok' | 'n/a' | 'error';
  /** The per-window values; `value` is their median. */
  runs: number[];
  value: number;
  /** Median CPU use over the windows, percent of one core. */
  cpu: CpuShare | undefined;
  /** Secondary numbers: drops, errors, p50, resumption rate, connect rate... */
  extra: Record<string, number | string>;
  note?: string;
}

export function cellKey(c: Pick<CellResult, 'scenario' | 'transport' | 'variant'>): string {
  return `${c.scenario}|${c.transport}|${c.variant}`;
}

export function notApplicable(scenario: ScenarioId, system: SystemId, transport: Transport, variant: string, unit: string, higherIsBetter: boolean, note: string): CellResult {
  return { scenario, system, transport, variant, unit, higherIsBetter, status: 'n/a', runs: [], value: NaN, cpu: undefined, extra: {}, note };
}

export function failed(scenario: ScenarioId, system: SystemId, transport: Transport, variant: string, unit: string, higherIsBetter: boolean, err: unknown): CellResult {
  const note = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ').slice(0, 300);
  return { scenario, system, transport, variant, unit, higherIsBetter, status: 'error', runs: [], value: NaN, cpu: undefined, extra: {}, note };
}

export function medianCpu(shares: readonly CpuShare[]): CpuShare | undefined {
  if (shares.length === 0) return undefined;
  return {
    server: median(shares.map((s) => s.server)),
    generator: median(shares.map((s) => s.generator)),
    others: median(shares.map((s) => s.others)),
  };
}

/** Rates of the last samples within this share of each other count as steady. */
const STEADY = 0.2;
const SAMPLE_MS = 100;

/**
 * Warms up for at least `warmupMs`, then until two 100 ms samples in a row are within 20% of each
 * other, at most `warmupMaxMs`. node servers (topicd, Aedes, the bare server) are started fresh and
 * run several times faster once their hot paths are compiled; a fixed short warm-up would measure
 * the JIT, not the server.
 */
async function warmUp(budget: Budget, count: () => number): Promise<void> {
  const t0 = performance.now();
  await sleep(budget.warmupMs);
  let previous = NaN;
  while (performance.now() - t0 < budget.warmupMaxMs) {
    const start = count();
    const s0 = performance.now();
    await sleep(SAMPLE_MS);
    const rate = (count() - start) / (performance.now() - s0);
    if (rate > 0 && Math.abs(rate - previous) <= STEADY * Math.max(rate, previous)) return;
    previous = rate;
  }
}

/** Per-window rates of a growing counter, after a warm-up, with the CPU shares of each window. */
export async function measureRate(budget: Budget, serverPid: number, count: () => number): Promise<{ runs: number[]; cpu: CpuShare[] }> {
  const measured = await measureRates(budget, serverPid, [count]);
  return { runs: measured.runs[0] ?? [], cpu: measured.cpu };
}

/**
 * Per-window rates of several growing counters taken over the same windows (the warm-up watches the
 * first): `runs[k][w]` is counter k's rate in window w.
 */
export async function measureRates(budget: Budget, serverPid: number, counts: ReadonlyArray<() => number>): Promise<{ runs: number[][]; cpu: CpuShare[] }> {
  const [first] = counts;
  if (first === undefined) throw new Error('measureRates needs a counter');
  await warmUp(budget, first);
  const runs: number[][] = counts.map(() => []);
  const cpu: CpuShare[] = [];
  for (let w = 0; w < budget.windows; w++) {
    const start = counts.map((count) => count());
    const window = new CpuWindow(serverPid);
    const t0 = performance.now();
    await sleep(budget.windowMs);
    const seconds = (performance.now() - t0) / 1000;
    cpu.push(window.stop());
    counts.forEach((count, k) => runs[k]?.push((count() - (start[k] ?? 0)) / seconds));
  }
  return { runs, cpu };
}

/** Rejects with a clear message when `work` takes longer than `ms`. */
export async function withCap<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: time cap of ${Math.round(ms / 1000)} s reached`)), ms);
  });
  try {
    return await Promise.race([work, cap]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every socket a cell opens goes in here; `closeAll` ends them when the cell is over. */
export class SocketPool {
  private readonly sockets = new Set<Socket>();

  add<S extends Socket>(socket: S): S {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    return socket;
  }

  get size(): number {
    return this.sockets.size;
  }

  closeAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}

/** A 256-byte payload; the first 4 bytes carry a sequence number where a scenario needs one. */
export function payload(size = 256): Buffer {
  const buf = Buffer.alloc(size, 0x61);
  buf.writeUInt32BE(0, 0);
  return buf;
}

let clientSerial = 0;
/** A client id unique in the run and at most 23 bytes (Aedes refuses longer ones, as MQTT 3.1 did). */
export function clientId(tag: string): string {
  clientSerial++;
  return `b${tag}${clientSerial.toString(36)}${process.pid.toString(36)}`.slice(0, 23);
}
