/**
 * @module observe/health
 * Readiness: a registry of named checks that the parts of a node add as they start (the listeners,
 * the store, later the bus between nodes), asked together by `GET /readyz`. A check answers true
 * when its part is ready, or says why not (false, a string, or a thrown error); one that does not
 * answer within the deadline is not ready either, so a hung store cannot hang the probe.
 * Liveness (`GET /healthz`) needs no check: a process that answers serves.
 */

/** true when ready; false or a reason when not. May throw (not ready, with the error's message). */
export type ReadinessCheck = () => boolean | string | Promise<boolean | string>;

export interface CheckResult {
  ready: boolean;
  /** Why not, when not ready. */
  reason?: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

/** How long one check may take before it counts as not ready. */
export const CHECK_TIMEOUT_MS = 2_000;

export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();

  constructor(private readonly timeoutMs = CHECK_TIMEOUT_MS) {}

  /** Adds (or replaces) the check `name`; the returned function removes it. */
  register(name: string, check: ReadinessCheck): () => void {
    this.checks.set(name, check);
    return () => {
      if (this.checks.get(name) === check) this.checks.delete(name);
    };
  }

  names(): string[] {
    return [...this.checks.keys()];
  }

  /** Runs every check at once; ready when all are. */
  async report(): Promise<ReadinessReport> {
    const entries = [...this.checks];
    const results = await Promise.all(entries.map(([, check]) => this.run(check)));
    const checks: Record<string, CheckResult> = {};
    let ready = true;
    entries.forEach(([name], i) => {
      const result = results[i]!;
      checks[name] = result;
      if (!result.ready) ready = false;
    });
    return { ready, checks };
  }

  private async run(check: ReadinessCheck): Promise<CheckResult> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<string>((resolve) => {
      timer = setTimeout(resolve, this.timeoutMs, `no answer within ${this.timeoutMs} ms`);
    });
    try {
      const answer = await Promise.race([Promise.resolve().then(check), deadline]);
      if (answer === true) return { ready: true };
      return { ready: false, reason: typeof answer === 'string' ? answer : 'not ready' };
    } catch (err) {
      return { ready: false, reason: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
    }
  }
}
