/**
 * @module console/stats-history
 * The dashboard's last minutes: a sample of the cumulative counters every few seconds, kept in a ring.
 * The browser turns neighbouring samples into rates, so the server never divides and a missed sample
 * only widens one step.
 */
import type { StatsSample } from './api-types.js';

export const STATS_INTERVAL_MS = 5_000;
/** 15 minutes at the default interval. */
const KEEP = 180;

export class StatsHistory {
  private readonly samples: StatsSample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly source: () => StatsSample, readonly intervalMs = STATS_INTERVAL_MS) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.take();
    this.timer = setInterval(() => this.take(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The kept samples and one taken now, oldest first. */
  read(): StatsSample[] {
    return [...this.samples, this.source()];
  }

  private take(): void {
    this.samples.push(this.source());
    if (this.samples.length > KEEP) this.samples.shift();
  }
}
