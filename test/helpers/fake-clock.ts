/**
 * @module test/helpers/fake-clock
 * A Clock (src/broker/clock.ts) that moves only when a test says so: `advance(ms)` runs every timer
 * due in that span, in time order, each with `now()` at its due time. Keep-alive, will delays and
 * session expiry are tested with it in process, without sleeping.
 */
import type { Clock, Timer } from '../../src/broker/clock.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private pending: Pending[] = [];

  constructor(start = 1_800_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const timer: Pending = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.pending.push(timer);
    return timer as unknown as Timer;
  }

  clearTimeout(timer: Timer | undefined): void {
    this.pending = this.pending.filter((p) => p !== (timer as unknown));
  }

  /** Moves time forward by `ms`, running each timer that falls due, earliest first. */
  advance(ms: number): void {
    const end = this.t + ms;
    while (true) {
      const due = this.pending.filter((p) => p.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.pending = this.pending.filter((p) => p !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = end;
  }

  /** Timers still armed. */
  get armed(): number {
    return this.pending.length;
  }
}
