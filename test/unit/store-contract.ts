/**
 * @module test/unit/store-contract
 * The one contract every Store backend must pass. A backend's test file calls `storeContract` with a
 * StoreBackend: how to open a fresh, empty store (each case gets its own) and how to reach its data
 * from outside it, for the durability cases (store-contract-durability.ts).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { isTopicdError } from '../../src/errors.js';
import { shadowContract } from './store-contract-shadows.js';
import type { AccessKeyRow, CaCertificateRow, CertificateRow, Page, PageRequest, PolicyRow, PolicyVersionRow, Store, ThingRow, ThingTypeRow } from '../../src/store/store.js';
import { durabilityContract, type StoreBackend } from './store-contract-durability.js';

export type { StoreBackend } from './store-contract-durability.js';

const thing = (thingName: string, over: Partial<ThingRow> = {}): ThingRow => ({
  thingName,
  thingId: `id-${thingName}`,
  thingTypeName: null,
  attributes: {},
  version: 1,
  creationDate: 1_700_000_000_000,
  ...over,
});

const thingType = (thingTypeName: string, over: Partial<ThingTypeRow> = {}): ThingTypeRow => ({
  thingTypeName,
  thingTypeId: `id-${thingTypeName}`,
  description: null,
  searchableAttributes: [],
  mqtt5Configuration: null,
  tags: [],
  deprecated: false,
  deprecationDate: null,
  creationDate: 1_700_000_000_000,
  ...over,
});

const hex = (n: number): string => n.toString(16).padStart(64, '0');

const cert = (n: number, over: Partial<CertificateRow> = {}): CertificateRow => ({
  certificateId: hex(n),
  certificatePem: `-----BEGIN CERTIFICATE-----\n${n}\n-----END CERTIFICATE-----\n`,
  status: 'ACTIVE',
  caCertificateId: hex(999),
  ownedBy: '123456789012',
  certificateMode: 'DEFAULT',
  creationDate: 1_700_000_000_000 + n,
  lastModifiedDate: 1_700_000_000_000 + n,
  notBefore: 1_700_000_000_000,
  notAfter: 2_524_607_999_000,
  customerVersion: 1,
  generationId: `gen-${n}`,
  ...over,
});

const caCert = (n: number, over: Partial<CaCertificateRow> = {}): CaCertificateRow => ({
  certificateId: hex(n),
  certificatePem: `-----BEGIN CERTIFICATE-----\nca${n}\n-----END CERTIFICATE-----\n`,
  status: 'ACTIVE',
  autoRegistrationStatus: 'DISABLE',
  ownedBy: '123456789012',
  certificateMode: 'DEFAULT',
  registrationConfig: null,
  creationDate: 1_700_000_000_000 + n,
  lastModifiedDate: 1_700_000_000_000 + n,
  notBefore: 1_700_000_000_000,
  notAfter: 2_524_607_999_000,
  customerVersion: 1,
  generationId: `ca-gen-${n}`,
  ...over,
});

/** Follows `next` tokens to the end, checking every page but the last is full. */
async function all<T>(list: (page: PageRequest) => Promise<Page<T>>, limit: number, ascending?: boolean): Promise<T[]> {
  const items: T[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await list({ after, limit, ascending });
    items.push(...page.items);
    if (page.next === null) return items;
    assert.equal(page.items.length, limit, 'a page followed by another is full');
    assert.equal(typeof page.next, 'string');
    after = page.next;
  }
  throw new Error('pagination did not end');
}

const isInvalidRequest = (err: unknown): boolean => isTopicdError(err) && err.code === 'InvalidRequestException';

