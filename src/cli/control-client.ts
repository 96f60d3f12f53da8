/**
 * @module cli/control-client
 * A small AWS IoT control-plane client for the CLI: SigV4 (service `iot`) over fetch, AWS IoT's routes
 * and JSON shapes (reference §7). It owns no policy about output; a failed call throws ControlError
 * carrying the AWS error type, so the CLI can print `topicd: <ErrorType>: <message>`.
 * It is not the AWS SDK on purpose: the CLI should start fast and pull in four small packages, not forty.
 */
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { ControlError, ControlUnreachableError } from './errors.js';

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
}

// RFC 3986 unreserved characters stay; everything else is %XX, the way SigV4 canonicalizes, so the
// query string fetch sends is byte for byte the one that was signed.
const escape = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface ThingDescription {
  thingName: string;
  thingId?: string;
  thingArn?: string;
  thingTypeName?: string;
  defaultClientId?: string;
  attributes?: Record<string, string>;
  version?: number;
  billingGroupName?: string;
}

export interface ThingAttribute {
  thingName: string;
  thingTypeName?: string;
  thingArn?: string;
  attributes?: Record<string, string>;
  version?: number;
}

export interface CertificateSummary {
  certificateArn: string;
  certificateId: string;
  status: string;
  certificateMode?: string;
  creationDate?: number;
}

export interface CertificateDescription extends CertificateSummary {
  caCertificateId?: string;
  certificatePem?: string;
  ownedBy?: string;
  lastModifiedDate?: number;
  validity?: { notBefore?: number; notAfter?: number };
  [more: string]: unknown;
}

export interface CreatedKeysAndCertificate {
  certificateArn: string;
  certificateId: string;
  certificatePem: string;
  keyPair: { PublicKey: string; PrivateKey: string };
}

export interface PolicySummary {
  policyName: string;
  policyArn: string;
}

export interface PolicyDescription extends PolicySummary {
  policyDocument: string;
  defaultVersionId: string;
  creationDate?: number;
  lastModifiedDate?: number;
  generationId?: string;
}

export interface PolicyVersionSummary {
  versionId: string;
  isDefaultVersion: boolean;
  createDate?: number;
}

export interface DecidingStatement {
  policyName: string;
  statementIndex: number;
  sid?: string;
  effect: 'Allow' | 'Deny';
}

export interface AuthResult {
  authInfo: { actionType: string; resources: string[] };
  allowed?: { policies?: PolicySummary[] };
  denied?: { implicitDeny?: { policies?: PolicySummary[] }; explicitDeny?: { policies?: PolicySummary[] } };
  authDecision: 'ALLOWED' | 'EXPLICIT_DENY' | 'IMPLICIT_DENY';
  missingContextValues?: string[];
  /** topicd's extension to TestAuthorization: the statement that decided. */
  decidedBy?: DecidingStatement;
}

export interface RegisteredCertificate {
  certificateArn: string;
  certificateId: string;
}

export interface CaCertificateSummary {
  certificateArn: string;
  certificateId: string;
  status: string;
  creationDate?: number;
}

export interface RegisterCaCertificateInput {
  caCertificate: string;
  verificationCertificate?: string | undefined;
  certificateMode?: 'DEFAULT' | 'SNI_ONLY' | undefined;
  setAsActive: boolean;
  allowAutoRegistration: boolean;
}

export class ControlClient {
  readonly url: URL;
  private readonly signer: SignatureV4;

  constructor(options: { url: string; region: string; credentials: AccessKey }) {
    this.url = new URL(options.url);
    this.signer = new SignatureV4({
      service: 'iot',
      region: options.region,
      credentials: options.credentials,
      sha256: Hash.bind(null, 'sha256'),
    });
  }

