/**
 * @module broker/clock
 * The time the broker lives by, injected: every `now`, timeout and interval under broker/ goes through
 * a Clock, so keep-alive, expiry, will delays and retries are testable without sleeping (a test drives
 * a fake clock forward). Nothing under broker/ calls Date.now or setTimeout itself.
 */

/** An armed timer, as the clock that made it knows it. */
export type Timer = { readonly __timer: unique symbol } | NodeJS.Timeout;

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Runs `fn` once after `ms`; the timer never keeps the process alive on its own. */
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(timer: Timer | undefined): void;
}

/** setTimeout holds at most 2^31-1 ms (24.8 days); longer waits are made of steps. */
const MAX_TIMER_MS = 0x7fffffff;

export const SYSTEM_CLOCK: Clock = {
  now: Date.now,
  setTimeout(fn: () => void, ms: number): Timer {
    const timer = setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMER_MS));
    timer.unref();
    return timer;
  },
  clearTimeout(timer: Timer | undefined): void {
    if (timer !== undefined) clearTimeout(timer as NodeJS.Timeout);
  },
};

/**
 * Runs `fn` after `ms`, however long: a wait past what one timer holds is re-armed in steps. `onArm`
 * is told each timer so its owner can cancel the current one.
 */
export function after(clock: Clock, ms: number, fn: () => void, onArm: (timer: Timer) => void): void {
  const step = Math.min(ms, MAX_TIMER_MS);
  onArm(clock.setTimeout(() => (ms > step ? after(clock, ms - step, fn, onArm) : fn()), step));
}
