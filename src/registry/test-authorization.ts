/**
 * @module registry/test-authorization
 * AWS TestAuthorization's rules, apart from where the principal's policies and context come from:
 * which authInfos are valid, and how each one's decision and per-policy lists are made.
 */
import { evaluate } from '../auth/policy/index.js';
import type { CompiledPolicy, Decision, PolicyContext } from '../auth/policy/index.js';
import { invalidRequest } from '../errors.js';
import type { AuthInfo, AuthResult, PolicySummary } from './policy-types.js';

/** AWS: TestAuthorization takes 1..10 authInfos. */
const MAX_AUTH_INFOS = 10;

/** TestAuthorization's actionType -> the policy action it checks. */
export const AUTH_ACTIONS = { PUBLISH: 'iot:Publish', SUBSCRIBE: 'iot:Subscribe', RECEIVE: 'iot:Receive', CONNECT: 'iot:Connect' } as const;
export type AuthActionType = keyof typeof AUTH_ACTIONS;

export interface AuthRequest {
  info: AuthInfo;
  action: string;
}

/** The authInfos checked as AWS checks them (InvalidRequestException naming the member). */
export function checkAuthInfos(authInfos: AuthInfo[]): AuthRequest[] {
  if (!Array.isArray(authInfos) || authInfos.length < 1 || authInfos.length > MAX_AUTH_INFOS) {
    throw invalidRequest(`1 validation error detected: Value at 'authInfos' failed to satisfy constraint: Member must have length between 1 and ${MAX_AUTH_INFOS}`);
  }
  return authInfos.map((info, i) => {
    const type = info.actionType;
    if (type === undefined || !Object.hasOwn(AUTH_ACTIONS, type)) {
      throw invalidRequest(`1 validation error detected: Value '${String(type)}' at 'authInfos.${i + 1}.member.actionType' failed to satisfy constraint: Member must satisfy enum value set: [${Object.keys(AUTH_ACTIONS).join(', ')}]`);
    }
    if (!Array.isArray(info.resources) || info.resources.length < 1 || info.resources.some((r) => typeof r !== 'string' || r === '')) {
      throw invalidRequest(`authInfos.${i + 1}.resources must hold at least one resource ARN.`);
    }
    return { info, action: AUTH_ACTIONS[type as AuthActionType] };
  });
}

/**
 * Each request's action on each of its resources, decided over `policies` in `context`: ALLOWED only
 * when every resource is allowed, EXPLICIT_DENY when any is denied by a statement. The policy lists say,
 * per policy on its own, which allowed or denied.
 */
export function authResultsFor(requests: AuthRequest[], policies: CompiledPolicy[], context: PolicyContext,
  summary: (policyName: string) => PolicySummary): AuthResult[] {
  return requests.map(({ info, action }): AuthResult => {
    const decisions = info.resources.map((resource) => evaluate(policies, { action, resource }, context));
    const denied = decisions.find((d) => d.reason === 'explicit-deny');
    const implicit = decisions.find((d) => d.reason === 'implicit-deny');
    const deciding: Decision = denied ?? implicit ?? decisions[0] ?? { allowed: false, reason: 'implicit-deny' };
    const allowed: PolicySummary[] = [];
    const implicitDeny: PolicySummary[] = [];
    const explicitDeny: PolicySummary[] = [];
    for (const policy of policies) {
      const own = info.resources.map((resource) => evaluate([policy], { action, resource }, context));
      const list = own.some((d) => d.reason === 'explicit-deny') ? explicitDeny : own.every((d) => d.allowed) ? allowed : implicitDeny;
      list.push(summary(policy.name));
    }
    return {
      authInfo: { actionType: info.actionType as string, resources: [...info.resources] },
      allowed: { policies: allowed },
      denied: { implicitDeny: { policies: implicitDeny }, explicitDeny: { policies: explicitDeny } },
      authDecision: denied ? 'EXPLICIT_DENY' : implicit ? 'IMPLICIT_DENY' : 'ALLOWED',
      missingContextValues: [],
      ...(deciding.decidedBy === undefined ? {} : { decidedBy: { ...deciding.decidedBy } }),
    };
  });
}
