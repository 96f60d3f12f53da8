/**
 * The control plane as AWS tools drive it: a real control plane (fastify on 127.0.0.1, ephemeral port)
 * over a real Registry, SqliteStore and CertificateAuthority in a temp data dir, called with
 * @aws-sdk/client-iot for every operation, with raw SigV4-signed fetches for what the SDK cannot
 * send (another signing name, a bad signature, no signature, a presigned URL), and with the AWS CLI
 * when it is installed. Nothing of topicd is mocked.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  AttachThingPrincipalCommand,
  CreateCertificateFromCsrCommand,
  CreateKeysAndCertificateCommand,
  CreateThingCommand,
  CreateThingTypeCommand,
  DeleteCertificateCommand,
  DeleteThingCommand,
  DescribeCertificateCommand,
  DescribeEndpointCommand,
  DescribeThingCommand,
  DetachThingPrincipalCommand,
  IoTClient,
  ListCertificatesCommand,
  type ListCertificatesCommandOutput,
  ListPrincipalThingsCommand,
  type ListPrincipalThingsCommandOutput,
  ListThingPrincipalsCommand,
  type ListThingPrincipalsCommandOutput,
  ListThingsCommand,
  UpdateCertificateCommand,
  UpdateThingCommand,
  type ThingAttribute,
} from '@aws-sdk/client-iot';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { FastifyInstance } from 'fastify';
import { SigV4Error, verifyPresignedUrl } from '../../src/auth/sigv4.js';
import { createControlPlane } from '../../src/control/server.js';
import { CaRegistry } from '../../src/registry/ca-registry.js';
import { CertificateAuthority } from '../../src/pki/certificate-authority.js';
import { x509 } from '../../src/pki/x509.js';
import { accountIdFor, ensureAdminCredentials } from '../../src/registry/access-keys.js';
import { Registry } from '../../src/registry/registry.js';
import type { RegistryApi } from '../../src/registry/types.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { rejectsWith } from '../helpers/topicd.js';

const REGION = 'us-east-1';
const ENDPOINT = 'topicd.test.local';

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

interface Rig {
  dataDir: string;
  store: SqliteStore;
  registry: Registry;
  caRegistry: CaRegistry;
  app: FastifyInstance;
  url: string;
  port: number;
  credentials: Credentials & { path: string };
  iot: IoTClient;
  accountId: string;
}

async function startRig(): Promise<Rig> {
  const dataDir = mkdtempSync(join(tmpdir(), 'topicd-control-'));
  const store = SqliteStore.open(join(dataDir, 'topicd.db'));
  const accountId = await accountIdFor(store);
  const ca = await CertificateAuthority.loadOrCreate(dataDir);
  const credentials = await ensureAdminCredentials(store, dataDir);
  const registry = new Registry({ store, ca, accountId, region: REGION });
  await registry.init();
  const caRegistry = new CaRegistry({ store, registry });
  await caRegistry.init();
  const app = await createControlPlane({ registry, caRegistry, accessKeys: store.accessKeys, endpoint: ENDPOINT, region: REGION, accountId });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  const url = `http://127.0.0.1:${address.port}`;
  const iot = new IoTClient({ endpoint: url, region: REGION, credentials, maxAttempts: 1 });
  return { dataDir, store, registry, caRegistry, app, url, port: address.port, credentials, iot, accountId };
}

async function stopRig(rig: Rig): Promise<void> {
  rig.iot.destroy();
  await rig.app.close();
  await rig.store.close();
  rmSync(rig.dataDir, { recursive: true, force: true });
}

// RFC 3986 escaping, as SigV4 canonicalizes a query.
const escape = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const queryString = (query: Record<string, string | string[] | null>): string =>
  Object.entries(query).flatMap(([k, v]) => (Array.isArray(v) ? v : [v ?? '']).map((one) => `${escape(k)}=${escape(one)}`)).join('&');

/** A request as smithy's signer returns it. */
type Signed = Awaited<ReturnType<SignatureV4['presign']>>;

interface RawRequest {
  method: string;
  /** Already escaped, as it goes on the wire. */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  /** The body's content type; application/json unless given, none when null. */
  contentType?: string | null;
}

interface SignOptions {
  service?: string;
  region?: string;
  credentials?: Credentials;
  signingDate?: Date;
}

function signer(rig: Rig, options: SignOptions): SignatureV4 {
  return new SignatureV4({
    service: options.service ?? 'iot',
    region: options.region ?? REGION,
    credentials: options.credentials ?? rig.credentials,
    sha256: Hash.bind(null, 'sha256'),
  });
}

function httpRequest(rig: Rig, req: RawRequest): HttpRequest {
  return new HttpRequest({
    method: req.method,
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: rig.port,
    path: req.path,
    query: req.query ?? {},
    headers: {
      host: `127.0.0.1:${rig.port}`,
      ...(req.body === undefined || req.contentType === null ? {} : { 'content-type': req.contentType ?? 'application/json' }),
      ...req.headers,
    },
    ...(req.body === undefined ? {} : { body: req.body }),
  });
}

