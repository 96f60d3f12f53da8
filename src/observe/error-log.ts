/**
 * @module observe/error-log
 * The log of unexpected errors met on behalf of clients (a packet handler that threw, a failed HTTPS
 * publish, a store write), rate-limited per kind so that no client can make the log grow faster than a
 * bounded rate (issue 10: one client made 1,291 stack traces a second). Each kind (the `context` the
 * caller names, e.g. `mqtt publish`) may log `perWindow` lines per window; the rest are counted, and
 * one line with their count is logged when the window ends. Every error, logged or not, is also
 * published on the diagnostics channel `topicd:unexpected-error` ({ err, context }) for whoever watches.
 */
import { channel } from 'node:diagnostics_channel';
import type { Logger } from './logger.js';

/** Every unexpected error reported, unlimited: for monitoring and for the fuzz tests, which expect none. */
export const UNEXPECTED_ERROR_CHANNEL = 'topicd:unexpected-error';
const unexpectedErrors = channel(UNEXPECTED_ERROR_CHANNEL);

export interface ErrorLogLimits {
  /** Lines per kind per window (default 10). */
  perWindow: number;
  /** Window length in ms (default one minute). */
  windowMs: number;
  /** Kinds tracked apart (default 64); errors of further kinds share one budget, so the bound holds whatever callers pass. */
  maxKinds: number;
}

export const ERROR_LOG_LIMITS: ErrorLogLimits = { perWindow: 10, windowMs: 60_000, maxKinds: 64 };

/** The bucket of the kinds past maxKinds. */
const OTHER_KINDS = 'other';

interface Window {
  logged: number;
  suppressed: number;
  timer: NodeJS.Timeout;
}

/** What a caller reports an unexpected error with. */
export type ErrorReporter = (err: unknown, context: string) => void;

/**
 * A reporter writing `unexpected error` lines to `log`, at most `perWindow` per kind per window; at the
 * end of a window in which lines were suppressed, one `unexpected errors suppressed` line gives their count.
 */
export function rateLimitedErrorLog(log: Logger, limits: Partial<ErrorLogLimits> = {}): ErrorReporter {
  const { perWindow, windowMs, maxKinds } = { ...ERROR_LOG_LIMITS, ...limits };
  const windows = new Map<string, Window>();

  const close = (kind: string): void => {
    const window = windows.get(kind);
    windows.delete(kind);
    if (window !== undefined && window.suppressed > 0) {
      log.error({ context: kind, suppressed: window.suppressed, windowMs }, 'unexpected errors suppressed');
    }
  };

  return (err, context) => {
    if (unexpectedErrors.hasSubscribers) unexpectedErrors.publish({ err, context });
    const kind = windows.has(context) || windows.size < maxKinds ? context : OTHER_KINDS;
    let window = windows.get(kind);
    if (window === undefined) {
      // The window starts with its first error; the timer does not hold the process open.
      window = { logged: 0, suppressed: 0, timer: setTimeout(close, windowMs, kind).unref() };
      windows.set(kind, window);
    }
    if (window.logged < perWindow) {
      window.logged++;
      log.error({ err, context }, 'unexpected error');
    } else {
      window.suppressed++;
    }
  };
}