export function storeContract(name: string, backend: StoreBackend): void {
  describe(`${name} - Store contract`, () => {
    let store: Store;
    beforeEach(async () => { store = await backend.open(); });
    afterEach(async () => { await store.close(); });

    shadowContract(() => store);
    durabilityContract(backend, () => store);

    describe('meta', () => {
      test('meta - get of an unknown key is undefined', async () => {
        assert.equal(await store.meta.get('nope'), undefined);
      });
      test('meta - set then get, and set overwrites', async () => {
        await store.meta.set('accountId', '123456789012');
        assert.equal(await store.meta.get('accountId'), '123456789012');
        await store.meta.set('accountId', '210987654321');
        assert.equal(await store.meta.get('accountId'), '210987654321');
        await store.meta.set('empty', '');
        assert.equal(await store.meta.get('empty'), '');
      });
    });

    describe('things', () => {
      test('things - insert then get returns the same row', async () => {
        const row = thing('lamp-1', { thingTypeName: 'lamp', attributes: { 'a.b@c/d:e#f,g': 'x=[1]', room: 'k' }, version: 3 });
        assert.equal(await store.things.insert(row), true);
        assert.deepEqual(await store.things.get('lamp-1'), row);
      });
      test('things - get of an unknown name is undefined', async () => {
        assert.equal(await store.things.get('nope'), undefined);
      });
      test('things - insert of a taken name resolves false and changes nothing', async () => {
        await store.things.insert(thing('t', { thingId: 'first' }));
        assert.equal(await store.things.insert(thing('t', { thingId: 'second' })), false);
        assert.equal((await store.things.get('t'))?.thingId, 'first');
      });
      test('things - names are case-sensitive', async () => {
        assert.equal(await store.things.insert(thing('Lamp')), true);
        assert.equal(await store.things.insert(thing('lamp', { thingId: 'other' })), true);
        assert.equal(await store.things.get('LAMP'), undefined);
      });
      test('things - update replaces the row; unknown resolves false', async () => {
        await store.things.insert(thing('t', { attributes: { a: '1' } }));
        const next = thing('t', { thingTypeName: 'type', attributes: { b: '2' }, version: 2 });
        assert.equal(await store.things.update(next), true);
        assert.deepEqual(await store.things.get('t'), next);
        assert.equal(await store.things.update(thing('missing')), false);
        assert.equal(await store.things.get('missing'), undefined);
      });
      test('things - update with ifVersion is a compare-and-set', async () => {
        await store.things.insert(thing('t', { version: 4 }));
        assert.equal(await store.things.update(thing('t', { version: 5, attributes: { x: 'lost' } }), 3), false);
        assert.deepEqual((await store.things.get('t'))?.attributes, {});
        assert.equal(await store.things.update(thing('t', { version: 5, attributes: { x: 'won' } }), 4), true);
        assert.deepEqual(await store.things.get('t'), thing('t', { version: 5, attributes: { x: 'won' } }));
      });
      test('things - delete; unknown resolves false; ifVersion must match', async () => {
        await store.things.insert(thing('t', { version: 2 }));
        assert.equal(await store.things.delete('t', 1), false);
        assert.notEqual(await store.things.get('t'), undefined);
        assert.equal(await store.things.delete('t', 2), true);
        assert.equal(await store.things.get('t'), undefined);
        assert.equal(await store.things.delete('t'), false);
        await store.things.insert(thing('u'));
        assert.equal(await store.things.delete('u'), true);
      });
      test('things - list pages in name order both ways, tokens lead on, last page has next null', async () => {
        const names = ['b', 'a', 'e', 'c', 'd', 'A', 'a-1'];
        for (const n of names) await store.things.insert(thing(n));
        const sorted = [...names].sort();
        for (const limit of [1, 2, 3, 7, 50]) {
          assert.deepEqual((await all((p) => store.things.list(p), limit)).map((t) => t.thingName), sorted, `limit ${limit}`);
          assert.deepEqual((await all((p) => store.things.list(p), limit, false)).map((t) => t.thingName), [...sorted].reverse());
        }
        const exact = await store.things.list({ limit: 7 });
        assert.equal(exact.items.length, 7);
        assert.equal(exact.next, null, 'no next token when the rows end exactly at the limit');
      });
      test('things - list of an empty store is one empty page', async () => {
        assert.deepEqual(await store.things.list({ limit: 10 }), { items: [], next: null });
      });
      test('things - list carries whole rows', async () => {
        const row = thing('t', { thingTypeName: 'k', attributes: { a: '1' }, version: 9 });
        await store.things.insert(row);
        assert.deepEqual((await store.things.list({ limit: 5 })).items, [row]);
      });
      test('things - list filters by thing type, attribute name, value, or both, across pages', async () => {
        await store.things.insert(thing('t1', { thingTypeName: 'lamp', attributes: { color: 'red', 'a.b': 'x' } }));
        await store.things.insert(thing('t2', { thingTypeName: 'lamp', attributes: { color: 'blue' } }));
        await store.things.insert(thing('t3', { thingTypeName: 'door', attributes: { color: 'red' } }));
        await store.things.insert(thing('t4', { attributes: { size: 'red' } }));
        await store.things.insert(thing('t5'));
        const names = async (filter: Parameters<Store['things']['list']>[1]): Promise<string[]> =>
          (await all((p) => store.things.list(p, filter), 1)).map((t) => t.thingName);
        assert.deepEqual(await names({ thingTypeName: 'lamp' }), ['t1', 't2']);
        assert.deepEqual(await names({ attributeName: 'color' }), ['t1', 't2', 't3']);
        assert.deepEqual(await names({ attributeName: 'color', attributeValue: 'red' }), ['t1', 't3']);
        assert.deepEqual(await names({ attributeValue: 'red' }), ['t1', 't3', 't4']);
        assert.deepEqual(await names({ attributeName: 'a.b', attributeValue: 'x' }), ['t1']);
        assert.deepEqual(await names({ thingTypeName: 'lamp', attributeName: 'color', attributeValue: 'red' }), ['t1']);
        assert.deepEqual(await names({ thingTypeName: 'none' }), []);
        assert.deepEqual(await names({}), ['t1', 't2', 't3', 't4', 't5']);
      });
      test('things - usePrefixAttributeValue matches the value\'s start, literally (no LIKE wildcards)', async () => {
        await store.things.insert(thing('t1', { attributes: { serial: 'AB-100' } }));
        await store.things.insert(thing('t2', { attributes: { serial: 'AB-200', other: 'AB' } }));
        await store.things.insert(thing('t3', { attributes: { serial: 'XAB' } }));
        await store.things.insert(thing('t4', { attributes: { serial: 'A_%' } }));
        const names = async (filter: Parameters<Store['things']['list']>[1]): Promise<string[]> =>
          (await all((p) => store.things.list(p, filter), 1)).map((t) => t.thingName);
        assert.deepEqual(await names({ attributeName: 'serial', attributeValue: 'AB', usePrefixAttributeValue: true }), ['t1', 't2']);
        assert.deepEqual(await names({ attributeName: 'serial', attributeValue: 'AB' }), []);
        assert.deepEqual(await names({ attributeName: 'serial', attributeValue: 'AB-1', usePrefixAttributeValue: true }), ['t1']);
        assert.deepEqual(await names({ attributeName: 'serial', attributeValue: 'A_', usePrefixAttributeValue: true }), ['t4']);
        assert.deepEqual(await names({ attributeValue: 'AB', usePrefixAttributeValue: true }), ['t1', 't2']);
        assert.deepEqual(await names({ attributeName: 'serial', attributeValue: '', usePrefixAttributeValue: true }), ['t1', 't2', 't3', 't4']);
      });
      test('things - a token the store did not make is InvalidRequestException', async () => {
        await store.things.insert(thing('t'));
        await assert.rejects(store.things.list({ limit: 1, after: 'not a token!' }), isInvalidRequest);
        await assert.rejects(store.things.list({ limit: 1, after: Buffer.from('{"x":1}').toString('base64url') }), isInvalidRequest);
      });
    });

    describe('thingTypes', () => {
      test('thingTypes - insert then get returns the same row; unknown is undefined; a taken name resolves false', async () => {
        const row = thingType('lamp', {
          description: 'A lamp', searchableAttributes: ['room', 'floor'], mqtt5Configuration: '{"propagatingAttributes":[]}',
          tags: [{ Key: 'k', Value: 'v' }], deprecated: true, deprecationDate: 1_700_000_000_500,
        });
        assert.equal(await store.thingTypes.insert(row), true);
        assert.deepEqual(await store.thingTypes.get('lamp'), row);
        assert.equal(await store.thingTypes.get('Lamp'), undefined);
        assert.equal(await store.thingTypes.insert(thingType('lamp', { description: 'other' })), false);
        assert.equal((await store.thingTypes.get('lamp'))?.description, 'A lamp');
      });
      test('thingTypes - update replaces the row; delete; unknown resolves false', async () => {
        assert.equal(await store.thingTypes.update(thingType('nope')), false);
        await store.thingTypes.insert(thingType('lamp'));
        const next = thingType('lamp', { deprecated: true, deprecationDate: 5, description: 'd' });
        assert.equal(await store.thingTypes.update(next), true);
        assert.deepEqual(await store.thingTypes.get('lamp'), next);
        assert.equal(await store.thingTypes.delete('lamp'), true);
        assert.equal(await store.thingTypes.delete('lamp'), false);
        assert.equal(await store.thingTypes.get('lamp'), undefined);
      });
      test('thingTypes - list pages in name order both ways; the name filter keeps one type', async () => {
        for (const name of ['c', 'a', 'e', 'b', 'd']) await store.thingTypes.insert(thingType(name));
        for (const limit of [1, 2, 5, 6]) {
          assert.deepEqual((await all((p) => store.thingTypes.list(p), limit)).map((t) => t.thingTypeName), ['a', 'b', 'c', 'd', 'e']);
        }
        assert.deepEqual((await all((p) => store.thingTypes.list(p), 2, false)).map((t) => t.thingTypeName), ['e', 'd', 'c', 'b', 'a']);
        assert.deepEqual((await store.thingTypes.list({ limit: 5 }, { thingTypeName: 'c' })).items.map((t) => t.thingTypeName), ['c']);
        assert.deepEqual((await store.thingTypes.list({ limit: 5 }, { thingTypeName: 'x' })).items, []);
        await assert.rejects(store.thingTypes.list({ limit: 1, after: 'not a token!' }), isInvalidRequest);
      });
    });

    describe('certificates', () => {
      test('certificates - insert then get returns the same row; unknown is undefined', async () => {
        const row = cert(1, { caCertificateId: null, status: 'INACTIVE', certificateMode: 'SNI_ONLY', customerVersion: 3 });
        assert.equal(await store.certificates.insert(row), true);
        assert.deepEqual(await store.certificates.get(row.certificateId), row);
        assert.equal(await store.certificates.get(hex(2)), undefined);
      });
      test('certificates - insert of a known id resolves false and changes nothing', async () => {
        await store.certificates.insert(cert(1));
        assert.equal(await store.certificates.insert(cert(1, { status: 'REVOKED' })), false);
        assert.equal((await store.certificates.get(hex(1)))?.status, 'ACTIVE');
      });
      test('certificates - setStatus changes status and lastModifiedDate only; unknown resolves false', async () => {
        await store.certificates.insert(cert(1));
        assert.equal(await store.certificates.setStatus(hex(1), 'REVOKED', 1_800_000_000_000), true);
        assert.deepEqual(await store.certificates.get(hex(1)), cert(1, { status: 'REVOKED', lastModifiedDate: 1_800_000_000_000 }));
        assert.equal(await store.certificates.setStatus(hex(2), 'ACTIVE', 1), false);
        assert.equal(await store.certificates.get(hex(2)), undefined);
      });
      test('certificates - delete; unknown resolves false', async () => {
        await store.certificates.insert(cert(1));
        assert.equal(await store.certificates.delete(hex(1)), true);
        assert.equal(await store.certificates.get(hex(1)), undefined);
        assert.equal(await store.certificates.delete(hex(1)), false);
      });
      test('certificates - list by creation date then id, both orders, all page sizes', async () => {
        // Two share a creation date so the id breaks the tie.
        const rows = [cert(5, { creationDate: 10 }), cert(3, { creationDate: 30 }), cert(1, { creationDate: 20 }),
          cert(4, { creationDate: 20 }), cert(2, { creationDate: 40 })];
        for (const r of rows) await store.certificates.insert(r);
        const order = [hex(5), hex(1), hex(4), hex(3), hex(2)];
        for (const limit of [1, 2, 4, 5, 250]) {
          assert.deepEqual((await all((p) => store.certificates.list(p), limit)).map((c) => c.certificateId), order, `limit ${limit}`);
          assert.deepEqual((await all((p) => store.certificates.list(p), limit, false)).map((c) => c.certificateId), [...order].reverse());
        }
        assert.deepEqual((await store.certificates.list({ limit: 1 })).items, [cert(5, { creationDate: 10 })]);
      });
      test('certificates - a token the store did not make is InvalidRequestException', async () => {
        await assert.rejects(store.certificates.list({ limit: 1, after: '%%%' }), isInvalidRequest);
        await assert.rejects(store.certificates.list({ limit: 1, after: Buffer.from('["a","b"]').toString('base64url') }), isInvalidRequest);
      });
      test('certificates - listStatuses has every certificate and its current status', async () => {
        assert.deepEqual(await store.certificates.listStatuses(), []);
        await store.certificates.insert(cert(1));
        await store.certificates.insert(cert(2, { status: 'INACTIVE' }));
        await store.certificates.setStatus(hex(1), 'REVOKED', 5);
        const statuses = (await store.certificates.listStatuses()).sort((a, b) => a.certificateId.localeCompare(b.certificateId));
        assert.deepEqual(statuses, [{ certificateId: hex(1), status: 'REVOKED' }, { certificateId: hex(2), status: 'INACTIVE' }]);
      });
    });

    describe('caCertificates', () => {
      test('caCertificates - insert then get returns the same row; a known id resolves false; unknown is undefined', async () => {
        const row = caCert(1, { status: 'INACTIVE', autoRegistrationStatus: 'ENABLE', registrationConfig: '{"templateName":"t"}', certificateMode: 'SNI_ONLY' });
        assert.equal(await store.caCertificates.insert(row), true);
        assert.deepEqual(await store.caCertificates.get(hex(1)), row);
        assert.equal(await store.caCertificates.insert(caCert(1, { status: 'ACTIVE' })), false);
        assert.equal((await store.caCertificates.get(hex(1)))?.status, 'INACTIVE');
        assert.equal(await store.caCertificates.get(hex(2)), undefined);
      });
      test('caCertificates - update replaces the row; unknown resolves false', async () => {
        await store.caCertificates.insert(caCert(1));
        const next = caCert(1, { status: 'INACTIVE', autoRegistrationStatus: 'ENABLE', lastModifiedDate: 5, customerVersion: 2, generationId: 'g2' });
        assert.equal(await store.caCertificates.update(next), true);
        assert.deepEqual(await store.caCertificates.get(hex(1)), next);
        assert.equal(await store.caCertificates.update(caCert(2)), false);
        assert.equal(await store.caCertificates.get(hex(2)), undefined);
      });
      test('caCertificates - delete; unknown resolves false', async () => {
        await store.caCertificates.insert(caCert(1));
        assert.equal(await store.caCertificates.delete(hex(1)), true);
        assert.equal(await store.caCertificates.get(hex(1)), undefined);
        assert.equal(await store.caCertificates.delete(hex(1)), false);
      });
      test('caCertificates - list and all by creation date then id, both orders, all page sizes', async () => {
        const rows = [caCert(5, { creationDate: 10 }), caCert(3, { creationDate: 30 }), caCert(1, { creationDate: 20 }), caCert(4, { creationDate: 20 })];
        for (const r of rows) await store.caCertificates.insert(r);
        const order = [hex(5), hex(1), hex(4), hex(3)];
        for (const limit of [1, 2, 3, 4, 250]) {
          assert.deepEqual((await all((p) => store.caCertificates.list(p), limit)).map((c) => c.certificateId), order, `limit ${limit}`);
          assert.deepEqual((await all((p) => store.caCertificates.list(p), limit, false)).map((c) => c.certificateId), [...order].reverse());
        }
        assert.deepEqual((await store.caCertificates.all()).map((c) => c.certificateId), order);
        await assert.rejects(store.caCertificates.list({ limit: 1, after: '%%%' }), isInvalidRequest);
      });
      test('caCertificates - certificatesOf and countCertificatesOf see only the CA\'s certificates, paged', async () => {
        const ca = hex(900);
        const mine = [cert(3, { caCertificateId: ca, creationDate: 30 }), cert(1, { caCertificateId: ca, creationDate: 20 }), cert(2, { caCertificateId: ca, creationDate: 20 })];
        for (const r of [...mine, cert(4), cert(5, { caCertificateId: null, certificateMode: 'SNI_ONLY' })]) await store.certificates.insert(r);
        const order = [hex(1), hex(2), hex(3)];
        for (const limit of [1, 2, 3, 250]) {
          assert.deepEqual((await all((p) => store.caCertificates.certificatesOf(ca, p), limit)).map((c) => c.certificateId), order, `limit ${limit}`);
          assert.deepEqual((await all((p) => store.caCertificates.certificatesOf(ca, p), limit, false)).map((c) => c.certificateId), [...order].reverse());
        }
        assert.deepEqual((await store.caCertificates.certificatesOf(ca, { limit: 1 })).items, [mine[1]]);
        assert.equal(await store.caCertificates.countCertificatesOf(ca), 3);
        assert.equal(await store.caCertificates.countCertificatesOf(hex(901)), 0);
        assert.deepEqual((await store.caCertificates.certificatesOf(hex(901), { limit: 5 })).items, []);
      });
      test('caCertificates - certificateIdsWithoutCa lists the SNI_ONLY certificates that name no CA', async () => {
        assert.deepEqual(await store.caCertificates.certificateIdsWithoutCa(), []);
        await store.certificates.insert(cert(1, { caCertificateId: null, certificateMode: 'SNI_ONLY' }));
        await store.certificates.insert(cert(2));
        await store.certificates.insert(cert(3, { caCertificateId: null, certificateMode: 'SNI_ONLY', status: 'INACTIVE' }));
        assert.deepEqual((await store.caCertificates.certificateIdsWithoutCa()).sort(), [hex(1), hex(3)]);
      });
    });

    describe('thingPrincipals', () => {
      const arn = (n: number): string => `arn:aws:iot:us-east-1:123456789012:cert/${hex(n)}`;

      test('thingPrincipals - attach is idempotent; both directions list it', async () => {
        await store.thingPrincipals.attach('t', arn(1));
        await store.thingPrincipals.attach('t', arn(1));
        assert.deepEqual(await store.thingPrincipals.principalsOf('t', { limit: 10 }), { items: [arn(1)], next: null });
        assert.deepEqual(await store.thingPrincipals.thingsOf(arn(1), { limit: 10 }), { items: ['t'], next: null });
        assert.equal(await store.thingPrincipals.countThingsOf(arn(1)), 1);
      });
      test('thingPrincipals - detach resolves true once, then false', async () => {
        await store.thingPrincipals.attach('t', arn(1));
        assert.equal(await store.thingPrincipals.detach('t', arn(1)), true);
        assert.equal(await store.thingPrincipals.detach('t', arn(1)), false);
        assert.equal(await store.thingPrincipals.detach('other', arn(2)), false);
        assert.deepEqual(await store.thingPrincipals.principalsOf('t', { limit: 10 }), { items: [], next: null });
        assert.equal(await store.thingPrincipals.countThingsOf(arn(1)), 0);
      });
      test('thingPrincipals - principalsOf and thingsOf page in key order and keep owners apart', async () => {
        for (const n of [3, 1, 2]) await store.thingPrincipals.attach('t', arn(n));
        await store.thingPrincipals.attach('other', arn(9));
        for (const name of ['c', 'a', 'b']) await store.thingPrincipals.attach(name, arn(7));
        for (const limit of [1, 2, 3]) {
          assert.deepEqual(await all((p) => store.thingPrincipals.principalsOf('t', p), limit), [arn(1), arn(2), arn(3)]);
          assert.deepEqual(await all((p) => store.thingPrincipals.principalsOf('t', p), limit, false), [arn(3), arn(2), arn(1)]);
          assert.deepEqual(await all((p) => store.thingPrincipals.thingsOf(arn(7), p), limit), ['a', 'b', 'c']);
        }
        assert.equal(await store.thingPrincipals.countThingsOf(arn(7)), 3);
        assert.equal(await store.thingPrincipals.countThingsOf(arn(8)), 0);
        await assert.rejects(store.thingPrincipals.thingsOf(arn(7), { limit: 1, after: 'bad token' }), isInvalidRequest);
      });
      test('thingPrincipals - detachAllOfThing removes only that thing\'s attachments', async () => {
        await store.thingPrincipals.attach('t', arn(1));
        await store.thingPrincipals.attach('t', arn(2));
        await store.thingPrincipals.attach('u', arn(1));
        await store.thingPrincipals.detachAllOfThing('t');
        assert.deepEqual((await store.thingPrincipals.principalsOf('t', { limit: 10 })).items, []);
        assert.deepEqual((await store.thingPrincipals.thingsOf(arn(1), { limit: 10 })).items, ['u']);
        assert.equal(await store.thingPrincipals.countThingsOf(arn(2)), 0);
        await store.thingPrincipals.detachAllOfThing('nothing');
      });
    });

    describe('accessKeys', () => {
      const key = (n: number, isAdmin = false): AccessKeyRow =>
        ({ accessKeyId: `AKIA${String(n).padStart(16, '0')}`, secretAccessKey: `secret-${n}`, createdAt: 1000 + n, isAdmin });

      test('accessKeys - insert, get, list in creation order, delete', async () => {
        assert.deepEqual(await store.accessKeys.list(), []);
        await store.accessKeys.insert(key(2));
        await store.accessKeys.insert(key(1));
        assert.deepEqual(await store.accessKeys.get(key(1).accessKeyId), key(1));
        assert.equal(await store.accessKeys.get('AKIANOPE'), undefined);
        assert.deepEqual(await store.accessKeys.list(), [key(1), key(2)]);
        assert.equal(await store.accessKeys.delete(key(1).accessKeyId), true);
        assert.equal(await store.accessKeys.delete(key(1).accessKeyId), false);
        assert.deepEqual(await store.accessKeys.list(), [key(2)]);
      });
      test('accessKeys - isAdmin is kept per key', async () => {
        await store.accessKeys.insert(key(1, true));
        await store.accessKeys.insert(key(2));
        assert.deepEqual((await store.accessKeys.list()).map((k) => k.isAdmin), [true, false]);
        assert.equal((await store.accessKeys.get(key(1).accessKeyId))?.isAdmin, true);
      });
      test('accessKeys - insert of a known id rejects and keeps the first secret', async () => {
        await store.accessKeys.insert(key(1));
        await assert.rejects(store.accessKeys.insert({ ...key(1), secretAccessKey: 'other' }));
        assert.equal((await store.accessKeys.get(key(1).accessKeyId))?.secretAccessKey, 'secret-1');
      });
    });

    describe('sessions', () => {
      const message = (seq: number) => ({ seq, topic: `t/${seq}`, payload: Buffer.from([seq, 0, 255]), qos: 1 as const, properties: seq % 2 ? '{"k":1}' : null, expiresAt: seq % 2 ? null : 1000 + seq });

      test('sessions - put, subscribe, enqueue, then all() returns them in order', async () => {
        assert.deepEqual(await store.sessions.all(), []);
        await store.sessions.put({ clientId: 'b', expirySeconds: 3600, disconnectedAt: null, owner: null });
        await store.sessions.put({ clientId: 'a', expirySeconds: 60, disconnectedAt: 5, owner: 'cert-a' });
        await store.sessions.subscribe('a', { filter: 'x/#', qos: 1 });
        await store.sessions.subscribe('a', { filter: 'x/#', qos: 0 });
        await store.sessions.subscribe('a', { filter: 'a/+', qos: 1 });
        await store.sessions.enqueue('a', message(2));
        await store.sessions.enqueue('a', message(1));
        const all = await store.sessions.all();
        assert.deepEqual(all.map((s) => s.session.clientId), ['a', 'b']);
        assert.deepEqual(all[0]?.session, { clientId: 'a', expirySeconds: 60, disconnectedAt: 5, owner: 'cert-a' });
        assert.deepEqual(all[0]?.subscriptions, [{ filter: 'a/+', qos: 1 }, { filter: 'x/#', qos: 0 }]);
        assert.deepEqual(all[0]?.messages, [message(1), message(2)]);
        assert.deepEqual(all[1]?.messages, []);
      });
      test('sessions - get(clientId) returns the one session as all() does, undefined for an unknown one', async () => {
        await store.sessions.put({ clientId: 'a', expirySeconds: 60, disconnectedAt: 5, owner: 'cert-a' });
        await store.sessions.put({ clientId: 'b', expirySeconds: 30, disconnectedAt: null, owner: null });
        await store.sessions.subscribe('a', { filter: 'x/#', qos: 1, options: 1, identifier: 3 });
        await store.sessions.subscribe('b', { filter: 'y', qos: 0 });
        await store.sessions.enqueue('a', message(2));
        await store.sessions.enqueue('a', message(1));
        await store.sessions.enqueue('b', message(3));
        await store.sessions.awaitRelease('a', 7);
        const a = await store.sessions.get('a');
        assert.deepEqual(a, (await store.sessions.all()).find((s) => s.session.clientId === 'a'));
        assert.deepEqual(a?.messages.map((m) => m.seq), [1, 2]);
        assert.deepEqual(a?.awaitingRelease, [7]);
        assert.equal(await store.sessions.get('nobody'), undefined);
      });
      test('sessions - dequeue, unsubscribe, and delete takes subscriptions and messages with it', async () => {
        await store.sessions.put({ clientId: 'a', expirySeconds: 60, disconnectedAt: null, owner: null });
        await store.sessions.subscribe('a', { filter: 'f', qos: 1 });
        await store.sessions.enqueue('a', message(1));
        await store.sessions.enqueue('a', message(2));
        await store.sessions.dequeue('a', 1);
        await store.sessions.unsubscribe('a', 'f');
        let all = await store.sessions.all();
        assert.deepEqual(all[0]?.messages, [message(2)]);
        assert.deepEqual(all[0]?.subscriptions, []);
        await store.sessions.put({ clientId: 'a', expirySeconds: 30, disconnectedAt: 9, owner: null });
        assert.equal((await store.sessions.all())[0]?.session.expirySeconds, 30);
        await store.sessions.delete('a');
        all = await store.sessions.all();
        assert.deepEqual(all, []);
        await store.sessions.put({ clientId: 'a', expirySeconds: 60, disconnectedAt: null, owner: null });
        assert.deepEqual((await store.sessions.all())[0]?.messages, [], 'a new session starts empty');
      });
      test('sessions - subscription options and identifiers, QoS 2 messages with identifiers and their tracked delivery state', async () => {
        await store.sessions.put({ clientId: 'a', expirySeconds: 60, disconnectedAt: null, owner: null });
        await store.sessions.subscribe('a', { filter: 'x/#', qos: 2, options: 3, identifier: 268435455 });
        await store.sessions.subscribe('a', { filter: 'y', qos: 1 });
        await store.sessions.enqueue('a', { ...message(1), qos: 2, identifiers: [4, 5] });
        await store.sessions.enqueue('a', { ...message(2), qos: 2 });
        await store.sessions.track('a', 1, 17, false);
        await store.sessions.track('a', 2, 18, false);
        await store.sessions.track('a', 2, 18, true);
        await store.sessions.track('a', 99, 19, true);
        const [stored] = await store.sessions.all();
        assert.deepEqual(stored?.subscriptions, [{ filter: 'x/#', qos: 2, options: 3, identifier: 268435455 }, { filter: 'y', qos: 1 }]);
        assert.deepEqual(stored?.messages, [
          { ...message(1), qos: 2, identifiers: [4, 5], packetId: 17, released: false },
          { ...message(2), qos: 2, packetId: 18, released: true },
        ]);
      });
      test('sessions - inbound QoS 2 packet ids awaiting release are kept per session, once each, and go with the session', async () => {
        await store.sessions.put({ clientId: 'a', expirySeconds: 60, disconnectedAt: null, owner: null });
        await store.sessions.put({ clientId: 'b', expirySeconds: 60, disconnectedAt: null, owner: null });
        await store.sessions.awaitRelease('a', 9);
        await store.sessions.awaitRelease('a', 3);
        await store.sessions.awaitRelease('a', 9);
        await store.sessions.awaitRelease('b', 65535);
        await store.sessions.release('a', 3);
        await store.sessions.release('a', 4);
        let all = await store.sessions.all();
        assert.deepEqual(all.map((s) => s.awaitingRelease), [[9], [65535]]);
        await store.sessions.delete('a');
        await store.sessions.put({ clientId: 'a', expirySeconds: 60, disconnectedAt: null, owner: null });
        all = await store.sessions.all();
        assert.deepEqual(all.map((s) => s.awaitingRelease), [[], [65535]], 'a new session starts with none');
      });
      test('sessions - delayed wills: put replaces per client id, wills() in due order, delete; they outlive the session row', async () => {
        const will = (clientId: string, dueAt: number, body: string) =>
          ({ clientId, topic: `w/${clientId}`, payload: Buffer.from(body), qos: 1 as const, retain: dueAt % 2 === 0, properties: dueAt % 2 ? '{"contentType":"t"}' : null, dueAt });
        assert.deepEqual(await store.sessions.wills(), []);
        await store.sessions.put({ clientId: 'a', expirySeconds: 60, disconnectedAt: 1, owner: null });
        await store.sessions.putWill(will('a', 30, 'first'));
        await store.sessions.putWill(will('b', 20, 'b'));
        await store.sessions.putWill(will('a', 41, 'second'));
        assert.deepEqual(await store.sessions.wills(), [will('b', 20, 'b'), will('a', 41, 'second')]);
        await store.sessions.delete('a');
        assert.deepEqual((await store.sessions.wills()).map((w) => w.clientId), ['b', 'a']);
        await store.sessions.deleteWill('a');
        await store.sessions.deleteWill('nobody');
        assert.deepEqual(await store.sessions.wills(), [will('b', 20, 'b')]);
      });
    });

    describe('retained', () => {
      const row = (topic: string, body: string, at: number) =>
        ({ topic, payload: Buffer.from(body), qos: 1 as const, properties: at % 2 ? '{"contentType":"t"}' : null, updatedAt: at });

      test('retained - put replaces per topic, get, all in topic order, delete', async () => {
        assert.deepEqual(await store.retained.all(), []);
        await store.retained.put(row('b/1', 'one', 1));
        await store.retained.put(row('a/1', 'two', 2));
        await store.retained.put(row('b/1', 'three', 3));
        assert.deepEqual(await store.retained.get('b/1'), row('b/1', 'three', 3));
        assert.equal(await store.retained.get('zz'), undefined);
        assert.deepEqual((await store.retained.all()).map((r) => r.topic), ['a/1', 'b/1']);
        assert.equal(await store.retained.delete('a/1'), true);
        assert.equal(await store.retained.delete('a/1'), false);
        assert.deepEqual(await store.retained.all(), [row('b/1', 'three', 3)]);
      });
      test('retained - payloads are bytes, kept exactly (empty and binary)', async () => {
        const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        await store.retained.put({ topic: 'bin', payload: bytes, qos: 0, properties: null, updatedAt: 5 });
        assert.deepEqual((await store.retained.get('bin'))?.payload, bytes);
      });
    });

    describe('policies', () => {
      const policy = (policyName: string, over: Partial<PolicyRow> = {}): PolicyRow => ({
        policyName, defaultVersionId: '1', lastVersion: 1, generationId: `g-${policyName}-1`,
        creationDate: 1_700_000_000_000, lastModifiedDate: 1_700_000_000_000, ...over,
      });
      const version = (policyName: string, versionId: string, document = `{"v":"${versionId}"}`): PolicyVersionRow =>
        ({ policyName, versionId, document, creationDate: 1_700_000_000_000 + Number(versionId) });
      const target = (n: number): string => `arn:aws:iot:eu-west-1:123456789012:cert/${hex(n)}`;

      test('policies - insert with the first version, get, getVersion; a taken name resolves false', async () => {
        assert.equal(await store.policies.insert(policy('p'), version('p', '1', ' { "Version" : "x" } ')), true);
        assert.deepEqual(await store.policies.get('p'), policy('p'));
        assert.deepEqual(await store.policies.getVersion('p', '1'), version('p', '1', ' { "Version" : "x" } '), 'document kept exactly');
        assert.equal(await store.policies.insert(policy('p', { generationId: 'other' }), version('p', '1')), false);
        assert.equal((await store.policies.get('p'))?.generationId, 'g-p-1');
        assert.equal(await store.policies.get('P'), undefined, 'names are case-sensitive');
        assert.equal(await store.policies.getVersion('p', '2'), undefined);
      });
      test('policies - update is a compare-and-set on generationId and adds/removes a version with it', async () => {
        await store.policies.insert(policy('p'), version('p', '1'));
        const next = policy('p', { defaultVersionId: '2', lastVersion: 2, generationId: 'g2', lastModifiedDate: 5 });
        assert.equal(await store.policies.update(next, 'stale', { add: version('p', '2') }), false);
        assert.equal(await store.policies.getVersion('p', '2'), undefined, 'nothing added on a failed compare');
        assert.equal(await store.policies.update(next, 'g-p-1', { add: version('p', '2') }), true);
        assert.deepEqual(await store.policies.get('p'), next);
        assert.deepEqual((await store.policies.versions('p')).map((v) => v.versionId), ['1', '2']);
        assert.equal(await store.policies.update({ ...next, generationId: 'g3' }, 'g2', { remove: '1' }), true);
        assert.deepEqual((await store.policies.versions('p')).map((v) => v.versionId), ['2']);
        assert.equal(await store.policies.update(policy('missing'), 'g-missing-1'), false);
      });
      test('policies - versions are in numeric order; defaultVersions gives each default', async () => {
        await store.policies.insert(policy('a'), version('a', '1'));
        let gen = 'g-a-1';
        for (let v = 2; v <= 11; v++) {
          const next = policy('a', { lastVersion: v, generationId: `g${v}` });
          assert.ok(await store.policies.update(next, gen, { add: version('a', String(v)) }));
          gen = `g${v}`;
        }
        assert.deepEqual((await store.policies.versions('a')).map((v) => v.versionId), ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11']);
        await store.policies.insert(policy('b'), version('b', '1', 'doc-b'));
        assert.deepEqual((await store.policies.defaultVersions()).map((v) => [v.policyName, v.versionId]), [['a', '1'], ['b', '1']]);
        await store.policies.update(policy('a', { lastVersion: 11, defaultVersionId: '10', generationId: 'g12' }), gen);
        assert.deepEqual((await store.policies.defaultVersions()).map((v) => [v.policyName, v.versionId]), [['a', '10'], ['b', '1']]);
      });
      test('policies - list pages by name both ways; a foreign token is InvalidRequest', async () => {
        const names = Array.from({ length: 7 }, (_, i) => `pol-${i}`);
        for (const name of [...names].reverse()) await store.policies.insert(policy(name), version(name, '1'));
        assert.deepEqual((await all((p) => store.policies.list(p), 3)).map((p) => p.policyName), names);
        assert.deepEqual((await all((p) => store.policies.list(p), 2, false)).map((p) => p.policyName), [...names].reverse());
        await assert.rejects(store.policies.list({ after: 'not-a-token', limit: 2 }), isInvalidRequest);
      });
      test('policies - attach, detach, policiesOf and targetsOf page; counts; every attachment', async () => {
        await store.policies.insert(policy('p1'), version('p1', '1'));
        await store.policies.insert(policy('p2'), version('p2', '1'));
        assert.equal(await store.policies.attach('p2', target(1), 10), 'attached');
        assert.equal(await store.policies.attach('p1', target(1), 10), 'attached');
        assert.equal(await store.policies.attach('p1', target(1), 10), 'already-attached');
        for (let n = 2; n <= 6; n++) assert.equal(await store.policies.attach('p1', target(n), 10), 'attached');
        assert.deepEqual(await all((p) => store.policies.policiesOf(target(1), p), 1), ['p1', 'p2']);
        assert.deepEqual(await all((p) => store.policies.targetsOf('p1', p), 4), [1, 2, 3, 4, 5, 6].map(target));
        assert.deepEqual(await all((p) => store.policies.targetsOf('p1', p), 4, false), [6, 5, 4, 3, 2, 1].map(target));
        assert.equal(await store.policies.countPoliciesOf(target(1)), 2);
        assert.equal(await store.policies.countPoliciesOf(target(9)), 0);
        assert.equal(await store.policies.detach('p1', target(2)), true);
        assert.equal(await store.policies.detach('p1', target(2)), false);
        assert.equal((await store.policies.attachments()).length, 6);
        assert.deepEqual(await store.policies.attachments().then((a) => a.filter((x) => x.target === target(1))),
          [{ policyName: 'p1', target: target(1) }, { policyName: 'p2', target: target(1) }]);
      });
      test('policies - attach refuses an unknown policy and a target at its limit', async () => {
        assert.equal(await store.policies.attach('nope', target(1), 10), 'no-policy');
        for (const name of ['a', 'b', 'c']) await store.policies.insert(policy(name), version(name, '1'));
        assert.equal(await store.policies.attach('a', target(1), 2), 'attached');
        assert.equal(await store.policies.attach('b', target(1), 2), 'attached');
        assert.equal(await store.policies.attach('c', target(1), 2), 'limit');
        assert.equal(await store.policies.attach('a', target(1), 2), 'already-attached', 'an existing attachment is not a new one');
        assert.equal(await store.policies.countPoliciesOf(target(1)), 2);
      });
      test('policies - delete needs the generation and no attachment, and takes the versions along', async () => {
        await store.policies.insert(policy('p'), version('p', '1'));
        await store.policies.attach('p', target(1), 10);
        assert.equal(await store.policies.delete('p', 'g-p-1'), false, 'attached');
        assert.deepEqual(await store.policies.detachAllOfTarget(target(1)), ['p']);
        assert.deepEqual(await store.policies.detachAllOfTarget(target(1)), []);
        assert.equal(await store.policies.delete('p', 'stale'), false);
        assert.equal(await store.policies.delete('p', 'g-p-1'), true);
        assert.equal(await store.policies.get('p'), undefined);
        assert.deepEqual(await store.policies.versions('p'), []);
        assert.equal(await store.policies.delete('p', 'g-p-1'), false);
        assert.equal(await store.policies.insert(policy('p'), version('p', '1', 'again')), true, 'the name is free again');
        assert.equal((await store.policies.getVersion('p', '1'))?.document, 'again');
      });
    });
  });
}