/** Sends a request as signed, optionally changed after signing (to forge or tamper with it). */
async function sendSigned(rig: Rig, req: RawRequest, options: SignOptions = {}, tamper?: (signed: Signed) => void): Promise<Response> {
  const signed = await signer(rig, options).sign(httpRequest(rig, req), options.signingDate ? { signingDate: options.signingDate } : {});
  tamper?.(signed);
  return send(rig, signed);
}

function send(rig: Rig, request: Signed): Promise<Response> {
  const search = queryString(request.query as Record<string, string | string[] | null>);
  // fetch sets Host itself, from the URL: the same value that was signed.
  const headers = Object.fromEntries(Object.entries(request.headers).filter(([k]) => k.toLowerCase() !== 'host'));
  // Bytes, not a string: fetch would add a text/plain content type to a string body.
  const body = typeof request.body === 'string' ? Buffer.from(request.body) : undefined;
  return fetch(`${rig.url}${request.path}${search === '' ? '' : `?${search}`}`, { method: request.method, headers, ...(body === undefined ? {} : { body }) });
}

/** Asserts an AWS-shaped error answer: status, `x-amzn-ErrorType`, JSON `message`, request id. */
async function assertAwsError(res: Response, status: number, type: string): Promise<{ message: string }> {
  const text = await res.text();
  assert.equal(res.status, status, `status (body: ${text})`);
  assert.equal(res.headers.get('x-amzn-errortype'), type);
  assert.match(res.headers.get('x-amzn-requestid') ?? '', /^[0-9a-f-]{36}$/);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = JSON.parse(text) as { message: string };
  assert.equal(typeof body.message, 'string');
  return body;
}

