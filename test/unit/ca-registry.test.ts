/**
 * @module test/unit/ca-registry.test
 * The CA registry's rules (bring your own CA) over a real SqliteStore and Registry, with CA and device
 * certificates made by the openssl CLI: what the TLS listeners read (trusted CAs, certificates
 * registered without a CA, auto-registration) and the rules the integration test does not reach.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { isTopicdError, type AwsErrorType } from '../../src/errors.js';
import { CertificateAuthority } from '../../src/pki/certificate-authority.js';
import { CaRegistry } from '../../src/registry/ca-registry.js';
import type { CertificateRegisteredEvent } from '../../src/registry/ca-types.js';
import { Registry } from '../../src/registry/registry.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { makeCa, makeSigned, type PemFiles } from '../helpers/openssl.js';

const dir = mkdtempSync(join(tmpdir(), 'topicd-ca-registry-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let stores = 0;

const fails = (code: AwsErrorType) => (err: unknown): boolean => {
  assert.ok(isTopicdError(err), `expected a TopicdError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  return true;
};

const der = (pem: string): Uint8Array => new X509Certificate(pem).raw;

let authority: CertificateAuthority;
let caA: PemFiles;
let caB: PemFiles;
before(async () => {
  authority = await CertificateAuthority.loadOrCreate(join(dir, 'authority'));
  caA = makeCa(dir, 'ca-a');
  caB = makeCa(dir, 'ca-b');
});

interface Fixture {
  store: Store;
  registry: Registry;
  cas: CaRegistry;
  now: { ms: number };
  trustChanges: number;
  events: CertificateRegisteredEvent[];
  code: string;
}

async function fixture(): Promise<Fixture> {
  const store = SqliteStore.open(join(dir, `ca-registry-${++stores}.db`));
  const now = { ms: Date.now() };
  // Never behind the real time: openssl stamps the certificates a test makes later with its own clock
  // (notBefore to the second), and a frozen clock would find them not yet valid. Tests move it forward.
  const clock = (): number => Math.max(now.ms, Date.now());
  const registry = new Registry({ store, ca: authority, accountId: '123456789012', region: 'eu-west-1', clock });
  await registry.init();
  const cas = new CaRegistry({ store, registry, clock, onError: (err) => { throw err; } });
  await cas.init();
  const f: Fixture = { store, registry, cas, now, trustChanges: 0, events: [], code: (await cas.getRegistrationCode()).registrationCode };
  cas.onTrustChange(() => { f.trustChanges++; });
  cas.onCertificateRegistered((event) => f.events.push(event));
  return f;
}

const register = async (f: Fixture, ca: PemFiles, options: { setAsActive?: boolean; allowAutoRegistration?: boolean } = {}): Promise<string> => {
  const verification = makeSigned(dir, ca, `verification-${stores}`, f.code);
  return (await f.cas.registerCaCertificate({ caCertificate: ca.cert, verificationCertificate: verification.cert, ...options })).certificateId;
};

/** The next auto-registration's event (noticeUnregistered registers off the handshake, asynchronously). */
const nextRegistered = (f: Fixture): Promise<CertificateRegisteredEvent> =>
  new Promise((resolve) => { const off = f.cas.onCertificateRegistered((event) => { off(); resolve(event); }); });

