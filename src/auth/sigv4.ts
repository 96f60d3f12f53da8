/**
 * @module auth/sigv4
 * Verifies AWS Signature Version 4 on an incoming request, signed in the Authorization header (the
 * control plane, HTTPS) or in the query string (a presigned URL: MQTT over WebSocket). It owns the
 * checks AWS makes (scope, clock skew, payload hash, signature) and the AWS error types they end in;
 * it knows nothing of HTTP servers or access-key storage (the caller passes `lookupSecret`).
 *
 * Design note: the header form and the query form differ only in where the claim comes from
 * (Credential, SignedHeaders, Signature, date) and in which payload hashes and query variants a
 * client may have signed. Both are parsed into one `Claim`, and one function checks a claim. The
 * canonical request is built by @smithy/signature-v4 itself (the signer every AWS JS SDK uses), so
 * path escaping, query sorting and header folding are exactly the clients'. Where clients in the
 * field legitimately differ (a presigned URL's X-Amz-Security-Token signed or appended after
 * signing; a path escaped once or twice), the few variants are tried in turn, and only after the
 * standard one failed, so a good request costs one HMAC chain.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import {
  ALGORITHM_IDENTIFIER,
  SignatureV4Base,
  createScope,
  getCanonicalHeaders,
  getSigningKey,
} from '@smithy/signature-v4';
import { TopicdError } from '../errors.js';

/** The request as it arrived: `path` is the raw request target, query string included. */
export interface SigV4Request {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface SigV4Options {
  /** The secret of an access key; undefined when the key is unknown. */
  lookupSecret: (accessKeyId: string) => Promise<string | undefined>;
  /** The region a credential scope must name. */
  region: string;
  /** Signing names accepted in the credential scope (the control plane: `iot`, `execute-api`). */
  services: readonly string[];
  /** Clock, epoch milliseconds. */
  now?: () => number;
  /** How far the signing date may be from now; AWS allows 15 minutes. */
  maxSkewMs?: number;
}

export interface SigV4Identity {
  accessKeyId: string;
  /** The signing name the client used (one of `services`). */
  service: string;
}

/**
 * The AWS error types a signature check ends in. AWS sends these names in `x-amzn-ErrorType`; they
 * are not IoT model errors, so the TopicdError `code` stays ForbiddenException and `awsType` carries
 * the exact name for an edge that wants it.
 */
export type SigV4ErrorType =
  | 'MissingAuthenticationTokenException'
  | 'IncompleteSignatureException'
  | 'InvalidSignatureException'
  | 'UnrecognizedClientException';

export class SigV4Error extends TopicdError {
  readonly awsType: SigV4ErrorType;
  constructor(awsType: SigV4ErrorType, message: string) {
    super('ForbiddenException', message, { status: 403 });
    this.awsType = awsType;
  }
}

export const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;
/** AWS: a presigned URL lives at most 7 days. */
const MAX_PRESIGNED_EXPIRES_S = 7 * 24 * 60 * 60;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const TOKEN_QUERY = 'X-Amz-Security-Token';

// AWS's own wording, so that tools and people recognise the failure.
const MISMATCH_MESSAGE = 'The request signature we calculated does not match the signature you provided. '
  + 'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const UNKNOWN_KEY_MESSAGE = 'The security token included in the request is invalid.';

const sha256 = Hash.bind(null, 'sha256');

/** Exposes the protected canonical-request builder of smithy's signer; it signs nothing itself. */
class CanonicalRequestBuilder extends SignatureV4Base {
  constructor(uriEscapePath: boolean) {
    super({ service: 'unused', region: 'unused', credentials: { accessKeyId: '', secretAccessKey: '' }, sha256, uriEscapePath });
  }

