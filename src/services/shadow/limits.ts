/**
 * @module services/shadow/limits
 * The Device Shadow service's limits (AWS's values, each a setting) and the per-thing admission that
 * enforces the two rates: requests in flight and requests per second. Time comes from the caller.
 */

export interface ShadowLimits {
  /** AWS: 8 KB per state document (desired and reported as JSON; metadata not counted). Over it: 413. */
  maxStateBytes: number;
  /**
   * Deepest nesting of objects and arrays, counted with the request's `state` object as level 1, so
   * desired/reported is 2 and holds at most 5 levels of keys. AWS's sources differ (the old limits page
   * says 5 levels in desired/reported, its example and the quotas page say otherwise), but AWS's own
   * error text is "JSON contains too many levels of nesting; maximum is 6", and AWS's Greengrass shadow
   * manager, written to mirror the service, counts 6 from `state` exactly so; that reading agrees with
   * "5 levels in desired" too. AWS: 6.
   */
  maxDepth: number;
  /** AWS: a client token is at most 64 bytes; longer is 400 "Invalid clientToken". */
  maxClientTokenBytes: number;
  /** Requests of one thing (all its shadows) being worked on at once; one more is 429 (AWS: 10). 0: no limit. */
  maxInFlightPerThing: number;
  /** Requests per second per thing, all its shadows and both doors together (AWS: 20). 0: no quota. */
  requestsPerSecondPerThing: number;
  /** A shadow re-created within this long of its delete continues its version; later it restarts (AWS: 48 h). */
  versionRetentionMs: number;
}

/** AWS IoT Core's values (reference §8, device-shadow-limits). */
export const AWS_SHADOW_LIMITS: Readonly<ShadowLimits> = Object.freeze({
  maxStateBytes: 8 * 1024,
  maxDepth: 6,
  maxClientTokenBytes: 64,
  maxInFlightPerThing: 10,
  requestsPerSecondPerThing: 20,
  versionRetentionMs: 48 * 3600 * 1000,
});

/**
 * topicd's defaults: AWS's, except that the per-second quota is off, as topicd's other rate quotas are
 * unless set (docs/compatibility.md "rate quotas"). The in-flight limit stays: it also bounds the queue
 * one thing can build up.
 */
export const DEFAULT_SHADOW_LIMITS: Readonly<ShadowLimits> = Object.freeze({ ...AWS_SHADOW_LIMITS, requestsPerSecondPerThing: 0 });

interface Window {
  start: number;
  count: number;
}

/** Windows kept before stale ones are swept, so things seen once do not pile up. */
const SWEEP_AT = 10_000;

/**
 * Admits a thing's requests: `enter` says whether one more may start now (counting it), `leave` ends
 * one that entered. The rate is counted in one-second windows, as AWS states it per second.
 */
export class ThingAdmission {
  private readonly inFlight = new Map<string, number>();
  private readonly windows = new Map<string, Window>();

  constructor(private readonly limits: Pick<ShadowLimits, 'maxInFlightPerThing' | 'requestsPerSecondPerThing'>) {}

  enter(thingName: string, nowMs: number): boolean {
    const busy = this.inFlight.get(thingName) ?? 0;
    if (this.limits.maxInFlightPerThing > 0 && busy >= this.limits.maxInFlightPerThing) return false;
    if (this.limits.requestsPerSecondPerThing > 0 && !this.countRequest(thingName, nowMs)) return false;
    this.inFlight.set(thingName, busy + 1);
    return true;
  }

  leave(thingName: string): void {
    const busy = (this.inFlight.get(thingName) ?? 1) - 1;
    if (busy > 0) this.inFlight.set(thingName, busy);
    else this.inFlight.delete(thingName);
  }

  private countRequest(thingName: string, nowMs: number): boolean {
    const window = this.windows.get(thingName);
    if (window === undefined || nowMs - window.start >= 1000 || nowMs < window.start) {
      if (this.windows.size >= SWEEP_AT) this.sweep(nowMs);
      this.windows.set(thingName, { start: nowMs, count: 1 });
      return true;
    }
    if (window.count >= this.limits.requestsPerSecondPerThing) return false;
    window.count++;
    return true;
  }

  private sweep(nowMs: number): void {
    for (const [thing, window] of this.windows) if (nowMs - window.start >= 1000) this.windows.delete(thing);
  }
}
