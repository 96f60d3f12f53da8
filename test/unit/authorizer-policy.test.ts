/**
 * @module test/unit/authorizer-policy.test
 * The policy authorizer against the Authorizer contract, over a real Registry (SqliteStore and
 * CertificateAuthority in a temp dir): a certificate with an allow-all policy attached, one with
 * none, and an anonymous client it never serves.
 */
import { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { PolicyAuthorizer } from '../../src/auth/policy-authorizer.js';
import { CertificateAuthority } from '../../src/pki/certificate-authority.js';
import { x509 } from '../../src/pki/x509.js';
import { Registry } from '../../src/registry/registry.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { authorizerContract } from './authorizer-contract.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const dir = mkdtempSync(join(tmpdir(), 'topicd-authorizer-'));
const opened: SqliteStore[] = [];
after(async () => {
  for (const store of opened) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function withCertificate(policy: string | undefined): Promise<{ authorizer: PolicyAuthorizer; principal: { kind: 'certificate'; certificateId: string; sourceIp: string } }> {
  const store = SqliteStore.open(join(dir, `${opened.length}.db`));
  opened.push(store);
  const ca = await CertificateAuthority.loadOrCreate(join(dir, `ca-${opened.length}`));
  const registry = new Registry({ store, ca, accountId: ACCOUNT, region: REGION });
  await registry.init();
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=device', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } });
  const cert = await registry.createCertificateFromCsr(csr.toString('pem'), true);
  if (policy !== undefined) {
    await registry.policies.createPolicy('p', policy);
    await registry.policies.attachPolicy('p', cert.certificateArn);
  }
  const authorizer = new PolicyAuthorizer({
    source: registry.authorization, region: REGION, accountId: ACCOUNT,
    certificateActive: (id) => registry.certificateStatus(id) === 'ACTIVE',
    accessKeyExists: () => false, accessKeyIsAdmin: () => false,
  });
  return { authorizer, principal: { kind: 'certificate', certificateId: cert.certificateId, sourceIp: '192.0.2.1' } };
}

authorizerContract('PolicyAuthorizer', {
  allowing: () => withCertificate(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] })),
  refusing: () => withCertificate(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] })),
  stranger: { kind: 'anonymous', sourceIp: '192.0.2.1' },
});