  async stringToSign(request: HttpRequest, canonicalHeaders: Record<string, string>, payloadHash: string, longDate: string, scope: string): Promise<string> {
    return this.createStringToSign(longDate, scope, this.createCanonicalRequest(request, canonicalHeaders, payloadHash), ALGORITHM_IDENTIFIER);
  }
}

// Every AWS SDK and the AWS CLI escape the (already escaped) path again: the SigV4 rule for all
// services but S3. Some hand-rolled signers (curl's --aws-sigv4 among them) escape it once.
const PATH_ENCODINGS = [new CanonicalRequestBuilder(true), new CanonicalRequestBuilder(false)];

/** What a request claims about its signature, from the header or the query string. */
interface Claim {
  accessKeyId: string;
  scopeDate: string;
  scopeRegion: string;
  scopeService: string;
  scopeTerminator: string;
  signedHeaders: string[];
  signature: string;
  /** ISO 8601 basic form, as it goes into the string to sign. */
  longDate: string;
  /** Query form only: seconds the URL is valid for. */
  expiresS: number | undefined;
  /** Payload hashes the client may have signed, the likely one first. */
  payloadHashes: string[];
  /** Query maps the client may have signed, the likely one first (X-Amz-Signature is skipped by the builder). */
  queries: Array<Record<string, string | string[]>>;
}

/**
 * Verifies a request signed in its Authorization header; a request without one but with
 * `X-Amz-Algorithm` in its query is checked as a presigned URL.
 */
export async function verifySigV4(req: SigV4Request, opts: SigV4Options): Promise<SigV4Identity> {
  const { pathname, query } = splitTarget(req.path);
  return verifyClaim(requestClaim(req, req.body, query), req, pathname, opts);
}

/**
 * The checks of `verifySigV4` that need no body: the claim's form, its scope and date, the signed
 * headers present, the access key known. For a server answering `Expect: 100-continue`, so that such
 * a request is refused before its body is sent; the signature, which covers the body, is checked by
 * `verifySigV4` once the body is in.
 */
export async function precheckSigV4(req: Omit<SigV4Request, 'body'>, opts: SigV4Options): Promise<void> {
  await checkClaim(requestClaim(req, undefined, splitTarget(req.path).query), req, opts);
}

/** The claim of a request signed in its Authorization header or, without one, by a presigned URL. */
function requestClaim(req: Omit<SigV4Request, 'body'>, body: Buffer | undefined, query: Record<string, string | string[]>): Claim {
  const authorization = headerValue(req.headers, 'authorization');
  if (authorization !== undefined) return headerClaim(req, body, authorization, query);
  if (hasKey(query, 'X-Amz-Algorithm')) return presignedClaim(body, query);
  throw new SigV4Error('MissingAuthenticationTokenException', 'Missing Authentication Token');
}

/**
 * Verifies a presigned URL (`X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=...` in the query), as
 * MQTT-over-WebSocket clients send it. AWS: X-Amz-Security-Token may be appended after signing.
 */
export async function verifyPresignedUrl(req: Omit<SigV4Request, 'body'> & { body?: Buffer }, opts: SigV4Options): Promise<SigV4Identity> {
  const { pathname, query } = splitTarget(req.path);
  if (!hasKey(query, 'X-Amz-Algorithm')) throw new SigV4Error('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const full: SigV4Request = { ...req, body: req.body ?? Buffer.alloc(0) };
  return verifyClaim(presignedClaim(full.body, query), full, pathname, opts);
}

// ---- the one check ----

/** What a claim's signature is checked with, once the claim passed every check but the signature's. */
interface CheckedClaim {
  headers: Record<string, string>;
  canonicalHeaders: Record<string, string>;
  secret: string;
}

async function checkClaim(claim: Claim, req: Omit<SigV4Request, 'body'>, opts: SigV4Options): Promise<CheckedClaim> {
  if (claim.scopeTerminator !== 'aws4_request') {
    throw new SigV4Error('InvalidSignatureException', `Credential should be scoped with a valid terminator: 'aws4_request', not '${claim.scopeTerminator}'.`);
  }
  if (claim.scopeRegion !== opts.region) {
    throw new SigV4Error('InvalidSignatureException', `Credential should be scoped to a valid region, not '${claim.scopeRegion}'.`);
  }
  if (!opts.services.includes(claim.scopeService)) {
    throw new SigV4Error('InvalidSignatureException', `Credential should be scoped to correct service: '${opts.services[0] ?? ''}'.`);
  }
  if (claim.scopeDate !== claim.longDate.slice(0, 8)) {
    throw new SigV4Error('InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${claim.scopeDate}' != '${claim.longDate.slice(0, 8)}', from '${claim.longDate}'.`);
  }
  checkTime(claim, opts);
  if (!claim.signedHeaders.includes('host')) {
    throw new SigV4Error('InvalidSignatureException', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }

  const headers: Record<string, string> = {};
  for (const name of claim.signedHeaders) {
    const value = headerValue(req.headers, name);
    if (value === undefined) throw new SigV4Error('InvalidSignatureException', MISMATCH_MESSAGE);
    headers[name] = value;
  }
  // Only the signed headers are in the request, and all are declared signable, so smithy folds
  // exactly the client's list (even names it would never sign on its own, such as user-agent).
  const canonicalHeaders = getCanonicalHeaders({ headers } as unknown as HttpRequest, undefined, new Set(claim.signedHeaders));

  const secret = await opts.lookupSecret(claim.accessKeyId);
  if (secret === undefined) throw new SigV4Error('UnrecognizedClientException', UNKNOWN_KEY_MESSAGE);
  return { headers, canonicalHeaders, secret };
}

async function verifyClaim(claim: Claim, req: SigV4Request, pathname: string, opts: SigV4Options): Promise<SigV4Identity> {
  const { headers, canonicalHeaders, secret } = await checkClaim(claim, req, opts);
  const scope = createScope(claim.scopeDate, claim.scopeRegion, claim.scopeService);
  const key = await getSigningKey(sha256, { accessKeyId: claim.accessKeyId, secretAccessKey: secret }, claim.scopeDate, claim.scopeRegion, claim.scopeService);
  const given = Buffer.from(claim.signature, 'utf8');
  for (const builder of PATH_ENCODINGS) {
    for (const query of claim.queries) {
      const request = new HttpRequest({ method: req.method.toUpperCase(), path: pathname, query, headers });
      for (const payloadHash of claim.payloadHashes) {
        const stringToSign = await builder.stringToSign(request, canonicalHeaders, payloadHash, claim.longDate, scope);
        const hmac = new sha256(key);
        hmac.update(stringToSign);
        const expected = Buffer.from(Buffer.from(await hmac.digest()).toString('hex'), 'utf8');
        if (expected.length === given.length && timingSafeEqual(expected, given)) {
          return { accessKeyId: claim.accessKeyId, service: claim.scopeService };
        }
      }
    }
  }
  throw new SigV4Error('InvalidSignatureException', MISMATCH_MESSAGE);
}

function checkTime(claim: Claim, opts: SigV4Options): void {
  const signedAt = parseLongDate(claim.longDate);
  if (signedAt === undefined) {
    throw new SigV4Error('IncompleteSignatureException', `Date must be in ISO-8601 'basic format'. Got '${claim.longDate}'.`);
  }
  const now = opts.now?.() ?? Date.now();
  const skew = opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  if (signedAt - skew > now) {
    throw new SigV4Error('InvalidSignatureException',
      `Signature not yet current: ${claim.longDate} is still later than ${toLongDate(now + skew)} (${toLongDate(now)} + ${skew / 60_000} min.)`);
  }
  if (claim.expiresS === undefined) {
    if (signedAt + skew < now) {
      throw new SigV4Error('InvalidSignatureException',
        `Signature expired: ${claim.longDate} is now earlier than ${toLongDate(now - skew)} (${toLongDate(now)} - ${skew / 60_000} min.)`);
    }
  } else if (signedAt + claim.expiresS * 1000 < now) {
    throw new SigV4Error('InvalidSignatureException', 'Signature expired: the presigned URL is past its X-Amz-Expires.');
  }
}

// ---- where a claim comes from ----

/** `body` undefined: not read yet (precheckSigV4); the claim then holds no payload hash. */
function headerClaim(req: Omit<SigV4Request, 'body'>, body: Buffer | undefined, authorization: string, query: Record<string, string | string[]>): Claim {
  const space = authorization.indexOf(' ');
  const algorithm = space < 0 ? authorization : authorization.slice(0, space);
  if (algorithm !== ALGORITHM_IDENTIFIER) {
    throw new SigV4Error('IncompleteSignatureException', `Unsupported AWS 'algorithm': '${algorithm}'. Only '${ALGORITHM_IDENTIFIER}' is accepted.`);
  }
  const parts = new Map<string, string>();
  for (const part of authorization.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) parts.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((name) => !parts.get(name));
  if (missing.length > 0) {
    throw new SigV4Error('IncompleteSignatureException', missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' '));
  }
  const amzDate = headerValue(req.headers, 'x-amz-date');
  const httpDate = headerValue(req.headers, 'date');
  let longDate: string;
  if (amzDate !== undefined) longDate = amzDate;
  else if (httpDate !== undefined && !Number.isNaN(Date.parse(httpDate))) longDate = toLongDate(Date.parse(httpDate));
  else throw new SigV4Error('IncompleteSignatureException', "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");

  const declared = headerValue(req.headers, 'x-amz-content-sha256');
  const payloadHashes: string[] = [];
  if (body !== undefined) {
    const bodyHash = createHash('sha256').update(body).digest('hex');
    if (declared !== undefined && declared !== bodyHash && !(declared === UNSIGNED_PAYLOAD && body.length === 0)) {
      throw new SigV4Error('InvalidSignatureException', "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    payloadHashes.push(declared ?? bodyHash);
  }
  return {
    ...parseCredential(parts.get('Credential') ?? ''),
    signedHeaders: (parts.get('SignedHeaders') ?? '').split(';').map((h) => h.trim().toLowerCase()).filter((h) => h !== ''),
    signature: parts.get('Signature') ?? '',
    longDate,
    expiresS: undefined,
    payloadHashes,
    queries: [query],
  };
}

function presignedClaim(body: Buffer | undefined, query: Record<string, string | string[]>): Claim {
  const param = (name: string): string | undefined => {
    const value = query[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const algorithm = param('X-Amz-Algorithm');
  if (algorithm !== ALGORITHM_IDENTIFIER) {
    throw new SigV4Error('IncompleteSignatureException', `Unsupported AWS 'algorithm': '${algorithm ?? ''}'. Only '${ALGORITHM_IDENTIFIER}' is accepted.`);
  }
  const missing = ['X-Amz-Credential', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Signature'].filter((name) => !param(name));
  if (missing.length > 0) {
    throw new SigV4Error('IncompleteSignatureException', missing.map((name) => `AWS query-string parameters must include '${name}'.`).join(' '));
  }
  let expiresS: number | undefined;
  const expires = param('X-Amz-Expires');
  if (expires !== undefined) {
    expiresS = /^\d{1,7}$/.test(expires) ? Number(expires) : NaN;
    if (!(expiresS >= 1 && expiresS <= MAX_PRESIGNED_EXPIRES_S)) {
      throw new SigV4Error('IncompleteSignatureException', `X-Amz-Expires must be a number of seconds from 1 to ${MAX_PRESIGNED_EXPIRES_S}.`);
    }
  }
  // AWS IoT's WebSocket recipe appends the session token after signing; some clients sign it.
  const queries = [query];
  if (hasKey(query, TOKEN_QUERY)) {
    const withoutToken = { ...query };
    delete withoutToken[TOKEN_QUERY];
    queries.unshift(withoutToken);
  }
  // A presigned URL does not say which payload hash it signed: AWS IoT's recipe uses the empty
  // body's, S3-style signers UNSIGNED-PAYLOAD. The latter is taken only when there is no body to protect.
  const payloadHashes = body === undefined ? [] : body.length === 0 ? [EMPTY_SHA256, UNSIGNED_PAYLOAD] : [createHash('sha256').update(body).digest('hex')];
  return {
    ...parseCredential(param('X-Amz-Credential') ?? ''),
    signedHeaders: (param('X-Amz-SignedHeaders') ?? '').split(';').map((h) => h.trim().toLowerCase()).filter((h) => h !== ''),
    signature: param('X-Amz-Signature') ?? '',
    longDate: param('X-Amz-Date') ?? '',
    expiresS,
    payloadHashes,
    queries,
  };
}

function parseCredential(credential: string): Pick<Claim, 'accessKeyId' | 'scopeDate' | 'scopeRegion' | 'scopeService' | 'scopeTerminator'> {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) {
    throw new SigV4Error('IncompleteSignatureException',
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`);
  }
  const [accessKeyId, scopeDate, scopeRegion, scopeService, scopeTerminator] = parts as [string, string, string, string, string];
  return { accessKeyId, scopeDate, scopeRegion, scopeService, scopeTerminator };
}

// ---- small parsers ----

function headerValue(headers: SigV4Request['headers'], name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(',') : value;
}

function hasKey(query: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(query, key);
}

/** Splits a raw request target; query values are decoded (`+` stays a plus, as SigV4 canonicalizes). */
function splitTarget(target: string): { pathname: string; query: Record<string, string | string[]> } {
  const q = target.indexOf('?');
  const pathname = q < 0 ? target : target.slice(0, q);
  const query: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  if (q >= 0) {
    for (const pair of target.slice(q + 1).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const key = decode(eq < 0 ? pair : pair.slice(0, eq));
      const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
      const prior = query[key];
      query[key] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
    }
  }
  return { pathname: pathname === '' ? '/' : pathname, query };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new SigV4Error('IncompleteSignatureException', 'The query string is not valid percent-encoding.');
  }
}

const LONG_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function parseLongDate(s: string): number | undefined {
  const m = LONG_DATE.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, se);
  return Number.isNaN(ms) ? undefined : ms;
}

function toLongDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}