describe('ca-registry - CA certificates and the listeners\' view', () => {
  let f: Fixture;
  beforeEach(async () => { f = await fixture(); });

  test('ca-registry - the registration code is kept in the store: a new CaRegistry answers the same one', async () => {
    const again = new CaRegistry({ store: f.store, registry: f.registry });
    assert.equal((await again.getRegistrationCode()).registrationCode, f.code);
  });

  test('ca-registry - only ACTIVE CAs are trusted; each status change, and a delete, tells the listeners', async () => {
    const id = await register(f, caA);
    assert.deepEqual([f.cas.activeCaPems(), f.trustChanges], [[], 0]);
    await f.cas.updateCaCertificate({ certificateId: id, newStatus: 'ACTIVE' });
    assert.deepEqual([f.cas.activeCaPems().map((pem) => pem.trim()), f.trustChanges], [[caA.cert.trim()], 1]);
    // A change of auto-registration only is no trust change.
    await f.cas.updateCaCertificate({ certificateId: id, newAutoRegistrationStatus: 'ENABLE' });
    assert.equal(f.trustChanges, 1);
    await f.cas.updateCaCertificate({ certificateId: id, newStatus: 'INACTIVE' });
    assert.deepEqual([f.cas.activeCaPems(), f.trustChanges], [[], 2]);
    await f.cas.deleteCaCertificate(id);
    assert.equal(f.trustChanges, 3);
    await assert.rejects(f.cas.describeCaCertificate(id), fails('ResourceNotFoundException'));
  });

  test('ca-registry - the trusted set survives a restart (init reads the store)', async () => {
    await register(f, caA, { setAsActive: true });
    const again = new CaRegistry({ store: f.store, registry: f.registry });
    await again.init();
    assert.equal(again.activeCaPems().length, 1);
  });

  test('ca-registry - UpdateCACertificate: registrationConfig is kept; removeAutoRegistration drops it and disables', async () => {
    const id = await register(f, caA, { allowAutoRegistration: true });
    await f.cas.updateCaCertificate({ certificateId: id, registrationConfig: { templateName: 'jitp' } });
    let described = await f.cas.describeCaCertificate(id);
    assert.deepEqual([described.registrationConfig, described.certificateDescription.autoRegistrationStatus], [{ templateName: 'jitp' }, 'ENABLE']);
    await assert.rejects(f.cas.updateCaCertificate({ certificateId: id, removeAutoRegistration: true, newAutoRegistrationStatus: 'ENABLE' }),
      fails('InvalidRequestException'));
    await f.cas.updateCaCertificate({ certificateId: id, removeAutoRegistration: true });
    described = await f.cas.describeCaCertificate(id);
    assert.deepEqual([described.registrationConfig, described.certificateDescription.autoRegistrationStatus], [undefined, 'DISABLE']);
    assert.equal(described.certificateDescription.customerVersion, 3);
  });

  test('ca-registry - ListCACertificates pages newest first (ascending on request); pageSize is 1..250', async () => {
    const a = await register(f, caA);
    f.now.ms = Date.now() + 1000;
    const b = await register(f, caB);
    const first = await f.cas.listCaCertificates({ pageSize: 1 });
    assert.deepEqual(first.certificates.map((c) => c.certificateId), [b]);
    const second = await f.cas.listCaCertificates({ pageSize: 1, marker: first.nextMarker });
    assert.deepEqual([second.certificates.map((c) => c.certificateId), second.nextMarker], [[a], undefined]);
    assert.deepEqual((await f.cas.listCaCertificates({ isAscendingOrder: true })).certificates.map((c) => c.certificateId), [a, b]);
    await assert.rejects(f.cas.listCaCertificates({ pageSize: 0 }), fails('InvalidRequestException'));
    await assert.rejects(f.cas.listCaCertificates({ pageSize: 251 }), fails('InvalidRequestException'));
  });

  test('ca-registry - RegisterCertificate refuses an expired certificate and a status AWS does not know', async () => {
    await register(f, caA, { setAsActive: true });
    const device = makeSigned(dir, caA, 'expiring-device');
    await assert.rejects(f.cas.registerCertificate({ certificatePem: device.cert, status: 'LIVELY' as 'ACTIVE' }), fails('InvalidRequestException'));
    f.now.ms += 10 * 86_400_000;
    await assert.rejects(f.cas.registerCertificate({ certificatePem: device.cert }), fails('CertificateValidationException'));
  });

  test('ca-registry - a certificate registered without a CA is admitted by id until it is deleted; init reloads it', async () => {
    const device = makeSigned(dir, caB, 'sni-only-device');
    const { certificateId } = await f.cas.registerCertificateWithoutCa(device.cert, 'INACTIVE');
    assert.equal(f.cas.registeredWithoutCa(certificateId), true);
    const again = new CaRegistry({ store: f.store, registry: f.registry });
    await again.init();
    assert.equal(again.registeredWithoutCa(certificateId), true);
    await f.registry.deleteCertificate(certificateId, false);
    assert.equal(f.cas.registeredWithoutCa(certificateId), false);
  });
});

describe('ca-registry - auto-registration', () => {
  let f: Fixture;
  beforeEach(async () => { f = await fixture(); });

  test('ca-registry - an unknown certificate of an ACTIVE CA with auto-registration is registered PENDING_ACTIVATION once', async () => {
    const caId = await register(f, caA, { setAsActive: true, allowAutoRegistration: true });
    const device = makeSigned(dir, caA, 'auto-device');
    const id = new X509Certificate(device.cert).fingerprint256.replace(/:/g, '').toLowerCase();
    const peer = () => ({ certificate: der(device.cert), issuer: der(caA.cert) });
    const registered = nextRegistered(f);
    // A burst of attempts registers it once; once registered, it is known and nothing more happens.
    f.cas.noticeUnregistered(id, peer);
    f.cas.noticeUnregistered(id, peer);
    await registered;
    f.cas.noticeUnregistered(id, () => { throw new Error('a registered certificate must not be read'); });
    assert.equal(f.events.length, 1);
    assert.deepEqual({ ...f.events[0], timestamp: 0, certificateRegistrationTimestamp: 0 }, {
      certificateId: id, caCertificateId: caId, timestamp: 0, certificateStatus: 'PENDING_ACTIVATION',
      awsAccountId: '123456789012', certificateRegistrationTimestamp: 0,
    });
    const described = await f.registry.describeCertificate(id);
    assert.deepEqual([described.status, described.caCertificateId], ['PENDING_ACTIVATION', caId]);
  });

  test('ca-registry - no auto-registration for a known certificate, a CA without it, or an INACTIVE CA', async () => {
    const caId = await register(f, caA, { setAsActive: true });
    const device = makeSigned(dir, caA, 'manual-device');
    const id = new X509Certificate(device.cert).fingerprint256.replace(/:/g, '').toLowerCase();
    const peer = () => ({ certificate: der(device.cert), issuer: der(caA.cert) });
    // Both refusals are decided before anything asynchronous starts.
    f.cas.noticeUnregistered(id, peer);
    await f.cas.updateCaCertificate({ certificateId: caId, newStatus: 'INACTIVE', newAutoRegistrationStatus: 'ENABLE' });
    f.cas.noticeUnregistered(id, peer);
    assert.equal(f.events.length, 0);
    await assert.rejects(f.registry.describeCertificate(id), fails('ResourceNotFoundException'));
    await f.cas.registerCertificate({ certificatePem: device.cert });
    f.cas.noticeUnregistered(id, () => { throw new Error('a known certificate must not be read'); });
  });
});
