/**
 * @module test/unit/authorization-view.test
 * The registry's AuthorizationView through a real Registry over a real SqliteStore and
 * CertificateAuthority in a temp dir: loaded at init, changed by every registry write (and by no
 * failed one), compiled policies shared, generation and listeners.
 */
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { evaluate, topicArn } from '../../src/auth/policy/index.js';
import { CertificateAuthority } from '../../src/pki/certificate-authority.js';
import { x509 } from '../../src/pki/x509.js';
import { Registry } from '../../src/registry/registry.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const dir = mkdtempSync(join(tmpdir(), 'topicd-authz-view-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let stores = 0;

let ca: CertificateAuthority;
before(async () => { ca = await CertificateAuthority.loadOrCreate(join(dir, 'ca')); });

const document = (effect: 'Allow' | 'Deny', topic: string): string => JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: `${effect}${topic}`, Effect: effect, Action: 'iot:Publish', Resource: `arn:aws:iot:${REGION}:${ACCOUNT}:topic/${topic}` }],
});

interface Fixture {
  path: string;
  store: SqliteStore;
  registry: Registry;
  errors: unknown[];
}

async function fixture(path = join(dir, `view-${++stores}.db`)): Promise<Fixture> {
  const store = SqliteStore.open(path);
  const errors: unknown[] = [];
  const registry = new Registry({ store, ca, accountId: ACCOUNT, region: REGION, onListenerError: (err) => errors.push(err) });
  await registry.init();
  return { path, store, registry, errors };
}

/** A certificate from an EC CSR (fast), registered INACTIVE or ACTIVE. */
async function certificate(registry: Registry, active = true): Promise<{ certificateId: string; certificateArn: string }> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=device', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } });
  return registry.createCertificateFromCsr(csr.toString('pem'), active);
}

const publish = (topic: string) => ({ action: 'iot:Publish', resource: topicArn(REGION, ACCOUNT, topic) });

