/**
 * @module test/unit/registry.test
 * The registry's AWS IoT rules over a real SqliteStore and a real CertificateAuthority in temp dirs.
 */
import assert from 'node:assert/strict';
import { X509Certificate as NodeX509Certificate, webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { isTopicdError } from '../../src/errors.js';
import type { AwsErrorType } from '../../src/errors.js';
import { CertificateAuthority } from '../../src/pki/certificate-authority.js';
import { x509 } from '../../src/pki/x509.js';
import { Registry } from '../../src/registry/registry.js';
import type { CertificateChange, CreateThingInput } from '../../src/registry/types.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const dir = mkdtempSync(join(tmpdir(), 'topicd-registry-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let stores = 0;

/** Asserts an AWS error type (and its HTTP status) and optionally the message. */
const fails = (code: AwsErrorType, status: number, message?: RegExp) => (err: unknown): boolean => {
  assert.ok(isTopicdError(err), `expected a TopicdError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  assert.equal(err.status, status);
  if (message) assert.match(err.message, message);
  return true;
};
const invalid = (message?: RegExp) => fails('InvalidRequestException', 400, message);
const notFound = (message?: RegExp) => fails('ResourceNotFoundException', 404, message);

let ca: CertificateAuthority;
before(async () => { ca = await CertificateAuthority.loadOrCreate(join(dir, 'ca')); });

interface Fixture {
  store: Store;
  registry: Registry;
  now: { ms: number };
  changes: CertificateChange[];
}

async function fixture(): Promise<Fixture> {
  const store = SqliteStore.open(join(dir, `registry-${++stores}.db`));
  const now = { ms: 1_700_000_000_123 };
  const registry = new Registry({ store, ca, accountId: ACCOUNT, region: REGION, clock: () => now.ms });
  await registry.init();
  const changes: CertificateChange[] = [];
  registry.onCertificateChange((change) => changes.push(change));
  return { store, registry, now, changes };
}

/** A certificate from an EC CSR: RSA key generation costs ~0.4 s on a small CI machine, this a few ms. */
async function quickCertificate(registry: Registry, setAsActive: boolean): Promise<{ certificateId: string; certificateArn: string; certificatePem: string }> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=device', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } });
  return registry.createCertificateFromCsr(csr.toString('pem'), setAsActive);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('registry - things', () => {
  let f: Fixture;
  beforeEach(async () => { f = await fixture(); });

  test('CreateThing - returns name, ARN and a UUID thingId; DescribeThing shows version 1 and defaultClientId', async () => {
    const created = await f.registry.createThing({ thingName: 'lamp-1', attributes: { room: 'kitchen' } });
    assert.equal(created.thingName, 'lamp-1');
    assert.equal(created.thingArn, `arn:aws:iot:${REGION}:${ACCOUNT}:thing/lamp-1`);
    assert.match(created.thingId, UUID);
    assert.deepEqual(await f.registry.describeThing('lamp-1'), {
      defaultClientId: 'lamp-1', thingName: 'lamp-1', thingId: created.thingId, thingArn: created.thingArn,
      attributes: { room: 'kitchen' }, version: 1,
    });
    await f.registry.thingTypes.createThingType({ thingTypeName: 'Lamp_Type:1' });
    await f.registry.createThing({ thingName: 'typed', thingTypeName: 'Lamp_Type:1' });
    assert.equal((await f.registry.describeThing('typed')).thingTypeName, 'Lamp_Type:1');
  });

  test('CreateThing - thingName must be 1..128 of [a-zA-Z0-9:_-]', async () => {
    for (const thingName of ['', 'a'.repeat(129), 'has space', 'slash/name', 'dot.name', 'é', '$aws']) {
      await assert.rejects(f.registry.createThing({ thingName }), invalid(/thingName/), JSON.stringify(thingName));
    }
    await f.registry.createThing({ thingName: 'a'.repeat(128) });
    await f.registry.createThing({ thingName: 'Az09:_-' });
    await assert.rejects(f.registry.createThing({ thingName: 't', thingTypeName: 'bad type' }), invalid(/thingTypeName/));
  });

  test('CreateThing - attributes: names [a-zA-Z0-9_.,@/:#-]{1,128}, values [a-zA-Z0-9_.,@/:#=[]-]{0,800}, at most 50 with a type, 3 without', async () => {
    await f.registry.createThing({ thingName: 'ok', attributes: { 'a_.,@/:#-Z9': 'v_.,@/:#=[]-9', ['n'.repeat(128)]: 'x'.repeat(800) } });
    const bad: Array<Record<string, string>> = [
      { 'bad name': 'v' }, { ['n'.repeat(129)]: 'v' }, { '': 'v' }, { a: 'space value' }, { a: 'x'.repeat(801) }, { a: 'quote"' },
      { a: 5 as unknown as string },
    ];
    for (const attributes of bad) await assert.rejects(f.registry.createThing({ thingName: 'bad', attributes }), invalid(), JSON.stringify(attributes));
    await f.registry.thingTypes.createThingType({ thingTypeName: 'k' });
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`a${i}`, 'v']));
    await f.registry.createThing({ thingName: 'fifty', thingTypeName: 'k', attributes: fifty });
    await assert.rejects(f.registry.createThing({ thingName: 'fifty-one', thingTypeName: 'k', attributes: { ...fifty, a50: 'v' } }), invalid(/at most 50/));
    await f.registry.createThing({ thingName: 'three', attributes: { a: '1', b: '2', c: '3' } });
    await assert.rejects(f.registry.createThing({ thingName: 'four', attributes: { a: '1', b: '2', c: '3', d: '4' } }), invalid(/without a thing type can have at most 3/));
    assert.equal(await f.store.things.get('bad'), undefined);
  });

  test('CreateThing - the same configuration again is idempotent; a different one is ResourceAlreadyExistsException', async () => {
    await f.registry.thingTypes.createThingType({ thingTypeName: 'k' });
    const first = await f.registry.createThing({ thingName: 't', thingTypeName: 'k', attributes: { a: '1', b: '2' } });
    const again = await f.registry.createThing({ thingName: 't', thingTypeName: 'k', attributes: { b: '2', a: '1' } });
    assert.deepEqual(again, first);
    const different: Array<Omit<CreateThingInput, 'thingName'>> = [
      { attributes: { a: '1' }, thingTypeName: 'k' }, { attributes: { a: '1', b: '3' }, thingTypeName: 'k' }, { attributes: { a: '1', b: '2' } },
    ];
    for (const input of different) {
      await assert.rejects(f.registry.createThing({ thingName: 't', ...input }), (err: unknown) => {
        fails('ResourceAlreadyExistsException', 409, /already exists/)(err);
        assert.ok(isTopicdError(err));
        assert.deepEqual(err.fields, { resourceId: first.thingId, resourceArn: first.thingArn });
        return true;
      });
    }
    assert.equal((await f.registry.describeThing('t')).version, 1);
  });

  test('CreateThing - concurrent creates of one name make one thing', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => f.registry.createThing({ thingName: 'race' })));
    assert.equal(new Set(results.map((r) => r.thingId)).size, 1);
  });

  test('DescribeThing - unknown is ResourceNotFoundException; bad name is InvalidRequestException', async () => {
    await assert.rejects(f.registry.describeThing('nope'), notFound(/nope/));
    await assert.rejects(f.registry.describeThing('bad name'), invalid());
  });

  test('UpdateThing - every update bumps the version; merge keeps others and "" removes; replace replaces', async () => {
    await f.registry.createThing({ thingName: 't', attributes: { a: '1', b: '2' } });
    await f.registry.updateThing({ thingName: 't', attributes: { b: '', c: '3' }, merge: true });
    let thing = await f.registry.describeThing('t');
    assert.deepEqual(thing.attributes, { a: '1', c: '3' });
    assert.equal(thing.version, 2);
    await f.registry.updateThing({ thingName: 't', attributes: { z: '9', y: '' } });
    thing = await f.registry.describeThing('t');
    assert.deepEqual(thing.attributes, { z: '9' });
    assert.equal(thing.version, 3);
    await f.registry.updateThing({ thingName: 't' });
    thing = await f.registry.describeThing('t');
    assert.deepEqual(thing.attributes, { z: '9' });
    assert.equal(thing.version, 4);
  });

  test('UpdateThing - merge may not pass 50 attributes; bad attributes are refused', async () => {
    await f.registry.thingTypes.createThingType({ thingTypeName: 'k' });
    await f.registry.createThing({ thingName: 't', thingTypeName: 'k', attributes: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`a${i}`, 'v'])) });
    await assert.rejects(f.registry.updateThing({ thingName: 't', attributes: { extra: 'v' }, merge: true }), invalid(/at most 50/));
    await f.registry.updateThing({ thingName: 't', attributes: { extra: 'v', a0: '' }, merge: true });
    await assert.rejects(f.registry.updateThing({ thingName: 't', attributes: { 'bad name': 'v' }, merge: true }), invalid());
    assert.equal((await f.registry.describeThing('t')).version, 2);
  });

  test('UpdateThing - thing type set, kept, removed; both at once is InvalidRequestException', async () => {
    await f.registry.thingTypes.createThingType({ thingTypeName: 'lamp' });
    await f.registry.createThing({ thingName: 't' });
    await f.registry.updateThing({ thingName: 't', thingTypeName: 'lamp' });
    assert.equal((await f.registry.describeThing('t')).thingTypeName, 'lamp');
    await f.registry.updateThing({ thingName: 't', attributes: { a: '1' } });
    assert.equal((await f.registry.describeThing('t')).thingTypeName, 'lamp');
    await f.registry.updateThing({ thingName: 't', removeThingType: true });
    assert.equal('thingTypeName' in (await f.registry.describeThing('t')), false);
    await assert.rejects(f.registry.updateThing({ thingName: 't', thingTypeName: 'x', removeThingType: true }), invalid(/both/));
  });

  test('UpdateThing - expectedVersion mismatch is VersionConflictException; unknown thing is ResourceNotFoundException', async () => {
    await f.registry.createThing({ thingName: 't' });
    await assert.rejects(f.registry.updateThing({ thingName: 't', attributes: { a: '1' }, expectedVersion: 2 }), fails('VersionConflictException', 409, /version/));
    await f.registry.updateThing({ thingName: 't', attributes: { a: '1' }, expectedVersion: 1 });
    assert.equal((await f.registry.describeThing('t')).version, 2);
    await assert.rejects(f.registry.updateThing({ thingName: 'nope', attributes: {} }), notFound());
  });

  test('UpdateThing - concurrent merges all land, each bumping the version once', async () => {
    await f.registry.thingTypes.createThingType({ thingTypeName: 'k' });
    await f.registry.createThing({ thingName: 't', thingTypeName: 'k' });
    await Promise.all(Array.from({ length: 20 }, (_, i) => f.registry.updateThing({ thingName: 't', attributes: { [`k${i}`]: `${i}` }, merge: true })));
    const thing = await f.registry.describeThing('t');
    assert.equal(Object.keys(thing.attributes).length, 20);
    assert.equal(thing.version, 21);
  });

  test('UpdateThing - concurrent updates with the same expectedVersion: exactly one wins', async () => {
    await f.registry.createThing({ thingName: 't' });
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) =>
      f.registry.updateThing({ thingName: 't', attributes: { w: `${i}` }, expectedVersion: 1 })));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') fails('VersionConflictException', 409)(r.reason);
  });

  test('ListThings - name order, maxResults and nextToken; default 50; 1..250', async () => {
    for (let i = 0; i < 53; i++) await f.registry.createThing({ thingName: `t${String(i).padStart(2, '0')}` });
    const first = await f.registry.listThings({});
    assert.equal(first.things.length, 50);
    assert.equal(typeof first.nextToken, 'string');
    const rest = await f.registry.listThings({ nextToken: first.nextToken });
    assert.deepEqual(rest.things.map((t) => t.thingName), ['t50', 't51', 't52']);
    assert.equal('nextToken' in rest, false);
    assert.deepEqual(first.things[0], { thingName: 't00', thingArn: `arn:aws:iot:${REGION}:${ACCOUNT}:thing/t00`, attributes: {}, version: 1 });
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await f.registry.listThings({ maxResults: 7, nextToken });
      names.push(...page.things.map((t) => t.thingName));
      nextToken = page.nextToken;
    } while (nextToken);
    assert.equal(names.length, 53);
    assert.deepEqual(names, [...names].sort());
    for (const maxResults of [0, 251, 1.5, -1]) await assert.rejects(f.registry.listThings({ maxResults }), invalid(/maxResults/));
    assert.equal((await f.registry.listThings({ maxResults: 250 })).things.length, 53);
    await assert.rejects(f.registry.listThings({ nextToken: 'garbage!' }), invalid());
  });

  test('ListThings - filters by attribute name/value and thing type', async () => {
    await f.registry.thingTypes.createThingType({ thingTypeName: 'lamp' });
    await f.registry.createThing({ thingName: 'a', thingTypeName: 'lamp', attributes: { color: 'red' } });
    await f.registry.createThing({ thingName: 'b', thingTypeName: 'lamp', attributes: { color: 'blue' } });
    await f.registry.createThing({ thingName: 'c', attributes: { color: 'red' } });
    const names = async (input: Parameters<Registry['listThings']>[0]): Promise<string[]> =>
      (await f.registry.listThings(input)).things.map((t) => t.thingName);
    assert.deepEqual(await names({ attributeName: 'color', attributeValue: 'red' }), ['a', 'c']);
    assert.deepEqual(await names({ thingTypeName: 'lamp' }), ['a', 'b']);
    assert.deepEqual(await names({ thingTypeName: 'lamp', attributeName: 'color', attributeValue: 'red' }), ['a']);
    const listed = (await f.registry.listThings({ thingTypeName: 'lamp', maxResults: 1 }));
    assert.deepEqual(listed.things[0], { thingName: 'a', thingArn: f.registry.thingArn('a'), thingTypeName: 'lamp', attributes: { color: 'red' }, version: 1 });
  });

  test('DeleteThing - deletes; an unknown thing succeeds (AWS); expectedVersion must match', async () => {
    await f.registry.deleteThing('never-existed');
    await f.registry.createThing({ thingName: 't' });
    await f.registry.updateThing({ thingName: 't', attributes: { a: '1' } });
    await assert.rejects(f.registry.deleteThing('t', 1), fails('VersionConflictException', 409));
    await f.registry.deleteThing('t', 2);
    await assert.rejects(f.registry.describeThing('t'), notFound());
    await assert.rejects(f.registry.deleteThing('bad name'), invalid());
  });

  test('DeleteThing - refused while a principal is attached (AWS InvalidRequestException), then allowed after detach', async () => {
    await f.registry.createThing({ thingName: 't' });
    const cert = await quickCertificate(f.registry, true);
    await f.registry.attachThingPrincipal('t', cert.certificateArn);
    await assert.rejects(f.registry.deleteThing('t'), invalid(/^Cannot delete\. Thing t is still attached to one or more principals$/));
    await f.registry.detachThingPrincipal('t', cert.certificateArn);
    await f.registry.deleteThing('t');
    assert.equal(await f.store.things.get('t'), undefined);
  });
});

describe('registry - certificates', () => {
  let f: Fixture;
  beforeEach(async () => { f = await fixture(); });

  test('CreateKeysAndCertificate - stored ACTIVE or INACTIVE per setAsActive; ARN, PEM and key pair returned', async () => {
    const active = await f.registry.createKeysAndCertificate(true);
    assert.match(active.certificateId, /^[0-9a-f]{64}$/);
    assert.equal(active.certificateArn, `arn:aws:iot:${REGION}:${ACCOUNT}:cert/${active.certificateId}`);
    assert.match(active.certificatePem, /^-----BEGIN CERTIFICATE-----\n/);
    assert.match(active.keyPair.PrivateKey, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.match(active.keyPair.PublicKey, /^-----BEGIN PUBLIC KEY-----\n/);
    assert.equal(f.registry.certificateStatus(active.certificateId), 'ACTIVE');
    const inactive = await f.registry.createKeysAndCertificate(false);
    assert.equal(f.registry.certificateStatus(inactive.certificateId), 'INACTIVE');
    assert.equal((await f.store.certificates.get(inactive.certificateId))?.status, 'INACTIVE');
    assert.equal(f.registry.certificateStatus('0'.repeat(64)), undefined);
    assert.deepEqual(f.changes, [], 'creation is not a change of status');
  });

  test('DescribeCertificate - AWS fields, times in epoch seconds with the milliseconds as a fraction', async () => {
    const created = await f.registry.createKeysAndCertificate(true);
    const description = await f.registry.describeCertificate(created.certificateId);
    const node = new NodeX509Certificate(created.certificatePem);
    assert.deepEqual(description, {
      certificateArn: created.certificateArn,
      certificateId: created.certificateId,
      caCertificateId: ca.rootCertificateId,
      status: 'ACTIVE',
      certificatePem: created.certificatePem,
      ownedBy: ACCOUNT,
      creationDate: 1_700_000_000.123,
      lastModifiedDate: 1_700_000_000.123,
      customerVersion: 1,
      generationId: description.generationId,
      validity: { notBefore: Date.parse(node.validFrom) / 1000, notAfter: Date.parse('2049-12-31T23:59:59Z') / 1000 },
      certificateMode: 'DEFAULT',
    });
    assert.match(description.generationId, UUID);
  });

  test('DescribeCertificate - unknown is ResourceNotFoundException; a malformed id is InvalidRequestException', async () => {
    await assert.rejects(f.registry.describeCertificate('a'.repeat(64)), notFound());
    for (const id of ['', 'abc', 'g'.repeat(64), 'a'.repeat(65)]) await assert.rejects(f.registry.describeCertificate(id), invalid(/certificateId/), id);
  });

  test('DescribeCertificate - an upper-case id finds the certificate', async () => {
    const created = await quickCertificate(f.registry, true);
    assert.equal((await f.registry.describeCertificate(created.certificateId.toUpperCase())).certificateId, created.certificateId);
  });

  test('CreateCertificateFromCsr - keeps the CSR subject; stored with the root as CA; bad CSR is InvalidRequestException', async () => {
    const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=my-sensor', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } });
    const created = await f.registry.createCertificateFromCsr(csr.toString('pem'), false);
    assert.equal(new NodeX509Certificate(created.certificatePem).subject, 'CN=my-sensor');
    const description = await f.registry.describeCertificate(created.certificateId);
    assert.equal(description.status, 'INACTIVE');
    assert.equal(description.caCertificateId, ca.rootCertificateId);
    assert.equal(f.registry.certificateStatus(created.certificateId), 'INACTIVE');
    await assert.rejects(f.registry.createCertificateFromCsr('not a csr', true), invalid(/PEM/));
    await assert.rejects(f.registry.createCertificateFromCsr('', true), invalid(/certificateSigningRequest/));
    await assert.rejects(f.registry.createCertificateFromCsr('x'.repeat(4097), true), invalid(/certificateSigningRequest/));
  });

  test('ListCertificates - newest first by default, ascending on request; pageSize 1..250 (default 25) and marker', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 27; i++) {
      f.now.ms += 1000;
      ids.push((await quickCertificate(f.registry, i % 2 === 0)).certificateId);
    }
    const first = await f.registry.listCertificates({});
    assert.equal(first.certificates.length, 25);
    assert.deepEqual(first.certificates.map((c) => c.certificateId), [...ids].reverse().slice(0, 25));
    const rest = await f.registry.listCertificates({ marker: first.nextMarker });
    assert.deepEqual(rest.certificates.map((c) => c.certificateId), [ids[1], ids[0]]);
    assert.equal('nextMarker' in rest, false);
    assert.deepEqual(first.certificates[0], {
      certificateArn: f.registry.certificateArn(ids[26] ?? ''), certificateId: ids[26], status: 'ACTIVE', certificateMode: 'DEFAULT',
      creationDate: (1_700_000_000_123 + 27_000) / 1000,
    });
    const ascending: string[] = [];
    let marker: string | undefined;
    do {
      const page = await f.registry.listCertificates({ pageSize: 4, marker, isAscendingOrder: true });
      ascending.push(...page.certificates.map((c) => c.certificateId));
      marker = page.nextMarker;
    } while (marker);
    assert.deepEqual(ascending, ids);
    for (const pageSize of [0, 251]) await assert.rejects(f.registry.listCertificates({ pageSize }), invalid(/pageSize/));
  });

  test('UpdateCertificate - a change is stored, kept in memory and told to listeners after the write', async () => {
    const cert = await quickCertificate(f.registry, true);
    let storeRead: Promise<{ status: string } | undefined> | undefined;
    let seenInMemory: string | undefined;
    f.registry.onCertificateChange(({ certificateId }) => {
      seenInMemory = f.registry.certificateStatus(certificateId);
      // SqliteStore reads when called, so this sees the store as it is while the listener runs.
      storeRead = f.store.certificates.get(certificateId);
    });
    f.now.ms += 5000;
    await f.registry.updateCertificate(cert.certificateId, 'INACTIVE');
    assert.deepEqual(f.changes, [{ certificateId: cert.certificateId, status: 'INACTIVE' }]);
    assert.equal(seenInMemory, 'INACTIVE');
    assert.equal((await storeRead)?.status, 'INACTIVE');
    assert.equal(f.registry.certificateStatus(cert.certificateId), 'INACTIVE');
    const description = await f.registry.describeCertificate(cert.certificateId);
    assert.equal(description.status, 'INACTIVE');
    assert.equal(description.lastModifiedDate, 1_700_000_005.123);
    assert.equal(description.creationDate, 1_700_000_000.123);
    await f.registry.updateCertificate(cert.certificateId, 'INACTIVE');
    assert.equal(f.changes.length, 1, 'setting the same status is not a change');
    await f.registry.updateCertificate(cert.certificateId, 'ACTIVE');
    assert.deepEqual(f.changes.at(-1), { certificateId: cert.certificateId, status: 'ACTIVE' });
  });

  test('UpdateCertificate - unknown or PENDING_* status is InvalidRequestException; unknown cert is ResourceNotFoundException', async () => {
    const cert = await quickCertificate(f.registry, true);
    for (const status of ['active', 'BOGUS', '', 'PENDING_TRANSFER', 'PENDING_ACTIVATION']) {
      await assert.rejects(f.registry.updateCertificate(cert.certificateId, status), invalid(), status);
    }
    await assert.rejects(f.registry.updateCertificate('b'.repeat(64), 'INACTIVE'), notFound());
    await assert.rejects(f.registry.updateCertificate('xyz', 'INACTIVE'), invalid(/certificateId/));
    assert.equal(f.registry.certificateStatus(cert.certificateId), 'ACTIVE');
    assert.deepEqual(f.changes, []);
  });

  test('UpdateCertificate - REVOKED is final: CertificateStateException (406)', async () => {
    const cert = await quickCertificate(f.registry, true);
    await f.registry.updateCertificate(cert.certificateId, 'REVOKED');
    assert.equal(f.registry.certificateStatus(cert.certificateId), 'REVOKED');
    for (const status of ['ACTIVE', 'INACTIVE']) {
      await assert.rejects(f.registry.updateCertificate(cert.certificateId, status), fails('CertificateStateException', 406, /REVOKED/));
    }
    assert.equal(f.registry.certificateStatus(cert.certificateId), 'REVOKED');
    assert.deepEqual(f.changes, [{ certificateId: cert.certificateId, status: 'REVOKED' }]);
  });

  test('DeleteCertificate - ACTIVE is CertificateStateException (406), attached is DeleteConflictException (409) even with forceDelete', async () => {
    await f.registry.createThing({ thingName: 't' });
    const cert = await quickCertificate(f.registry, true);
    await f.registry.attachThingPrincipal('t', cert.certificateArn);
    await assert.rejects(f.registry.deleteCertificate(cert.certificateId, false),
      fails('CertificateStateException', 406, /^Certificate must be deactivated \(not ACTIVE\) before deletion\. Id: [0-9a-f]{64}$/));
    await assert.rejects(f.registry.deleteCertificate(cert.certificateId, true), fails('CertificateStateException', 406));
    await f.registry.updateCertificate(cert.certificateId, 'INACTIVE');
    for (const force of [false, true]) {
      await assert.rejects(f.registry.deleteCertificate(cert.certificateId, force), fails('DeleteConflictException', 409, /Things must be detached/));
    }
    assert.equal(f.registry.certificateStatus(cert.certificateId), 'INACTIVE');
    await f.registry.detachThingPrincipal('t', cert.certificateArn);
    await f.registry.deleteCertificate(cert.certificateId, false);
    assert.equal(f.registry.certificateStatus(cert.certificateId), undefined);
    assert.deepEqual(f.changes.at(-1), { certificateId: cert.certificateId, status: undefined });
    await assert.rejects(f.registry.describeCertificate(cert.certificateId), notFound());
    await assert.rejects(f.registry.deleteCertificate(cert.certificateId, false), notFound());
  });

  test('DeleteCertificate - a REVOKED certificate can be deleted', async () => {
    const cert = await quickCertificate(f.registry, true);
    await f.registry.updateCertificate(cert.certificateId, 'REVOKED');
    await f.registry.deleteCertificate(cert.certificateId, false);
    assert.equal(await f.store.certificates.get(cert.certificateId), undefined);
  });

  test('init - a new registry over the same store knows every status', async () => {
    const a = await quickCertificate(f.registry, true);
    const b = await quickCertificate(f.registry, false);
    await f.registry.updateCertificate(a.certificateId, 'REVOKED');
    const other = new Registry({ store: f.store, ca, accountId: ACCOUNT, region: REGION });
    assert.equal(other.certificateStatus(a.certificateId), undefined, 'nothing before init');
    await other.init();
    assert.equal(other.certificateStatus(a.certificateId), 'REVOKED');
    assert.equal(other.certificateStatus(b.certificateId), 'INACTIVE');
  });

  test('onCertificateChange - unsubscribe stops delivery; a throwing listener neither blocks others nor fails the call', async () => {
    const errors: unknown[] = [];
    const registry = new Registry({ store: f.store, ca, accountId: ACCOUNT, region: REGION, onListenerError: (err) => errors.push(err) });
    await registry.init();
    const seen: CertificateChange[] = [];
    registry.onCertificateChange(() => { throw new Error('listener broke'); });
    const unsubscribe = registry.onCertificateChange((change) => seen.push(change));
    const cert = await quickCertificate(registry, true);
    await registry.updateCertificate(cert.certificateId, 'INACTIVE');
    assert.equal(seen.length, 1);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /listener broke/);
    unsubscribe();
    await registry.updateCertificate(cert.certificateId, 'ACTIVE');
    assert.equal(seen.length, 1);
    assert.equal(registry.certificateStatus(cert.certificateId), 'ACTIVE');
  });
});

describe('registry - thing principals', () => {
  let f: Fixture;
  beforeEach(async () => { f = await fixture(); });

  test('AttachThingPrincipal - idempotent; both listings show it', async () => {
    await f.registry.createThing({ thingName: 't' });
    const cert = await quickCertificate(f.registry, true);
    await f.registry.attachThingPrincipal('t', cert.certificateArn);
    await f.registry.attachThingPrincipal('t', cert.certificateArn);
    assert.deepEqual(await f.registry.listThingPrincipals('t', {}), { principals: [cert.certificateArn] });
    assert.deepEqual(await f.registry.listPrincipalThings(cert.certificateArn, {}), { things: ['t'] });
  });

  test('AttachThingPrincipal - unknown thing or certificate is 404; malformed ARN is 400; another account\'s is 404', async () => {
    await f.registry.createThing({ thingName: 't' });
    const cert = await quickCertificate(f.registry, true);
    await assert.rejects(f.registry.attachThingPrincipal('nope', cert.certificateArn), notFound(/nope/));
    await assert.rejects(f.registry.attachThingPrincipal('t', f.registry.certificateArn('c'.repeat(64))), notFound());
    for (const principal of ['', 'not-an-arn', `arn:aws:iot:${REGION}:${ACCOUNT}:cert/short`, `arn:aws:iot:${REGION}:${ACCOUNT}:thing/t`,
      `arn:aws:iam::${ACCOUNT}:user/bob`]) {
      await assert.rejects(f.registry.attachThingPrincipal('t', principal), invalid(/certificate ARN/), principal);
    }
    await assert.rejects(f.registry.attachThingPrincipal('t', `arn:aws:iot:${REGION}:999999999999:cert/${cert.certificateId}`), notFound());
    await assert.rejects(f.registry.attachThingPrincipal('t', `arn:aws:iot:us-west-2:${ACCOUNT}:cert/${cert.certificateId}`), notFound());
    await assert.rejects(f.registry.attachThingPrincipal('bad name', cert.certificateArn), invalid(/thingName/));
    assert.deepEqual((await f.registry.listThingPrincipals('t', {})).principals, []);
  });

  test('AttachThingPrincipal - an upper-case id in the ARN attaches the canonical ARN', async () => {
    await f.registry.createThing({ thingName: 't' });
    const cert = await quickCertificate(f.registry, true);
    await f.registry.attachThingPrincipal('t', f.registry.certificateArn(cert.certificateId.toUpperCase()));
    assert.deepEqual((await f.registry.listThingPrincipals('t', {})).principals, [cert.certificateArn]);
  });

  test('DetachThingPrincipal - detaching what is not attached succeeds (AWS); unknown thing is 404', async () => {
    await f.registry.createThing({ thingName: 't' });
    const cert = await quickCertificate(f.registry, true);
    await f.registry.detachThingPrincipal('t', cert.certificateArn);
    await f.registry.attachThingPrincipal('t', cert.certificateArn);
    await f.registry.detachThingPrincipal('t', cert.certificateArn);
    await f.registry.detachThingPrincipal('t', cert.certificateArn);
    assert.deepEqual((await f.registry.listThingPrincipals('t', {})).principals, []);
    await assert.rejects(f.registry.detachThingPrincipal('nope', cert.certificateArn), notFound());
    await assert.rejects(f.registry.detachThingPrincipal('t', 'garbage'), invalid());
  });

  test('ListThingPrincipals / ListPrincipalThings - pages with maxResults (1..250, default 25) and nextToken', async () => {
    const cert = await quickCertificate(f.registry, true);
    const things = Array.from({ length: 27 }, (_, i) => `thing-${String(i).padStart(2, '0')}`);
    for (const name of things) {
      await f.registry.createThing({ thingName: name });
      await f.registry.attachThingPrincipal(name, cert.certificateArn);
    }
    const first = await f.registry.listPrincipalThings(cert.certificateArn, {});
    assert.deepEqual(first.things, things.slice(0, 25));
    const rest = await f.registry.listPrincipalThings(cert.certificateArn, { nextToken: first.nextToken });
    assert.deepEqual(rest, { things: things.slice(25) });
    const certs = [cert.certificateArn];
    for (let i = 0; i < 4; i++) {
      const more = await quickCertificate(f.registry, false);
      await f.registry.attachThingPrincipal('thing-00', more.certificateArn);
      certs.push(more.certificateArn);
    }
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await f.registry.listThingPrincipals('thing-00', { maxResults: 2, nextToken });
      seen.push(...page.principals);
      nextToken = page.nextToken;
    } while (nextToken);
    assert.deepEqual(seen, [...certs].sort());
    for (const maxResults of [0, 251]) {
      await assert.rejects(f.registry.listThingPrincipals('thing-00', { maxResults }), invalid(/maxResults/));
      await assert.rejects(f.registry.listPrincipalThings(cert.certificateArn, { maxResults }), invalid(/maxResults/));
    }
    await assert.rejects(f.registry.listThingPrincipals('nope', {}), notFound());
    await assert.rejects(f.registry.listPrincipalThings(f.registry.certificateArn('d'.repeat(64)), {}), notFound());
    await assert.rejects(f.registry.listPrincipalThings('garbage', {}), invalid());
  });
});
