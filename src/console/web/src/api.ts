/**
 * @module console/web/api
 * The console's calls: AWS IoT control-plane operations on their own routes (the same the AWS SDK
 * calls; the console's session cookie and header stand in for SigV4), and the console's few routes
 * under /console/api. Errors keep AWS's error type and message.
 */
import { CONSOLE_HEADER, type ListConnectionsResponse, type ListRetainedResponse, type RetainedMessageResponse, type SessionInfo, type SignInRequest, type StatsResponse, type ThingShadowsResponse } from '../../api-types';

export class ApiError extends Error {
  constructor(readonly type: string, readonly status: number, message: string) {
    super(message);
    this.name = type;
  }
}

type Query = Record<string, string | number | boolean | undefined>;

interface CallOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
}

let onSignedOut: () => void = () => undefined;
/** Called when a call finds the session gone (401), so the app can show the sign-in page. */
export function whenSignedOut(callback: () => void): void {
  onSignedOut = callback;
}

const label = (value: string): string => encodeURIComponent(value);

export async function call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const query = Object.entries(options.query ?? {}).filter((e): e is [string, string | number | boolean] => e[1] !== undefined && e[1] !== '');
  const url = query.length === 0 ? path : `${path}?${new URLSearchParams(query.map(([k, v]) => [k, String(v)])).toString()}`;
  const headers: Record<string, string> = { [CONSOLE_HEADER]: '1', ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const response = await fetch(url, { method, headers, body, credentials: 'same-origin' });
  const text = await response.text();
  if (!response.ok) {
    let message = text || response.statusText;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // not JSON: the text itself
    }
    const error = new ApiError(response.headers.get('x-amzn-ErrorType') ?? `HTTP ${response.status}`, response.status, message);
    if (response.status === 401 && path !== '/console/api/session') onSignedOut();
    throw error;
  }
  if (text === '') return undefined as T;
  return (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) as T : text as T;
}

// ---- console routes ----
export const consoleApi = {
  signIn: (request: SignInRequest) => call<SessionInfo>('POST', '/console/api/session', { body: request }),
  session: () => call<SessionInfo>('GET', '/console/api/session'),
  signOut: () => call<void>('DELETE', '/console/api/session'),
  rootCa: () => call<string>('GET', '/console/api/root-ca'),
  connections: () => call<ListConnectionsResponse>('GET', '/console/api/connections'),
  disconnect: (clientId: string, cleanSession: boolean) => call<void>('DELETE', `/console/api/connections/${label(clientId)}`, { query: { cleanSession } }),
  retained: (nextToken?: string) => call<ListRetainedResponse>('GET', '/console/api/retained', { query: { maxResults: 50, nextToken } }),
  retainedMessage: (topic: string) => call<RetainedMessageResponse>('GET', '/console/api/retained/message', { query: { topic } }),
  deleteRetained: (topic: string) => call<void>('DELETE', '/console/api/retained/message', { query: { topic } }),
  stats: () => call<StatsResponse>('GET', '/console/api/stats'),
  shadows: (thingName: string) => call<ThingShadowsResponse>('GET', `/console/api/things/${label(thingName)}/shadows`),
};

// ---- AWS IoT shapes (the members the pages read) ----
export interface ThingSummary { thingName: string; thingArn: string; thingTypeName?: string; attributes?: Record<string, string>; version?: number }
export interface Thing extends ThingSummary { thingId: string; defaultClientId?: string }
export interface CertificateSummary { certificateArn: string; certificateId: string; status: string; creationDate?: number }
export interface CertificateDescription extends CertificateSummary { certificatePem: string; lastModifiedDate?: number; validity?: { notBefore?: number; notAfter?: number } }
export interface PolicySummary { policyName: string; policyArn: string }
export interface Policy extends PolicySummary { policyDocument: string; defaultVersionId: string; creationDate?: number; lastModifiedDate?: number }
export interface PolicyVersion { versionId: string; isDefaultVersion: boolean; createDate?: number }
export interface AuthResult {
  authInfo: { actionType: string; resources: string[] };
  authDecision: 'ALLOWED' | 'EXPLICIT_DENY' | 'IMPLICIT_DENY';
  allowed?: { policies?: PolicySummary[] };
  denied?: { implicitDeny?: { policies?: PolicySummary[] }; explicitDeny?: { policies?: PolicySummary[] } };
  decidedBy?: { policyName: string; statementIndex: number; sid?: string; effect: 'Allow' | 'Deny' };
}

