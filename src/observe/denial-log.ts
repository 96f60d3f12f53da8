/**
 * @module observe/denial-log
 * Explains refusals: every request the policy authorizer refused becomes a log line (pino, warn)
 * naming the principal, the action, the resource and what decided (the Deny statement, or that no
 * statement allows it), so a 403 or a PUBACK 0x87 can be understood from topicd's log, and checked
 * with `topicd policy test`. At most one line a minute per (principal, action, resource): a device
 * retrying a refused publish in a loop must not flood the log. Each line's `count` says how many
 * refusals it stands for (itself and those held back since the previous line for the same key).
 *
 * The fields are stable, for whatever counts them later (metrics, the console): `event` is
 * `authz.denied`; `principalKind`, `principal`, `clientId`, `sourceIp`, `action`, `resource`,
 * `reason` (explicit-deny, implicit-deny, principal-inactive), `statement` (one line
 * a person reads), `policy`/`statementIndex`/`sid` for an explicit deny, `policies` (the names
 * evaluated), `count`.
 */
import type { Denial } from '../auth/policy-authorizer.js';
import type { Logger } from './logger.js';

export interface DenialLogOptions {
  /** Shortest time between two lines for one (principal, action, resource); default one minute. */
  intervalMs?: number;
  /** Keys remembered at most; past it, those quiet for a whole interval are forgotten. */
  maxKeys?: number;
  now?: () => number;
}

interface Seen {
  loggedAt: number;
  heldBack: number;
}

const MINUTE_MS = 60_000;
const MAX_KEYS = 10_000;

/** What decided, in words: the line a person reads first. */
export function decidingStatement(denial: Denial): string {
  switch (denial.reason) {
    case 'explicit-deny': {
      const by = denial.decidedBy;
      return by === undefined ? 'an explicit Deny'
        : `Deny by policy ${by.policyName}, statement ${by.statementIndex}${by.sid === undefined ? '' : ` (Sid ${by.sid})`}`;
    }
    case 'implicit-deny': return denial.policies.length === 0 ? 'no statement allows it (no policy is attached)' : 'no statement allows it';
    case 'principal-inactive': return denial.principalKind === 'certificate' ? 'the certificate is not ACTIVE' : 'the access key no longer exists';
  }
}

/** An onDenied hook for the policy authorizer that logs through `log`. */
export function denialLogger(log: Logger, options: DenialLogOptions = {}): (denial: Denial) => void {
  const intervalMs = options.intervalMs ?? MINUTE_MS;
  const maxKeys = options.maxKeys ?? MAX_KEYS;
  const now = options.now ?? Date.now;
  const seen = new Map<string, Seen>();

  const forgetQuiet = (at: number): void => {
    for (const [key, entry] of seen) if (at - entry.loggedAt >= intervalMs) seen.delete(key);
    // Still full: all are recent. Forgetting them all costs at most one early line each.
    if (seen.size >= maxKeys) seen.clear();
  };

  return (denial) => {
    const at = now();
    const key = `${denial.principal}\n${denial.action}\n${denial.resource}`;
    const entry = seen.get(key);
    if (entry !== undefined && at - entry.loggedAt < intervalMs) {
      entry.heldBack += 1;
      return;
    }
    const count = 1 + (entry?.heldBack ?? 0);
    if (entry === undefined && seen.size >= maxKeys) forgetQuiet(at);
    seen.set(key, { loggedAt: at, heldBack: 0 });
    const statement = decidingStatement(denial);
    const by = denial.decidedBy;
    log.warn({
      event: 'authz.denied',
      principalKind: denial.principalKind,
      principal: denial.principal,
      ...(denial.clientId === undefined ? {} : { clientId: denial.clientId }),
      sourceIp: denial.sourceIp,
      action: denial.action,
      resource: denial.resource,
      reason: denial.reason,
      statement,
      ...(by === undefined ? {} : { policy: by.policyName, statementIndex: by.statementIndex, ...(by.sid === undefined ? {} : { sid: by.sid }) }),
      policies: denial.policies,
      count,
    }, `denied ${denial.action} on ${denial.resource}: ${statement} (\`topicd policy test\` shows the decision)`);
  };
}