  /** One signed call; `path` segments must already be escaped (see `segment`). */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) query[k] = String(v);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const basePath = this.url.pathname.replace(/\/$/, '');
    const request = new HttpRequest({
      method,
      protocol: this.url.protocol,
      hostname: this.url.hostname,
      port: this.url.port === '' ? undefined : Number(this.url.port),
      path: `${basePath}${path}`,
      query,
      headers: {
        host: this.url.host,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body,
    });
    const signed = await this.signer.sign(request);
    const search = Object.keys(query).sort().map((k) => `${escape(k)}=${escape(query[k] ?? '')}`).join('&');
    const target = `${this.url.origin}${basePath}${path}${search === '' ? '' : `?${search}`}`;
    // fetch sets Host from the URL itself (the same value that was signed).
    const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k.toLowerCase() !== 'host'));

    let response: Response;
    try {
      response = await fetch(target, { method, headers, body });
    } catch (err) {
      throw new ControlUnreachableError(this.url.origin, err);
    }
    const text = await response.text();
    let parsed: unknown;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (!response.ok) {
      // AWS sends `Type:http://internal.amazon.com/...` in some services; the name is before the colon.
      const header = response.headers.get('x-amzn-errortype');
      const type = header?.split(':')[0] || `HTTP ${response.status}`;
      const fromBody = parsed as { message?: unknown; Message?: unknown } | undefined;
      const message = typeof fromBody?.message === 'string' ? fromBody.message
        : typeof fromBody?.Message === 'string' ? fromBody.Message
          : text.trim() || response.statusText;
      throw new ControlError(type, message, response.status);
    }
    return (parsed ?? {}) as T;
  }

  // ---- AWS IoT operations the CLI uses (reference §7) ----

  describeEndpoint(endpointType?: string): Promise<{ endpointAddress: string }> {
    return this.request('GET', '/endpoint', { query: { endpointType } });
  }

  createThing(thingName: string): Promise<{ thingName: string; thingArn: string; thingId: string }> {
    return this.request('POST', `/things/${segment(thingName)}`, { body: {} });
  }

  describeThing(thingName: string): Promise<ThingDescription> {
    return this.request('GET', `/things/${segment(thingName)}`);
  }

  listAllThings(): Promise<ThingAttribute[]> {
    return this.listAll<ThingAttribute>('/things', 'things', { token: 'nextToken', next: 'nextToken', size: 'maxResults' });
  }

  /**
   * Walks every page of a listing. AWS names the paging members per operation (nextToken/maxResults
   * for things, marker/nextMarker/pageSize for certificates), so the caller says which.
   */
  private async listAll<T>(path: string, items: string, names: { token: string; next: string; size: string }, options: { method?: string; headers?: Record<string, string> } = {}): Promise<T[]> {
    const out: T[] = [];
    let token: string | undefined;
    do {
      const page = await this.request<Record<string, unknown>>(options.method ?? 'GET', path, {
        query: { [names.token]: token, [names.size]: 250 },
        ...(options.headers === undefined ? {} : { headers: options.headers }),
      });
      out.push(...((page[items] as T[] | undefined) ?? []));
      const next = page[names.next];
      token = typeof next === 'string' && next !== '' ? next : undefined;
    } while (token);
    return out;
  }

  deleteThing(thingName: string): Promise<unknown> {
    return this.request('DELETE', `/things/${segment(thingName)}`);
  }

  createCertificateFromCsr(certificateSigningRequest: string, setAsActive: boolean): Promise<{ certificateArn: string; certificateId: string; certificatePem: string }> {
    return this.request('POST', '/certificates', { query: { setAsActive }, body: { certificateSigningRequest } });
  }

  createKeysAndCertificate(setAsActive: boolean): Promise<CreatedKeysAndCertificate> {
    return this.request('POST', '/keys-and-certificate', { query: { setAsActive } });
  }

  async describeCertificate(certificateId: string): Promise<CertificateDescription> {
    const out = await this.request<{ certificateDescription: CertificateDescription }>('GET', `/certificates/${segment(certificateId)}`);
    return out.certificateDescription;
  }

  listAllCertificates(): Promise<CertificateSummary[]> {
    return this.listAll<CertificateSummary>('/certificates', 'certificates', { token: 'marker', next: 'nextMarker', size: 'pageSize' });
  }

  updateCertificate(certificateId: string, newStatus: string): Promise<unknown> {
    return this.request('PUT', `/certificates/${segment(certificateId)}`, { query: { newStatus } });
  }

  // ---- bring your own CA ----

  getRegistrationCode(): Promise<{ registrationCode: string }> {
    return this.request('GET', '/registrationcode');
  }

  registerCaCertificate(input: RegisterCaCertificateInput): Promise<RegisteredCertificate> {
    return this.request('POST', '/cacertificate', {
      query: { setAsActive: input.setAsActive, allowAutoRegistration: input.allowAutoRegistration },
      body: { caCertificate: input.caCertificate, verificationCertificate: input.verificationCertificate, certificateMode: input.certificateMode },
    });
  }

  listAllCaCertificates(): Promise<CaCertificateSummary[]> {
    return this.listAll<CaCertificateSummary>('/cacertificates', 'certificates', { token: 'marker', next: 'nextMarker', size: 'pageSize' });
  }

  updateCaCertificate(certificateId: string, newStatus: string): Promise<unknown> {
    return this.request('PUT', `/cacertificate/${segment(certificateId)}`, { query: { newStatus } });
  }

  registerCertificate(certificatePem: string, caCertificatePem: string | undefined, status: string): Promise<RegisteredCertificate> {
    return this.request('POST', '/certificate/register', { body: { certificatePem, caCertificatePem, status } });
  }

  registerCertificateWithoutCa(certificatePem: string, status: string): Promise<RegisteredCertificate> {
    return this.request('POST', '/certificate/register-no-ca', { body: { certificatePem, status } });
  }

  attachThingPrincipal(thingName: string, principal: string): Promise<unknown> {
    return this.request('PUT', `/things/${segment(thingName)}/principals`, { headers: { 'x-amzn-principal': principal } });
  }

  detachThingPrincipal(thingName: string, principal: string): Promise<unknown> {
    return this.request('DELETE', `/things/${segment(thingName)}/principals`, { headers: { 'x-amzn-principal': principal } });
  }

  createPolicy(policyName: string, policyDocument: string): Promise<PolicySummary & { policyDocument: string; policyVersionId: string }> {
    return this.request('POST', `/policies/${segment(policyName)}`, { body: { policyDocument } });
  }

  getPolicy(policyName: string): Promise<PolicyDescription> {
    return this.request('GET', `/policies/${segment(policyName)}`);
  }

  listAllPolicies(): Promise<PolicySummary[]> {
    return this.listAll<PolicySummary>('/policies', 'policies', { token: 'marker', next: 'nextMarker', size: 'pageSize' });
  }

  async listPolicyVersions(policyName: string): Promise<PolicyVersionSummary[]> {
    const out = await this.request<{ policyVersions?: PolicyVersionSummary[] }>('GET', `/policies/${segment(policyName)}/version`);
    return out.policyVersions ?? [];
  }

  attachPolicy(policyName: string, target: string): Promise<unknown> {
    return this.request('PUT', `/target-policies/${segment(policyName)}`, { body: { target } });
  }

  detachPolicy(policyName: string, target: string): Promise<unknown> {
    return this.request('POST', `/target-policies/${segment(policyName)}`, { body: { target } });
  }

  listAllAttachedPolicies(target: string): Promise<PolicySummary[]> {
    return this.listAll<PolicySummary>(`/attached-policies/${segment(target)}`, 'policies', { token: 'marker', next: 'nextMarker', size: 'pageSize' }, { method: 'POST' });
  }

  async testAuthorization(input: { principal: string; clientId?: string; authInfos: Array<{ actionType: string; resources: string[] }> }): Promise<AuthResult[]> {
    const out = await this.request<{ authResults?: AuthResult[] }>('POST', '/test-authorization', {
      query: { clientId: input.clientId },
      body: { principal: input.principal, authInfos: input.authInfos },
    });
    return out.authResults ?? [];
  }

  async listAllThingPrincipals(thingName: string): Promise<string[]> {
    const principals: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.request<{ principals?: string[]; nextToken?: string | null }>('GET', `/things/${segment(thingName)}/principals`, {
        query: { nextToken, maxResults: 250 },
      });
      principals.push(...(page.principals ?? []));
      nextToken = page.nextToken ?? undefined;
    } while (nextToken);
    return principals;
  }
}

/** Escapes one path segment the way the AWS SDKs do before signing. */
export const segment = (s: string): string => escape(s);
