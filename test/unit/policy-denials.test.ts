/**
 * @module test/unit/policy-denials.test
 * The policy authorizer's onDenied hook, over a real Registry, SqliteStore and CertificateAuthority in
 * a temp dir: every refusal is reported (cached decisions too) with the principal, action, resource
 * and what decided; nothing is reported for what is allowed.
 */
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Principal } from '../../src/auth/authorizer.js';
import { PolicyAuthorizer, type Denial } from '../../src/auth/policy-authorizer.js';
import { CertificateAuthority } from '../../src/pki/certificate-authority.js';
import { x509 } from '../../src/pki/x509.js';
import { Registry } from '../../src/registry/registry.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const ARN = `arn:aws:iot:${REGION}:${ACCOUNT}:`;

const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['iot:Connect'], Resource: `${ARN}client/dev` },
    { Effect: 'Allow', Action: ['iot:Publish', 'iot:Subscribe', 'iot:Receive'], Resource: [`${ARN}topic/open/*`, `${ARN}topicfilter/open/*`] },
    { Sid: 'NoSecrets', Effect: 'Deny', Action: 'iot:Publish', Resource: `${ARN}topic/open/secret` },
  ],
});

describe('policy denials', () => {
  const dir = mkdtempSync(join(tmpdir(), 'topicd-denials-'));
  let store: SqliteStore;
  let registry: Registry;
  let authorizer: PolicyAuthorizer;
  let principal: Principal;
  let certificateId = '';
  const denials: Denial[] = [];

  before(async () => {
    const ca = await CertificateAuthority.loadOrCreate(join(dir, 'ca'));
    store = SqliteStore.open(join(dir, 'topicd.db'));
    registry = new Registry({ store, ca, accountId: ACCOUNT, region: REGION });
    await registry.init();
    const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=dev', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } });
    const cert = await registry.createCertificateFromCsr(csr.toString('pem'), true);
    certificateId = cert.certificateId;
    await registry.policies.createPolicy('dev-policy', POLICY);
    await registry.policies.attachPolicy('dev-policy', cert.certificateArn);
    authorizer = new PolicyAuthorizer({
      source: registry.authorization, region: REGION, accountId: ACCOUNT,
      certificateActive: (id) => registry.certificateStatus(id) === 'ACTIVE',
      accessKeyExists: () => false,
      accessKeyIsAdmin: () => false,
      onDenied: (denial) => denials.push(denial),
    });
    principal = { kind: 'certificate', certificateId, sourceIp: '127.0.0.1' };
  });

  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const take = (): Denial[] => denials.splice(0);

  test('policy denials - an implicit deny names the principal, action, resource and the policies evaluated', () => {
    const grants = authorizer.grants(principal, 'dev');
    assert.equal(grants.connect(), true);
    assert.equal(grants.publish('open/a', false), true);
    assert.deepEqual(take(), [], 'nothing for what is allowed');
    assert.equal(grants.publish('closed/a', false), false);
    assert.deepEqual(take(), [{
      principalKind: 'certificate', principal: certificateId, clientId: 'dev', sourceIp: '127.0.0.1',
      action: 'iot:Publish', resource: `${ARN}topic/closed/a`, reason: 'implicit-deny', policies: ['dev-policy'],
    }]);
  });

  test('policy denials - a cached refusal is reported again (the log decides how often to say it)', () => {
    const grants = authorizer.grants(principal, 'dev');
    for (let i = 0; i < 3; i++) assert.equal(grants.subscribe('closed/#'), false);
    for (let i = 0; i < 2; i++) assert.equal(grants.receive('closed/b'), false);
    const got = take().map((d) => `${d.action} ${d.resource}`);
    assert.deepEqual(got, [
      ...Array(3).fill(`iot:Subscribe ${ARN}topicfilter/closed/#`),
      ...Array(2).fill(`iot:Receive ${ARN}topic/closed/b`),
    ]);
  });

  test('policy denials - an explicit Deny names its policy and statement', () => {
    const grants = authorizer.grants(principal, 'dev');
    assert.equal(grants.publish('open/secret', false), false);
    const [denial] = take();
    assert.equal(denial?.reason, 'explicit-deny');
    assert.deepEqual(denial?.decidedBy, { policyName: 'dev-policy', statementIndex: 2, sid: 'NoSecrets', effect: 'Deny' });
  });

  test('policy denials - connect as another client id, a $ topic, and a retained publish without iot:RetainPublish', () => {
    assert.equal(authorizer.grants(principal, 'someone-else').connect(), false);
    const grants = authorizer.grants(principal, 'dev');
    assert.equal(grants.publish('$aws/things/dev/shadow/update', false), false);
    assert.equal(grants.publish('open/kept', true), false);
    assert.deepEqual(take().map((d) => [d.action, d.resource, d.reason]), [
      ['iot:Connect', `${ARN}client/someone-else`, 'implicit-deny'],
      // A shadow topic is the device policy's to open (the publish gate keeps the other $ topics reserved).
      ['iot:Publish', `${ARN}topic/$aws/things/dev/shadow/update`, 'implicit-deny'],
      ['iot:RetainPublish', `${ARN}topic/open/kept`, 'implicit-deny'],
    ]);
  });

  test('policy denials - over HTTPS (no client id) there is no clientId; an INACTIVE certificate says so', async () => {
    const https = authorizer.grants(principal, undefined);
    assert.equal(https.publish('closed/c', false), false);
    assert.equal('clientId' in (take()[0] ?? {}), false);
    await registry.updateCertificate(certificateId, 'INACTIVE');
    try {
      assert.equal(https.publish('open/a', false), false);
      assert.deepEqual(take().map((d) => [d.resource, d.reason, d.policies]), [[`${ARN}topic/open/a`, 'principal-inactive', []]]);
    } finally {
      await registry.updateCertificate(certificateId, 'ACTIVE');
    }
  });

  test('policy denials - a control-plane call refused to a non-admin access key', () => {
    assert.equal(authorizer.allowsControl('AKIDEXAMPLE', 'iot:ListThings', `${ARN}thing/*`, '127.0.0.1'), false);
    assert.deepEqual(take(), [{
      principalKind: 'access-key', principal: 'AKIDEXAMPLE', sourceIp: '127.0.0.1',
      action: 'iot:ListThings', resource: `${ARN}thing/*`, reason: 'implicit-deny', policies: [],
    }]);
  });
});
