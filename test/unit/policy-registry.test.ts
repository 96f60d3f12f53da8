/**
 * @module test/unit/policy-registry.test
 * PolicyRegistry's limits under concurrent requests, over a real SqliteStore and Registry in a temp
 * dir: the compare-and-set writes and the store's atomic attach keep AWS's limits however requests
 * interleave. (Every operation's AWS behaviour is covered through the SDK in
 * test/integration/policies.test.ts.)
 */
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { isTopicdError } from '../../src/errors.js';
import { CertificateAuthority } from '../../src/pki/certificate-authority.js';
import { x509 } from '../../src/pki/x509.js';
import { MAX_POLICIES_PER_TARGET, MAX_POLICY_VERSIONS } from '../../src/registry/policy-registry.js';
import { Registry } from '../../src/registry/registry.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'topicd-policy-registry-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let stores = 0;
let ca: CertificateAuthority;
before(async () => { ca = await CertificateAuthority.loadOrCreate(join(dir, 'ca')); });

const DOC = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] });

const codeOf = (result: PromiseSettledResult<unknown>): string =>
  result.status === 'fulfilled' ? 'ok' : isTopicdError(result.reason) ? result.reason.code : String(result.reason);

describe('policy registry - limits under concurrency', () => {
  let registry: Registry;
  beforeEach(async () => {
    const store = SqliteStore.open(join(dir, `policies-${++stores}.db`));
    registry = new Registry({ store, ca, accountId: '123456789012', region: 'eu-west-1' });
    await registry.init();
  });

  test('policy registry - concurrent CreatePolicyVersion calls stop at five versions with distinct ids', async () => {
    await registry.policies.createPolicy('p', DOC);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => registry.policies.createPolicyVersion('p', DOC, true)));
    const codes = results.map(codeOf);
    assert.equal(codes.filter((c) => c === 'ok').length, MAX_POLICY_VERSIONS - 1, codes.join());
    assert.ok(codes.every((c) => c === 'ok' || c === 'VersionsLimitExceededException'), codes.join());
    const versions = (await registry.policies.listPolicyVersions('p')).policyVersions;
    assert.deepEqual(versions.map((v) => v.versionId), ['5', '4', '3', '2', '1']);
    assert.equal(versions.filter((v) => v.isDefaultVersion).length, 1);
  });

  test('policy registry - concurrent AttachPolicy calls stop at ten per target', async () => {
    const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=device', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } });
    const cert = await registry.createCertificateFromCsr(csr.toString('pem'), true);
    const names = Array.from({ length: 14 }, (_, i) => `p${i}`);
    for (const name of names) await registry.policies.createPolicy(name, DOC);
    const results = await Promise.allSettled(names.map((name) => registry.policies.attachPolicy(name, cert.certificateArn)));
    const codes = results.map(codeOf);
    assert.equal(codes.filter((c) => c === 'ok').length, MAX_POLICIES_PER_TARGET, codes.join());
    assert.ok(codes.every((c) => c === 'ok' || c === 'LimitExceededException'), codes.join());
    assert.equal((await registry.policies.listAttachedPolicies(cert.certificateArn, { pageSize: 250 })).policies.length, MAX_POLICIES_PER_TARGET);
    assert.equal(registry.authorization.policiesOf(cert.certificateArn).length, MAX_POLICIES_PER_TARGET, 'the view agrees with the store');
  });

  test('policy registry - SetDefaultPolicyVersion racing DeletePolicyVersion never leaves a missing default', async () => {
    await registry.policies.createPolicy('p', DOC);
    await registry.policies.createPolicyVersion('p', DOC, false);
    const results = await Promise.allSettled([
      registry.policies.setDefaultPolicyVersion('p', '2'),
      registry.policies.deletePolicyVersion('p', '2'),
    ]);
    const policy = await registry.policies.getPolicy('p');
    const versions = (await registry.policies.listPolicyVersions('p')).policyVersions.map((v) => v.versionId);
    assert.ok(versions.includes(policy.defaultVersionId), `default ${policy.defaultVersionId} among ${versions.join()} (${results.map(codeOf).join()})`);
  });
});