async function csrPem(commonName: string): Promise<string> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${commonName}`, keys, signingAlgorithm: algorithm });
  return csr.toString('pem');
}

async function walkThings(iot: IoTClient, input: { maxResults: number; attributeName?: string; attributeValue?: string }): Promise<{ things: ThingAttribute[]; pages: number }> {
  const things: ThingAttribute[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const page = await iot.send(new ListThingsCommand({ ...input, ...(nextToken ? { nextToken } : {}) }));
    pages++;
    assert.ok((page.things ?? []).length <= input.maxResults, 'a page holds at most maxResults');
    things.push(...(page.things ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return { things, pages };
}

describe('control plane', () => {
  let rig: Rig;
  before(async () => { rig = await startRig(); });
  after(async () => { await stopRig(rig); });

  // ---- DescribeEndpoint ----

  it('DescribeEndpoint - every endpoint type answers the configured endpoint', async () => {
    for (const endpointType of ['iot:Data', 'iot:Data-ATS', 'iot:CredentialProvider', 'iot:Jobs', undefined]) {
      const out = await rig.iot.send(new DescribeEndpointCommand(endpointType === undefined ? {} : { endpointType }));
      assert.equal(out.endpointAddress, ENDPOINT, String(endpointType));
      assert.equal(out.$metadata.httpStatusCode, 200);
      assert.match(out.$metadata.requestId ?? '', /^[0-9a-f-]{36}$/, 'x-amzn-RequestId reaches the SDK');
    }
  });

  it('DescribeEndpoint - an unknown endpoint type is InvalidRequestException', async () => {
    await rejectsWith(rig.iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Nope' })), 'InvalidRequestException', 400);
  });

  // ---- things ----

  it('things - create, describe, update (merge, replace, type), version checks, delete', async () => {
    // A ':' in the name is escaped in the path, and the signature must still match (SigV4 escapes it again).
    const thingName = 'sensor:kitchen_1';
    const created = await rig.iot.send(new CreateThingCommand({ thingName, attributePayload: { attributes: { room: 'kitchen', floor: '1' } } }));
    assert.equal(created.thingName, thingName);
    assert.equal(created.thingArn, `arn:aws:iot:${REGION}:${rig.accountId}:thing/${thingName}`);
    assert.match(created.thingId ?? '', /^[0-9a-f-]{36}$/);

    // AWS: the same configuration again is idempotent; a different one is ResourceAlreadyExistsException.
    const again = await rig.iot.send(new CreateThingCommand({ thingName, attributePayload: { attributes: { room: 'kitchen', floor: '1' } } }));
    assert.equal(again.thingId, created.thingId);
    const conflict = await rejectsWith(rig.iot.send(new CreateThingCommand({ thingName, attributePayload: { attributes: { room: 'hall' } } })),
      'ResourceAlreadyExistsException', 409) as Error & { resourceId?: string; resourceArn?: string };
    assert.equal(conflict.resourceId, created.thingId);
    assert.equal(conflict.resourceArn, created.thingArn);

    const described = await rig.iot.send(new DescribeThingCommand({ thingName }));
    assert.equal(described.thingName, thingName);
    assert.equal(described.thingId, created.thingId);
    assert.equal(described.thingArn, created.thingArn);
    assert.equal(described.defaultClientId, thingName);
    assert.deepEqual(described.attributes, { room: 'kitchen', floor: '1' });
    assert.equal(described.version, 1);

    await rig.iot.send(new UpdateThingCommand({ thingName, attributePayload: { attributes: { floor: '', color: 'red' }, merge: true }, expectedVersion: 1 }));
    let now = await rig.iot.send(new DescribeThingCommand({ thingName }));
    assert.deepEqual(now.attributes, { room: 'kitchen', color: 'red' }, 'merge adds, and an empty value removes');
    assert.equal(now.version, 2);

    await rig.iot.send(new CreateThingTypeCommand({ thingTypeName: 'sensor' }));
    await rig.iot.send(new UpdateThingCommand({ thingName, attributePayload: { attributes: { only: 'this' } }, thingTypeName: 'sensor' }));
    now = await rig.iot.send(new DescribeThingCommand({ thingName }));
    assert.deepEqual(now.attributes, { only: 'this' }, 'without merge the attributes are replaced');
    assert.equal(now.thingTypeName, 'sensor');
    await rig.iot.send(new UpdateThingCommand({ thingName, removeThingType: true }));
    now = await rig.iot.send(new DescribeThingCommand({ thingName }));
    assert.equal(now.thingTypeName, undefined);
    assert.equal(now.version, 4);

    await rejectsWith(rig.iot.send(new UpdateThingCommand({ thingName, attributePayload: { attributes: { a: 'b' } }, expectedVersion: 1 })), 'VersionConflictException', 409);
    await rejectsWith(rig.iot.send(new UpdateThingCommand({ thingName, thingTypeName: 't', removeThingType: true })), 'InvalidRequestException', 400);
    await rejectsWith(rig.iot.send(new DeleteThingCommand({ thingName, expectedVersion: 3 })), 'VersionConflictException', 409);
    await rig.iot.send(new DeleteThingCommand({ thingName, expectedVersion: 4 }));
    await rejectsWith(rig.iot.send(new DescribeThingCommand({ thingName })), 'ResourceNotFoundException', 404);
    await rejectsWith(rig.iot.send(new UpdateThingCommand({ thingName, attributePayload: { attributes: {} } })), 'ResourceNotFoundException', 404);
  });

  it('things - bad names and bad attribute values are InvalidRequestException', async () => {
    await rejectsWith(rig.iot.send(new CreateThingCommand({ thingName: 'has space' })), 'InvalidRequestException', 400);
    await rejectsWith(rig.iot.send(new CreateThingCommand({ thingName: 'x'.repeat(129) })), 'InvalidRequestException', 400);
    await rejectsWith(rig.iot.send(new CreateThingCommand({ thingName: 'ok', attributePayload: { attributes: { k: 'bad value!' } } })), 'InvalidRequestException', 400);
    await rejectsWith(rig.iot.send(new DescribeThingCommand({ thingName: 'no-such-thing' })), 'ResourceNotFoundException', 404);
  });

  it('ListThings - walks every page with a small maxResults, and filters by attribute', async () => {
    const names = Array.from({ length: 7 }, (_, i) => `list-thing-${i}`);
    for (const [i, thingName] of names.entries()) {
      await rig.iot.send(new CreateThingCommand({ thingName, attributePayload: { attributes: { parity: i % 2 === 0 ? 'even' : 'odd' } } }));
    }
    const all = await walkThings(rig.iot, { maxResults: 2 });
    const listed = all.things.map((t) => t.thingName).filter((n) => n?.startsWith('list-thing-'));
    assert.deepEqual([...listed].sort(), names, 'every thing once, no duplicates across pages');
    assert.ok(all.pages >= 4, `7 things in pages of 2 take at least 4 pages (took ${all.pages})`);
    const sample = all.things.find((t) => t.thingName === 'list-thing-0');
    assert.equal(sample?.thingArn, rig.registry.thingArn('list-thing-0'));
    assert.deepEqual(sample?.attributes, { parity: 'even' });
    assert.equal(sample?.version, 1);

    const even = await walkThings(rig.iot, { maxResults: 1, attributeName: 'parity', attributeValue: 'even' });
    assert.deepEqual(even.things.map((t) => t.thingName).sort(), ['list-thing-0', 'list-thing-2', 'list-thing-4', 'list-thing-6']);

    await rejectsWith(rig.iot.send(new ListThingsCommand({ maxResults: 0 })), 'InvalidRequestException', 400);
    await rejectsWith(rig.iot.send(new ListThingsCommand({ maxResults: 251 })), 'InvalidRequestException', 400);
    await rejectsWith(rig.iot.send(new ListThingsCommand({ nextToken: 'not-a-token-we-made' })), 'InvalidRequestException', 400);
  });

  // ---- certificates ----

  it('certificates - create with keys and from a CSR, describe, update, delete rules', async () => {
    const keys = await rig.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    assert.match(keys.certificateId ?? '', /^[0-9a-f]{64}$/);
    assert.equal(keys.certificateArn, `arn:aws:iot:${REGION}:${rig.accountId}:cert/${keys.certificateId}`);
    assert.match(keys.certificatePem ?? '', /^-----BEGIN CERTIFICATE-----/);
    assert.match(keys.keyPair?.PrivateKey ?? '', /-----BEGIN RSA PRIVATE KEY-----/);
    assert.match(keys.keyPair?.PublicKey ?? '', /-----BEGIN PUBLIC KEY-----/);
    const id = keys.certificateId ?? '';

    const { certificateDescription: d } = await rig.iot.send(new DescribeCertificateCommand({ certificateId: id }));
    assert.equal(d?.certificateId, id);
    assert.equal(d?.certificateArn, keys.certificateArn);
    assert.equal(d?.status, 'ACTIVE');
    assert.equal(d?.certificatePem, keys.certificatePem);
    assert.equal(d?.ownedBy, rig.accountId);
    assert.equal(d?.certificateMode, 'DEFAULT');
    assert.ok(d?.creationDate instanceof Date && Math.abs(d.creationDate.getTime() - Date.now()) < 60_000, 'creationDate is epoch seconds, parsed by the SDK');
    assert.ok(d?.validity?.notAfter instanceof Date && d.validity.notAfter.getTime() > Date.now());

    const fromCsr = await rig.iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: await csrPem('csr-device') }));
    assert.match(fromCsr.certificateId ?? '', /^[0-9a-f]{64}$/);
    const csrDescribed = await rig.iot.send(new DescribeCertificateCommand({ certificateId: fromCsr.certificateId }));
    assert.equal(csrDescribed.certificateDescription?.status, 'INACTIVE', 'setAsActive defaults to false');
    await rejectsWith(rig.iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: 'not a csr' })), 'InvalidRequestException', 400);

    // AWS: an ACTIVE certificate is not deleted (406).
    await rejectsWith(rig.iot.send(new DeleteCertificateCommand({ certificateId: id })), 'CertificateStateException', 406);
    await rejectsWith(rig.iot.send(new UpdateCertificateCommand({ certificateId: id, newStatus: 'BOGUS' as 'ACTIVE' })), 'InvalidRequestException', 400);
    await rig.iot.send(new UpdateCertificateCommand({ certificateId: id, newStatus: 'INACTIVE' }));
    assert.equal((await rig.iot.send(new DescribeCertificateCommand({ certificateId: id }))).certificateDescription?.status, 'INACTIVE');
    assert.equal(rig.registry.certificateStatus(id), 'INACTIVE');
    await rig.iot.send(new UpdateCertificateCommand({ certificateId: id, newStatus: 'REVOKED' }));
    await rejectsWith(rig.iot.send(new UpdateCertificateCommand({ certificateId: id, newStatus: 'ACTIVE' })), 'CertificateStateException', 406);

    await rig.iot.send(new DeleteCertificateCommand({ certificateId: id, forceDelete: true }));
    await rejectsWith(rig.iot.send(new DescribeCertificateCommand({ certificateId: id })), 'ResourceNotFoundException', 404);
    await rejectsWith(rig.iot.send(new DeleteCertificateCommand({ certificateId: id })), 'ResourceNotFoundException', 404);
    await rejectsWith(rig.iot.send(new DescribeCertificateCommand({ certificateId: 'abc' })), 'InvalidRequestException', 400);
  });

  it('ListCertificates - walks every page with a small pageSize, in both orders', async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await rig.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: i % 2 === 0 }))).certificateId ?? '');
    const walk = async (ascendingOrder?: boolean): Promise<string[]> => {
      const ids: string[] = [];
      let marker: string | undefined;
      do {
        const page: ListCertificatesCommandOutput = await rig.iot.send(new ListCertificatesCommand({ pageSize: 2, ...(marker ? { marker } : {}), ...(ascendingOrder === undefined ? {} : { ascendingOrder }) }));
        assert.ok((page.certificates ?? []).length <= 2);
        for (const c of page.certificates ?? []) {
          assert.equal(c.certificateArn, rig.registry.certificateArn(c.certificateId ?? ''));
          assert.ok(c.creationDate instanceof Date);
          assert.ok(c.status === 'ACTIVE' || c.status === 'INACTIVE');
          ids.push(c.certificateId ?? '');
        }
        marker = page.nextMarker;
      } while (marker);
      return ids;
    };
    const descending = await walk();
    const ascending = await walk(true);
    assert.equal(new Set(descending).size, descending.length, 'no certificate twice');
    for (const id of made) assert.ok(descending.includes(id), 'every certificate is listed');
    assert.deepEqual([...ascending].reverse(), descending, 'isAscendingOrder reverses the order');
    await rejectsWith(rig.iot.send(new ListCertificatesCommand({ pageSize: 0 })), 'InvalidRequestException', 400);
  });

  // ---- thing principals ----

  it('principals - attach, list both ways with pages, detach, and the delete conflicts they cause', async () => {
    const things = ['owner-a', 'owner-b', 'owner-c'];
    for (const thingName of things) await rig.iot.send(new CreateThingCommand({ thingName }));
    const certs: string[] = [];
    for (let i = 0; i < 3; i++) certs.push((await rig.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: false }))).certificateArn ?? '');
    const [first = '', second = '', third = ''] = certs;

    for (const principal of certs) await rig.iot.send(new AttachThingPrincipalCommand({ thingName: 'owner-a', principal }));
    await rig.iot.send(new AttachThingPrincipalCommand({ thingName: 'owner-a', principal: first }));  // AWS: attaching twice is fine
    for (const thingName of ['owner-b', 'owner-c']) await rig.iot.send(new AttachThingPrincipalCommand({ thingName, principal: first }));

    const principals: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page: ListThingPrincipalsCommandOutput = await rig.iot.send(new ListThingPrincipalsCommand({ thingName: 'owner-a', maxResults: 1, ...(nextToken ? { nextToken } : {}) }));
      pages++;
      assert.ok((page.principals ?? []).length <= 1);
      principals.push(...(page.principals ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    assert.deepEqual([...principals].sort(), [...certs].sort());
    assert.ok(pages >= 3);

    const owned: string[] = [];
    nextToken = undefined;
    do {
      const page: ListPrincipalThingsCommandOutput = await rig.iot.send(new ListPrincipalThingsCommand({ principal: first, maxResults: 2, ...(nextToken ? { nextToken } : {}) }));
      assert.ok((page.things ?? []).length <= 2);
      owned.push(...(page.things ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    assert.deepEqual([...owned].sort(), things);

    // EXCLUSIVE_THING: refused while the principal is on another thing.
    await rejectsWith(rig.iot.send(new AttachThingPrincipalCommand({ thingName: 'owner-b', principal: second, thingPrincipalType: 'EXCLUSIVE_THING' })),
      'InvalidRequestException', 400);

    // A certificate attached to a thing is not deleted; a thing with principals is not either.
    const firstId = first.split('/').pop() ?? '';
    await rejectsWith(rig.iot.send(new DeleteCertificateCommand({ certificateId: firstId })), 'DeleteConflictException', 409);
    await rejectsWith(rig.iot.send(new DeleteThingCommand({ thingName: 'owner-b' })), 'InvalidRequestException', 400);

    for (const thingName of things) await rig.iot.send(new DetachThingPrincipalCommand({ thingName, principal: first }));
    assert.deepEqual((await rig.iot.send(new ListPrincipalThingsCommand({ principal: first }))).things, []);
    const rest = await rig.iot.send(new ListThingPrincipalsCommand({ thingName: 'owner-a' }));
    assert.deepEqual([...(rest.principals ?? [])].sort(), [second, third].sort());
    await rig.iot.send(new AttachThingPrincipalCommand({ thingName: 'owner-b', principal: first, thingPrincipalType: 'EXCLUSIVE_THING' }));
    await rig.iot.send(new DetachThingPrincipalCommand({ thingName: 'owner-b', principal: first }));
    await rig.iot.send(new DeleteCertificateCommand({ certificateId: firstId }));
    await rig.iot.send(new DeleteThingCommand({ thingName: 'owner-b' }));

    await rejectsWith(rig.iot.send(new AttachThingPrincipalCommand({ thingName: 'no-such-thing', principal: second })), 'ResourceNotFoundException', 404);
    await rejectsWith(rig.iot.send(new ListThingPrincipalsCommand({ thingName: 'no-such-thing' })), 'ResourceNotFoundException', 404);
    await rejectsWith(rig.iot.send(new ListPrincipalThingsCommand({ principal: first })), 'ResourceNotFoundException', 404);
    await rejectsWith(rig.iot.send(new ListThingPrincipalsCommand({ thingName: 'owner-a', maxResults: 251 })), 'InvalidRequestException', 400);
  });

  it('principals - a missing x-amzn-principal header is InvalidRequestException', async () => {
    const res = await sendSigned(rig, { method: 'GET', path: '/principals/things' });
    await assertAwsError(res, 400, 'InvalidRequestException');
    const attach = await sendSigned(rig, { method: 'PUT', path: '/things/owner-a/principals' });
    await assertAwsError(attach, 400, 'InvalidRequestException');
  });

  // ---- SigV4 ----

  it('SigV4 - a request signed with the wrong secret is 403 InvalidSignatureException', async () => {
    const forged = new IoTClient({ endpoint: rig.url, region: REGION, credentials: { accessKeyId: rig.credentials.accessKeyId, secretAccessKey: 'wrong-secret' }, maxAttempts: 1 });
    try {
      const err = await rejectsWith(forged.send(new ListThingsCommand({})), 'InvalidSignatureException', 403);
      assert.match(err.message, /The request signature we calculated does not match the signature you provided/);
    } finally {
      forged.destroy();
    }
  });

  it('SigV4 - an unknown access key is 403 UnrecognizedClientException', async () => {
    const stranger = new IoTClient({ endpoint: rig.url, region: REGION, credentials: { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x'.repeat(40) }, maxAttempts: 1 });
    try {
      const err = await rejectsWith(stranger.send(new DescribeEndpointCommand({})), 'UnrecognizedClientException', 403);
      assert.equal(err.message, 'The security token included in the request is invalid.');
    } finally {
      stranger.destroy();
    }
  });

  it('SigV4 - a request signed for service execute-api is accepted (the AWS CLI v1 signing name)', async () => {
    const res = await sendSigned(rig, { method: 'GET', path: '/endpoint', query: { endpointType: 'iot:Data-ATS' } }, { service: 'execute-api' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await res.json(), { endpointAddress: ENDPOINT });

    const body = JSON.stringify({ attributePayload: { attributes: { via: 'execute-api' } } });
    const created = await sendSigned(rig, { method: 'POST', path: '/things/raw%3Asigned', body }, { service: 'execute-api' });
    assert.equal(created.status, 200, await created.clone().text());
    assert.equal(((await created.json()) as { thingName: string }).thingName, 'raw:signed');
  });

  it('SigV4 - a path escaped only once in the canonical request (curl --aws-sigv4) is accepted too', async () => {
    await rig.iot.send(new CreateThingCommand({ thingName: 'once:escaped' }));
    const once = new SignatureV4({ service: 'iot', region: REGION, credentials: rig.credentials, sha256: Hash.bind(null, 'sha256'), uriEscapePath: false });
    const res = await send(rig, await once.sign(httpRequest(rig, { method: 'GET', path: '/things/once%3Aescaped' })));
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(((await res.json()) as { thingName: string }).thingName, 'once:escaped');
  });

  it('SigV4 - another signing name, region or a stale date is 403 InvalidSignatureException', async () => {
    await assertAwsError(await sendSigned(rig, { method: 'GET', path: '/things' }, { service: 's3' }), 403, 'InvalidSignatureException');
    await assertAwsError(await sendSigned(rig, { method: 'GET', path: '/things' }, { region: 'eu-west-1' }), 403, 'InvalidSignatureException');
    const stale = await assertAwsError(await sendSigned(rig, { method: 'GET', path: '/things' }, { signingDate: new Date(Date.now() - 20 * 60_000) }), 403, 'InvalidSignatureException');
    assert.match(stale.message, /Signature expired/);
    await assertAwsError(await sendSigned(rig, { method: 'GET', path: '/things' }, { signingDate: new Date(Date.now() + 20 * 60_000) }), 403, 'InvalidSignatureException');
  });

  it('SigV4 - a body or query changed after signing is refused', async () => {
    const body = JSON.stringify({ attributePayload: { attributes: { a: '1' } } });
    const tamperedBody = await sendSigned(rig, { method: 'POST', path: '/things/tampered', body }, {}, (signed) => {
      signed.body = JSON.stringify({ attributePayload: { attributes: { a: '2' } } });
    });
    await assertAwsError(tamperedBody, 403, 'InvalidSignatureException');
    const tamperedQuery = await sendSigned(rig, { method: 'GET', path: '/things', query: { maxResults: '1' } }, {}, (signed) => {
      signed.query = { maxResults: '2' };
    });
    await assertAwsError(tamperedQuery, 403, 'InvalidSignatureException');
    await rejectsWith(rig.iot.send(new DescribeThingCommand({ thingName: 'tampered' })), 'ResourceNotFoundException', 404);
  });

  it('SigV4 - a request with no Authorization is 403 MissingAuthenticationTokenException, even on an unknown route', async () => {
    for (const path of ['/things', '/endpoint?endpointType=iot:Data-ATS', '/no/such/route']) {
      const res = await fetch(`${rig.url}${path}`);
      const body = await assertAwsError(res, 403, 'MissingAuthenticationTokenException');
      assert.equal(body.message, 'Missing Authentication Token');
    }
    const garbage = await fetch(`${rig.url}/things`, { headers: { authorization: 'AWS4-HMAC-SHA256 Credential=nope' } });
    await assertAwsError(garbage, 403, 'IncompleteSignatureException');
  });

  it('SigV4 - a presigned URL is accepted, with X-Amz-Security-Token appended after signing or signed', async () => {
    const presigned = await signer(rig, {}).presign(httpRequest(rig, { method: 'GET', path: '/endpoint', query: { endpointType: 'iot:Data-ATS' } }), { expiresIn: 300 });
    const ok = await send(rig, presigned);
    assert.equal(ok.status, 200, await ok.clone().text());

    // The WebSocket recipe: sign for iotdevicegateway, then append the session token.
    const ws = await signer(rig, { service: 'iotdevicegateway' }).presign(httpRequest(rig, { method: 'GET', path: '/mqtt' }), { expiresIn: 300 });
    const wsPath = `/mqtt?${queryString(ws.query as Record<string, string>)}&X-Amz-Security-Token=${escape('session/token+=')}`;
    const opts = { lookupSecret: async (id: string) => (id === rig.credentials.accessKeyId ? rig.credentials.secretAccessKey : undefined), region: REGION, services: ['iotdevicegateway', 'iotdata'] };
    const who = await verifyPresignedUrl({ method: 'GET', path: wsPath, headers: { host: `127.0.0.1:${rig.port}` } }, opts);
    assert.equal(who.accessKeyId, rig.credentials.accessKeyId);

    const tokenSigned = await new SignatureV4({
      service: 'iotdevicegateway', region: REGION, sha256: Hash.bind(null, 'sha256'),
      credentials: { ...rig.credentials, sessionToken: 'signed-token' },
    }).presign(httpRequest(rig, { method: 'GET', path: '/mqtt' }), { expiresIn: 300 });
    const signedPath = `/mqtt?${queryString(tokenSigned.query as Record<string, string>)}`;
    assert.match(signedPath, /X-Amz-Security-Token=signed-token/);
    await verifyPresignedUrl({ method: 'GET', path: signedPath, headers: { host: `127.0.0.1:${rig.port}` } }, opts);

    await assert.rejects(verifyPresignedUrl({ method: 'GET', path: wsPath.replace('/mqtt?', '/mqttx?'), headers: { host: `127.0.0.1:${rig.port}` } }, opts),
      (err: unknown) => err instanceof SigV4Error && err.awsType === 'InvalidSignatureException' && err.status === 403);
    await assert.rejects(verifyPresignedUrl({ method: 'GET', path: wsPath, headers: { host: `127.0.0.1:${rig.port}` } }, { ...opts, now: () => Date.now() + 10 * 60_000 }),
      (err: unknown) => err instanceof SigV4Error && /expired/.test(err.message), 'past X-Amz-Expires');
  });

  // ---- the edge ----

  it('edge - an unknown route is 404 UnknownOperationException and a wrong method 405', async () => {
    await assertAwsError(await sendSigned(rig, { method: 'GET', path: '/no/such/operation' }), 404, 'UnknownOperationException');
    const wrong = await sendSigned(rig, { method: 'POST', path: '/endpoint' });
    await assertAwsError(wrong, 405, 'MethodNotAllowedException');
    assert.equal(wrong.headers.get('allow'), 'GET');
    await assertAwsError(await sendSigned(rig, { method: 'PUT', path: '/things/some-thing' }), 405, 'MethodNotAllowedException');
  });

  it('edge - a malformed JSON body, a bad boolean or a bad integer is 400 InvalidRequestException', async () => {
    await assertAwsError(await sendSigned(rig, { method: 'POST', path: '/things/json-thing', body: '{not json' }), 400, 'InvalidRequestException');
    await assertAwsError(await sendSigned(rig, { method: 'POST', path: '/things/json-thing', body: '{"attributePayload":{"attributes":{"a":1}}}' }), 400, 'InvalidRequestException');
    await assertAwsError(await sendSigned(rig, { method: 'POST', path: '/keys-and-certificate', query: { setAsActive: 'yes' } }), 400, 'InvalidRequestException');
    await assertAwsError(await sendSigned(rig, { method: 'GET', path: '/things', query: { maxResults: 'ten' } }), 400, 'InvalidRequestException');
    await assertAwsError(await sendSigned(rig, { method: 'DELETE', path: '/things/json-thing', query: { expectedVersion: '1.5' } }), 400, 'InvalidRequestException');
    await assertAwsError(await sendSigned(rig, { method: 'PUT', path: `/certificates/${'a'.repeat(64)}` }), 400, 'InvalidRequestException');
    await assertAwsError(await sendSigned(rig, { method: 'POST', path: '/certificates', body: '{}' }), 400, 'InvalidRequestException');
    await assertAwsError(await sendSigned(rig, { method: 'POST', path: '/things/billing', body: '{"billingGroupName":"bg"}' }), 404, 'ResourceNotFoundException');
  });

  it('edge - a body of any content type, or none, is read and verified', async () => {
    const res = await sendSigned(rig, { method: 'POST', path: '/things/no-content-type', body: '{"attributePayload":{"attributes":{"k":"v"}}}', contentType: null });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual((await rig.iot.send(new DescribeThingCommand({ thingName: 'no-content-type' }))).attributes, { k: 'v' });
    const odd = await sendSigned(rig, { method: 'POST', path: '/things/odd-content-type', body: '{}', contentType: 'application/x-amz-json-1.1' });
    assert.equal(odd.status, 200, await odd.clone().text());
  });

  it('edge - an operation without output answers an empty 200, others JSON with a request id', async () => {
    const cert = await rig.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: false }));
    const res = await sendSigned(rig, { method: 'PUT', path: `/certificates/${cert.certificateId ?? ''}`, query: { newStatus: 'ACTIVE' } });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '');
    assert.match(res.headers.get('x-amzn-requestid') ?? '', /^[0-9a-f-]{36}$/);
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) ids.add((await sendSigned(rig, { method: 'GET', path: '/endpoint' })).headers.get('x-amzn-requestid') ?? '');
    assert.equal(ids.size, 3, 'a new request id per request');
  });
});

describe('control plane - unexpected errors', () => {
  let rig: Rig;
  let broken: FastifyInstance;
  before(async () => {
    rig = await startRig();
    // The real registry, except that one call throws what no registry should: a plain Error.
    const registry = new Proxy(rig.registry, {
      get(target, prop, receiver) {
        if (prop === 'describeThing') return async () => { throw new Error('disk on fire'); };
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as RegistryApi;
    broken = await createControlPlane({ registry, caRegistry: rig.caRegistry, accessKeys: rig.store.accessKeys, endpoint: ENDPOINT, region: REGION, accountId: rig.accountId, logger: false });
    await broken.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await broken.close();
    await stopRig(rig);
  });

  it('edge - an unexpected error is 500 InternalFailureException and the server keeps serving', async () => {
    const address = broken.server.address();
    assert.ok(address && typeof address === 'object');
    const iot = new IoTClient({ endpoint: `http://127.0.0.1:${address.port}`, region: REGION, credentials: rig.credentials, maxAttempts: 1 });
    try {
      const err = await rejectsWith(iot.send(new DescribeThingCommand({ thingName: 'anything' })), 'InternalFailureException', 500);
      assert.doesNotMatch(err.message, /disk on fire/, 'internals stay in the log');
      assert.equal((await iot.send(new DescribeEndpointCommand({}))).endpointAddress, ENDPOINT);
    } finally {
      iot.destroy();
    }
  });
});

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command with exactly this environment (test/helpers/tools' run merges in process.env). */
function runClean(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('control plane - AWS CLI', () => {
  let rig: Rig;
  let skip: string | false = false;
  before(async () => {
    const version = spawnSync('aws', ['--version'], { encoding: 'utf8' });
    if (version.error || version.status !== 0) skip = `the aws CLI is not installed or does not run (${version.error?.message ?? version.stderr.trim()})`;
    rig = await startRig();
  });
  after(async () => { await stopRig(rig); });

  it('AWS CLI - describe-endpoint and list-things against topicd', async (t) => {
    if (skip) {
      console.log(`skipping the AWS CLI test: ${skip}`);
      t.skip(skip);
      return;
    }
    await rig.iot.send(new CreateThingCommand({ thingName: 'cli:thing', attributePayload: { attributes: { made: 'by-sdk' } } }));
    // Only the data dir's credentials: no AWS_* variable or profile of the machine may leak in.
    const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
    env.AWS_SHARED_CREDENTIALS_FILE = rig.credentials.path;
    env.AWS_CONFIG_FILE = join(rig.dataDir, 'no-aws-config');
    const aws = (args: string[]): Promise<CliRun> => runClean('aws', [...args, '--endpoint-url', rig.url, '--region', REGION, '--output', 'json'], env);

    const endpoint = await aws(['iot', 'describe-endpoint', '--endpoint-type', 'iot:Data-ATS']);
    assert.equal(endpoint.code, 0, endpoint.stderr);
    assert.deepEqual(JSON.parse(endpoint.stdout), { endpointAddress: ENDPOINT });

    const listed = await aws(['iot', 'list-things']);
    assert.equal(listed.code, 0, listed.stderr);
    const things = (JSON.parse(listed.stdout) as { things: Array<{ thingName: string; attributes: Record<string, string> }> }).things;
    assert.deepEqual(things.find((thing) => thing.thingName === 'cli:thing')?.attributes, { made: 'by-sdk' });

    const described = await aws(['iot', 'describe-thing', '--thing-name', 'cli:thing']);
    assert.equal(described.code, 0, described.stderr);
    assert.equal((JSON.parse(described.stdout) as { thingName: string }).thingName, 'cli:thing');

    const missing = await aws(['iot', 'describe-thing', '--thing-name', 'nope']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /ResourceNotFoundException/);
  });
});
