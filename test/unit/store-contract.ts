/**
 * @module test/unit/store-contract
 * The one contract every Store backend must pass. A backend's test file calls `storeContract` with a
 * function that opens a fresh, empty store; each case gets its own.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { isTopicdError } from '../../src/errors.js';
import type { CertificateRow, Page, PageRequest, Store, ThingRow } from '../../src/store/store.js';

const thing = (thingName: string, over: Partial<ThingRow> = {}): ThingRow => ({
  thingName,
  thingId: `id-${thingName}`,
  thingTypeName: null,
  attributes: {},
  version: 1,
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

export function storeContract(name: string, open: () => Promise<Store>): void {
  describe(`${name} - Store contract`, () => {
    let store: Store;
    beforeEach(async () => { store = await open(); });
    afterEach(async () => { await store.close(); });

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
      test('things - a token the store did not make is InvalidRequestException', async () => {
        await store.things.insert(thing('t'));
        await assert.rejects(store.things.list({ limit: 1, after: 'not a token!' }), isInvalidRequest);
        await assert.rejects(store.things.list({ limit: 1, after: Buffer.from('{"x":1}').toString('base64url') }), isInvalidRequest);
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
      const key = (n: number): { accessKeyId: string; secretAccessKey: string; createdAt: number } =>
        ({ accessKeyId: `AKIA${String(n).padStart(16, '0')}`, secretAccessKey: `secret-${n}`, createdAt: 1000 + n });

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
        await store.sessions.put({ clientId: 'b', expirySeconds: 3600, disconnectedAt: null });
        await store.sessions.put({ clientId: 'a', expirySeconds: 60, disconnectedAt: 5 });
        await store.sessions.subscribe('a', { filter: 'x/#', qos: 1 });
        await store.sessions.subscribe('a', { filter: 'x/#', qos: 0 });
        await store.sessions.subscribe('a', { filter: 'a/+', qos: 1 });
        await store.sessions.enqueue('a', message(2));
        await store.sessions.enqueue('a', message(1));
        const all = await store.sessions.all();
        assert.deepEqual(all.map((s) => s.session.clientId), ['a', 'b']);
        assert.deepEqual(all[0]?.session, { clientId: 'a', expirySeconds: 60, disconnectedAt: 5 });
        assert.deepEqual(all[0]?.subscriptions, [{ filter: 'a/+', qos: 1 }, { filter: 'x/#', qos: 0 }]);
        assert.deepEqual(all[0]?.messages, [message(1), message(2)]);
        assert.deepEqual(all[1]?.messages, []);
      });
      test('sessions - dequeue, unsubscribe, and delete takes subscriptions and messages with it', async () => {
        await store.sessions.put({ clientId: 'a', expirySeconds: 60, disconnectedAt: null });
        await store.sessions.subscribe('a', { filter: 'f', qos: 1 });
        await store.sessions.enqueue('a', message(1));
        await store.sessions.enqueue('a', message(2));
        await store.sessions.dequeue('a', 1);
        await store.sessions.unsubscribe('a', 'f');
        let all = await store.sessions.all();
        assert.deepEqual(all[0]?.messages, [message(2)]);
        assert.deepEqual(all[0]?.subscriptions, []);
        await store.sessions.put({ clientId: 'a', expirySeconds: 30, disconnectedAt: 9 });
        assert.equal((await store.sessions.all())[0]?.session.expirySeconds, 30);
        await store.sessions.delete('a');
        all = await store.sessions.all();
        assert.deepEqual(all, []);
        await store.sessions.put({ clientId: 'a', expirySeconds: 60, disconnectedAt: null });
        assert.deepEqual((await store.sessions.all())[0]?.messages, [], 'a new session starts empty');
      });
      test('sessions - subscription options and identifiers, QoS 2 messages with identifiers and their tracked delivery state', async () => {
        await store.sessions.put({ clientId: 'a', expirySeconds: 60, disconnectedAt: null });
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
  });
}