// ---- AWS IoT control-plane operations ----
export const iot = {
  listThings: (q: { nextToken?: string; maxResults?: number; attributeName?: string; attributeValue?: string; thingTypeName?: string }) =>
    call<{ things: ThingSummary[]; nextToken?: string }>('GET', '/things', { query: q }),
  describeThing: (name: string) => call<Thing>('GET', `/things/${label(name)}`),
  createThing: (name: string, input: { thingTypeName?: string; attributePayload?: { attributes: Record<string, string> } }) =>
    call<{ thingName: string; thingArn: string; thingId: string }>('POST', `/things/${label(name)}`, { body: input }),
  deleteThing: (name: string) => call<void>('DELETE', `/things/${label(name)}`),
  listThingPrincipals: (name: string) => call<{ principals: string[]; nextToken?: string }>('GET', `/things/${label(name)}/principals`, { query: { maxResults: 250 } }),
  attachThingPrincipal: (name: string, principal: string) => call<void>('PUT', `/things/${label(name)}/principals`, { headers: { 'x-amzn-principal': principal } }),
  detachThingPrincipal: (name: string, principal: string) => call<void>('DELETE', `/things/${label(name)}/principals`, { headers: { 'x-amzn-principal': principal } }),
  listPrincipalThings: (principal: string) => call<{ things: string[] }>('GET', '/principals/things', { headers: { 'x-amzn-principal': principal }, query: { maxResults: 250 } }),
  listThingTypes: () => call<{ thingTypes: Array<{ thingTypeName: string }> }>('GET', '/thing-types', { query: { maxResults: 250 } }),

  listCertificates: (marker?: string) => call<{ certificates: CertificateSummary[]; nextMarker?: string }>('GET', '/certificates', { query: { marker, pageSize: 25 } }),
  describeCertificate: (id: string) => call<{ certificateDescription: CertificateDescription }>('GET', `/certificates/${label(id)}`),
  updateCertificate: (id: string, newStatus: string) => call<void>('PUT', `/certificates/${label(id)}`, { query: { newStatus } }),
  createCertificateFromCsr: (csr: string) =>
    call<{ certificateArn: string; certificateId: string; certificatePem: string }>('POST', '/certificates', { query: { setAsActive: true }, body: { certificateSigningRequest: csr } }),

  listPolicies: (marker?: string) => call<{ policies: PolicySummary[]; nextMarker?: string }>('GET', '/policies', { query: { marker, pageSize: 50 } }),
  getPolicy: (name: string) => call<Policy>('GET', `/policies/${label(name)}`),
  createPolicy: (name: string, policyDocument: string) => call<PolicySummary & { policyVersionId: string }>('POST', `/policies/${label(name)}`, { body: { policyDocument } }),
  deletePolicy: (name: string) => call<void>('DELETE', `/policies/${label(name)}`),
  createPolicyVersion: (name: string, policyDocument: string, setAsDefault: boolean) =>
    call<{ policyVersionId: string }>('POST', `/policies/${label(name)}/version`, { body: { policyDocument, setAsDefault } }),
  listPolicyVersions: (name: string) => call<{ policyVersions: PolicyVersion[] }>('GET', `/policies/${label(name)}/version`),
  getPolicyVersion: (name: string, id: string) => call<{ policyDocument: string; policyVersionId: string; isDefaultVersion: boolean }>('GET', `/policies/${label(name)}/version/${label(id)}`),
  setDefaultPolicyVersion: (name: string, id: string) => call<void>('PATCH', `/policies/${label(name)}/version/${label(id)}`),
  deletePolicyVersion: (name: string, id: string) => call<void>('DELETE', `/policies/${label(name)}/version/${label(id)}`),
  attachPolicy: (name: string, target: string) => call<void>('PUT', `/target-policies/${label(name)}`, { body: { target } }),
  detachPolicy: (name: string, target: string) => call<void>('POST', `/target-policies/${label(name)}`, { body: { target } }),
  listAttachedPolicies: (target: string) => call<{ policies: PolicySummary[] }>('POST', `/attached-policies/${label(target)}`, { query: { pageSize: 250 } }),
  listTargetsForPolicy: (name: string) => call<{ targets: string[] }>('POST', `/policy-targets/${label(name)}`, { query: { pageSize: 250 } }),
  testAuthorization: (input: { principal: string; clientId?: string; authInfos: Array<{ actionType: string; resources: string[] }> }) =>
    call<{ authResults: AuthResult[] }>('POST', '/test-authorization', { query: { clientId: input.clientId }, body: { principal: input.principal, authInfos: input.authInfos } }),
};

/** A readable message for any thrown value. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return `${err.message} (${err.type})`;
  return err instanceof Error ? err.message : String(err);
}
