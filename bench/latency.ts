/**
 * @module bench/latency
 * Open-loop latency at a fixed rate. A 1 ms timer releases the messages that have come due; each
 * gets a sequence number (carried in its first 4 payload bytes) and its release time. The
 * subscriber looks the number up on arrival. Latency runs from release, not from the ideal
 * schedule, so the timer's own jitter is not charged to the server; a message that waits for a
 * busy connection is charged, as a device would see it.
 */
import { CpuWindow, percentile, sleep, type CpuShare } from './measure.js';
import type { Budget } from './kit.js';

export interface LatencyResult {
  /** Per measurement window, in milliseconds. */
  p50: number[];
  p99: number[];
  max: number;
  released: number;
  arrived: number;
  /** Messages per second actually released over the measured windows. */
  rate: number;
  cpu: CpuShare[];
}

export class PacedRun {
  private readonly releasedAt: Float64Array;
  private readonly latency: Float64Array;
  released = 0;
  arrived = 0;

  constructor(private readonly budget: Budget) {
    const seconds = (budget.warmupMaxMs + budget.windowMs * budget.windows) / 1000;
    const capacity = Math.ceil(budget.latencyRate * seconds * 1.1) + 1_000;
    this.releasedAt = new Float64Array(capacity);
    this.latency = new Float64Array(capacity).fill(NaN);
  }

  /** The subscriber saw message `seq` now. Duplicates and strangers are ignored. */
  arrive(seq: number): void {
    if (seq >= this.released || !Number.isNaN(this.latency[seq] ?? 0)) return;
    this.latency[seq] = performance.now() - (this.releasedAt[seq] ?? 0);
    this.arrived++;
  }

  /** Releases messages at the budget's rate through `send` for the warm-up and every window. */
  async run(serverPid: number, send: (seq: number) => void): Promise<LatencyResult> {
    const rate = this.budget.latencyRate;
    const capacity = this.releasedAt.length;
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const tick = (): void => {
      const now = performance.now();
      const due = Math.min(capacity, Math.floor((now - t0) * rate / 1000));
      while (this.released < due) {
        const seq = this.released++;
        this.releasedAt[seq] = now;
        send(seq);
      }
      timer = setTimeout(tick, 1);
    };
    tick();
    const windows: Array<[number, number]> = [];
    const cpu: CpuShare[] = [];
    try {
      // A long warm-up: a fresh node server's first second is its JIT's, not its latency.
      await sleep(Math.max(this.budget.warmupMs, this.budget.warmupMaxMs * 0.6));
      for (let w = 0; w < this.budget.windows; w++) {
        const start = performance.now();
        const window = new CpuWindow(serverPid);
        await sleep(this.budget.windowMs);
        cpu.push(window.stop());
        windows.push([start, performance.now()]);
      }
    } finally {
      clearTimeout(timer);
    }
    // Give the last messages time to arrive before reading the numbers.
    const deadline = performance.now() + 2_000;
    while (this.arrived < this.released && performance.now() < deadline) await sleep(20);
    return this.summarise(windows, cpu);
  }

  private summarise(windows: Array<[number, number]>, cpu: CpuShare[]): LatencyResult {
    const p50: number[] = [];
    const p99: number[] = [];
    let max = 0;
    let releasedInWindows = 0;
    for (const [start, end] of windows) {
      const samples: number[] = [];
      for (let seq = 0; seq < this.released; seq++) {
        const at = this.releasedAt[seq] ?? 0;
        if (at < start || at >= end) continue;
        releasedInWindows++;
        const latency = this.latency[seq] ?? NaN;
        if (!Number.isNaN(latency)) samples.push(latency);
      }
      samples.sort((a, b) => a - b);
      p50.push(percentile(samples, 50));
      p99.push(percentile(samples, 99));
      max = Math.max(max, samples[samples.length - 1] ?? 0);
    }
    const measuredSeconds = windows.reduce((sum, [s, e]) => sum + (e - s), 0) / 1000;
    return { p50, p99, max, released: this.released, arrived: this.arrived, rate: releasedInWindows / measuredSeconds, cpu };
  }
}
