/**
 * @module bench/measure
 * The numbers the bench reports and where they come from: medians and percentiles, a server's CPU
 * time and RSS read from /proc (servers run in processes of their own), the generator's own CPU
 * time, and the whole machine's busy time, so that load from other people on this shared machine
 * shows up next to the result it may have disturbed. Linux only, like the rest of the bench.
 */
import { readFileSync } from 'node:fs';

/** sysconf(_SC_CLK_TCK): 100 on every Linux node runs on; node cannot ask for it. */
const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU seconds of every thread of a process, or undefined once it has gone. */
export function processCpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: split after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 (utime) and 15 (stime) of proc(5), counted from field 3 here.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/** Resident set size in bytes, or undefined once the process has gone. */
export function processRssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * Bytes a process has taken in with read(2) and readv(2) (`rchar` of /proc/PID/io, every thread), or
 * undefined once it has gone or when /proc does not say. Socket reads count: libuv (node), Mosquitto
 * and OpenSSL's socket BIO read sockets with read(2).
 */
export function processReadBytes(pid: number): number | undefined {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'latin1');
    const match = /rchar:\s+(\d+)/.exec(io);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** Busy and total CPU seconds of the whole machine (all cores), from /proc/stat. */
function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
  return { busy: (total - idle) / CLOCK_TICKS_PER_SECOND, total: total / CLOCK_TICKS_PER_SECOND };
}

/** CPU use over one measurement window, in percent of one core. */
export interface CpuShare {
  server: number;
  generator: number;
  /** Everything else on the machine: other engineers' tests, the kernel's own threads. */
  others: number;
}

/** Takes a CPU snapshot now; `stop()` gives the shares since then. */
export class CpuWindow {
  private readonly wallStart = performance.now();
  private readonly serverStart: number;
  private readonly generatorStart = process.cpuUsage();
  private readonly machineStart = machineCpuSeconds();

  constructor(private readonly serverPid: number | undefined) {
    this.serverStart = serverPid === undefined ? 0 : processCpuSeconds(serverPid) ?? 0;
  }

  stop(): CpuShare {
    const wall = (performance.now() - this.wallStart) / 1000;
    const serverEnd = this.serverPid === undefined ? 0 : processCpuSeconds(this.serverPid) ?? this.serverStart;
    const generatorUsed = process.cpuUsage(this.generatorStart);
    const machineEnd = machineCpuSeconds();
    const server = (serverEnd - this.serverStart) / wall * 100;
    const generator = (generatorUsed.user + generatorUsed.system) / 1e6 / wall * 100;
    const machine = (machineEnd.busy - this.machineStart.busy) / wall * 100;
    return { server, generator, others: Math.max(0, machine - server - generator) };
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] ?? NaN : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

/** The p-th percentile (0..100) of values already sorted ascending, nearest rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `done()` holds, checking every `everyMs`; false if `timeoutMs` passed first. */
export async function waitFor(done: () => boolean, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await sleep(everyMs);
  }
  return true;
}

/**
 * Waits until `count()` stops growing for `quietMs` (messages still on their way), at most `maxMs`,
 * or until `enough()` holds.
 */
export async function waitQuiet(count: () => number, quietMs: number, maxMs: number, enough: () => boolean = () => false): Promise<void> {
  const deadline = performance.now() + maxMs;
  let last = count();
  let since = performance.now();
  while (performance.now() < deadline && !enough()) {
    await sleep(20);
    const now = count();
    if (now !== last) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) {
      return;
    }
  }
}
