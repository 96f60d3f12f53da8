/**
 * @module auth/policy/evaluate
 * The decision, as IAM makes it (AWS IoT: "implicit deny by default, an Allow grants, an explicit
 * Deny always wins"), over every statement of every policy attached to the principal. It returns the
 * statement that decided, for `topicd policy test` and for logs; a caller caching decisions per
 * connection can cache the Decision object itself (it is frozen and shared).
 */
import type { CompiledPolicy } from './compile.js';
import type { Decision, PolicyContext, PolicyRequest } from './types.js';

/** No statement allowed the request (and none denied it). */
export const IMPLICIT_DENY: Decision = Object.freeze({ allowed: false, reason: 'implicit-deny' });

/**
 * Decides `request` for a principal with `policies` attached. The first applicable Deny (in policy,
 * then statement order) decides at once; otherwise the first applicable Allow; otherwise implicit deny.
 */
export function evaluate(policies: readonly CompiledPolicy[], request: PolicyRequest, context: PolicyContext): Decision {
  const { action, resource } = request;
  let allow: Decision | undefined;
  for (const policy of policies) {
    for (const statement of policy.statements) {
      // Once allowed, only a Deny can change the answer.
      if (allow !== undefined && statement.effect === 'Allow') continue;
      if (!statement.applies(action, resource, context)) continue;
      if (statement.effect === 'Deny') return statement.decision;
      allow = statement.decision;
    }
  }
  return allow ?? IMPLICIT_DENY;
}