describe('authorization view', () => {
  let f: Fixture;
  beforeEach(async () => { f = await fixture(); });

  test('authorization view - policiesOf an unknown target is an empty array', () => {
    assert.deepEqual(f.registry.authorization.policiesOf('arn:aws:iot:eu-west-1:123456789012:cert/nope'), []);
    assert.equal(f.registry.authorization.thing('nothing', 'x'), undefined);
  });

  test('authorization view - attach, new default version, detach and delete change policiesOf and the generation', async () => {
    const view = f.registry.authorization;
    const cert = await certificate(f.registry);
    const changes: number[] = [];
    view.onChange(() => changes.push(view.generation));
    const start = view.generation;

    await f.registry.policies.createPolicy('pub', document('Allow', 'a'));
    assert.equal(view.generation, start + 1, 'a new policy is a new default version');
    await f.registry.policies.attachPolicy('pub', cert.certificateArn);
    const attached = view.policiesOf(cert.certificateArn);
    assert.deepEqual(attached.map((p) => p.name), ['pub']);
    assert.equal(view.policiesOf(cert.certificateArn), attached, 'the same array until something changes');
    assert.equal(evaluate(attached, publish('a'), {}).allowed, true);

    const before = view.generation;
    await f.registry.policies.createPolicyVersion('pub', document('Allow', 'b'), false);
    assert.equal(view.generation, before, 'a version that is not the default changes no decision');
    assert.equal(evaluate(view.policiesOf(cert.certificateArn), publish('b'), {}).allowed, false);
    await f.registry.policies.setDefaultPolicyVersion('pub', '2');
    assert.equal(view.generation, before + 1);
    assert.equal(evaluate(view.policiesOf(cert.certificateArn), publish('b'), {}).allowed, true);
    assert.equal(evaluate(view.policiesOf(cert.certificateArn), publish('a'), {}).allowed, false);

    await f.registry.policies.detachPolicy('pub', cert.certificateArn);
    assert.deepEqual(view.policiesOf(cert.certificateArn), []);
    await f.registry.policies.deletePolicyVersion('pub', '1');
    await f.registry.policies.deletePolicy('pub');
    assert.equal(view.generation, before + 3, 'detach and delete policy each count; deleting a non-default version does not');
    assert.deepEqual(changes, Array.from({ length: changes.length }, (_, i) => start + 1 + i), 'one call per generation, after it changed');
  });

  test('authorization view - one compiled policy is shared by every target, in name order', async () => {
    const view = f.registry.authorization;
    const [one, two] = [await certificate(f.registry), await certificate(f.registry)];
    await f.registry.policies.createPolicy('b-deny', document('Deny', 'x'));
    await f.registry.policies.createPolicy('a-allow', document('Allow', 'x'));
    for (const cert of [one, two]) {
      await f.registry.policies.attachPolicy('b-deny', cert.certificateArn);
      await f.registry.policies.attachPolicy('a-allow', cert.certificateArn);
    }
    const first = view.policiesOf(one.certificateArn);
    const second = view.policiesOf(two.certificateArn);
    assert.deepEqual(first.map((p) => p.name), ['a-allow', 'b-deny']);
    assert.equal(first[0], second[0]);
    assert.equal(first[1], second[1]);
    assert.equal(evaluate(first, publish('x'), {}).decidedBy?.policyName, 'b-deny', 'the explicit deny wins');
  });

  test('authorization view - failed writes change nothing', async () => {
    const view = f.registry.authorization;
    const cert = await certificate(f.registry);
    await f.registry.policies.createPolicy('p', document('Allow', 'a'));
    await f.registry.policies.attachPolicy('p', cert.certificateArn);
    const generation = view.generation;
    await assert.rejects(f.registry.policies.attachPolicy('missing', cert.certificateArn));
    await assert.rejects(f.registry.policies.createPolicy('p', document('Allow', 'other')));
    await assert.rejects(f.registry.policies.createPolicyVersion('p', '{"Version":"2012-10-17"}', true));
    await assert.rejects(f.registry.policies.deletePolicy('p'));
    await f.registry.policies.attachPolicy('p', cert.certificateArn);
    assert.equal(view.generation, generation, 'attaching again is no change either');
  });

  test('authorization view - certificate status changes and deletion count; deletion drops its policies', async () => {
    const view = f.registry.authorization;
    const cert = await certificate(f.registry);
    await f.registry.policies.createPolicy('p', document('Allow', 'a'));
    await f.registry.policies.attachPolicy('p', cert.certificateArn);
    let generation = view.generation;
    await f.registry.updateCertificate(cert.certificateId, 'INACTIVE');
    assert.equal(view.generation, ++generation);
    await f.registry.deleteCertificate(cert.certificateId, true);
    assert.equal(view.generation, ++generation);
    assert.deepEqual(view.policiesOf(cert.certificateArn), []);
    assert.deepEqual((await f.registry.policies.listTargetsForPolicy('p', {})).targets, []);
  });

  test('authorization view - things: type, attributes and isAttached follow create, update, attach, detach and delete', async () => {
    const view = f.registry.authorization;
    const cert = await certificate(f.registry);
    await f.registry.thingTypes.createThingType({ thingTypeName: 'Lamp' });
    let generation = view.generation;
    await f.registry.createThing({ thingName: 'lamp', thingTypeName: 'Lamp', attributes: { room: 'kitchen' } });
    assert.equal(view.generation, ++generation);
    assert.deepEqual(view.thing('lamp', cert.certificateArn), { name: 'lamp', typeName: 'Lamp', attributes: { room: 'kitchen' }, isAttached: false });
    await f.registry.attachThingPrincipal('lamp', cert.certificateArn);
    assert.equal(view.generation, ++generation);
    assert.equal(view.thing('lamp', cert.certificateArn)?.isAttached, true);
    assert.equal(view.thing('lamp', 'arn:aws:iot:eu-west-1:123456789012:cert/other')?.isAttached, false);
    await f.registry.updateThing({ thingName: 'lamp', removeThingType: true, attributes: { room: 'hall', floor: '1' }, merge: true });
    assert.equal(view.generation, ++generation);
    assert.deepEqual(view.thing('lamp', cert.certificateArn), { name: 'lamp', attributes: { room: 'hall', floor: '1' }, isAttached: true });
    await f.registry.detachThingPrincipal('lamp', cert.certificateArn);
    assert.equal(view.generation, ++generation);
    assert.equal(view.thing('lamp', cert.certificateArn)?.isAttached, false);
    await f.registry.detachThingPrincipal('lamp', cert.certificateArn);
    assert.equal(view.generation, generation, 'detaching what is not attached changes nothing');
    await f.registry.deleteThing('lamp');
    assert.equal(view.generation, ++generation);
    assert.equal(view.thing('lamp', cert.certificateArn), undefined);
  });

  test('authorization view - a new Registry over the same store loads the same view at init', async () => {
    const cert = await certificate(f.registry);
    await f.registry.policies.createPolicy('p', document('Allow', 'a'));
    await f.registry.policies.createPolicyVersion('p', document('Allow', 'b'), true);
    await f.registry.policies.attachPolicy('p', cert.certificateArn);
    await f.registry.createThing({ thingName: 'lamp', attributes: { room: 'kitchen' } });
    await f.registry.attachThingPrincipal('lamp', cert.certificateArn);
    await f.store.close();
    const again = await fixture(f.path);
    try {
      const view = again.registry.authorization;
      const policies = view.policiesOf(cert.certificateArn);
      assert.deepEqual(policies.map((p) => p.name), ['p']);
      assert.equal(evaluate(policies, publish('b'), {}).allowed, true, 'the default version, not the first');
      assert.deepEqual(view.thing('lamp', cert.certificateArn), { name: 'lamp', attributes: { room: 'kitchen' }, isAttached: true });
    } finally {
      await again.store.close();
    }
    f = await fixture();
  });

  test('authorization view - a throwing listener is reported and the others still run; unsubscribe works', async () => {
    const view = f.registry.authorization;
    const seen: string[] = [];
    view.onChange(() => { throw new Error('boom'); });
    const off = view.onChange(() => seen.push('second'));
    await f.registry.createThing({ thingName: 't1' });
    off();
    await f.registry.createThing({ thingName: 't2' });
    assert.deepEqual(seen, ['second']);
    assert.equal(f.errors.length, 2);
    assert.match(String(f.errors[0]), /boom/);
  });
});
