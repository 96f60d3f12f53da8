/**
 * @module test/unit/thing-type-registry.test
 * Thing types' AWS rules over a real SqliteStore, with the registry's injected clock standing in for
 * the five minutes AWS makes a deprecated type wait before it can be deleted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { isTopicdError, type AwsErrorType } from '../../src/errors.js';
import { CertificateAuthority } from '../../src/pki/certificate-authority.js';
import { Registry } from '../../src/registry/registry.js';
import { DELETE_AFTER_DEPRECATION_MS } from '../../src/registry/thing-type-registry.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const dir = mkdtempSync(join(tmpdir(), 'topicd-thing-types-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let stores = 0;

const fails = (code: AwsErrorType, message?: RegExp) => (err: unknown): boolean => {
  assert.ok(isTopicdError(err), `expected a TopicdError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (message) assert.match(err.message, message);
  return true;
};

let ca: CertificateAuthority;
before(async () => { ca = await CertificateAuthority.loadOrCreate(join(dir, 'ca')); });

describe('registry - thing types', () => {
  let registry: Registry;
  let store: SqliteStore;
  const now = { ms: 1_700_000_000_000 };
  beforeEach(async () => {
    store = SqliteStore.open(join(dir, `r-${++stores}.db`));
    now.ms = 1_700_000_000_000;
    registry = new Registry({ store, ca, accountId: ACCOUNT, region: REGION, clock: () => now.ms });
    await registry.init();
  });

  test('thing types - create returns name, ARN and id; describe shows properties and metadata in epoch seconds', async () => {
    const created = await registry.thingTypes.createThingType({
      thingTypeName: 'lamp', thingTypeProperties: { thingTypeDescription: 'A lamp (E27)', searchableAttributes: ['room', 'floor'] },
      tags: [{ Key: 'team', Value: 'home' }],
    });
    assert.equal(created.thingTypeArn, `arn:aws:iot:${REGION}:${ACCOUNT}:thingtype/lamp`);
    assert.match(created.thingTypeId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(await registry.thingTypes.describeThingType('lamp'), {
      thingTypeName: 'lamp', thingTypeId: created.thingTypeId, thingTypeArn: created.thingTypeArn,
      thingTypeProperties: { thingTypeDescription: 'A lamp (E27)', searchableAttributes: ['room', 'floor'] },
      thingTypeMetadata: { deprecated: false, creationDate: 1_700_000_000 },
    });
    assert.deepEqual(await registry.thingTypes.createThingType({
      thingTypeName: 'lamp', thingTypeProperties: { thingTypeDescription: 'A lamp (E27)', searchableAttributes: ['room', 'floor'] },
    }), created, 'the same properties again: idempotent');
    await assert.rejects(registry.thingTypes.createThingType({ thingTypeName: 'lamp' }), fails('ResourceAlreadyExistsException'));
  });

  test('thing types - bad names and properties are InvalidRequestException', async () => {
    const bad: unknown[] = [
      'not an object', { searchableAttributes: ['a', 'b', 'c', 'd'] }, { searchableAttributes: ['bad name'] },
      { thingTypeDescription: 'x'.repeat(2029) }, { thingTypeDescription: 'tab\there' }, { thingTypeDescription: 5 },
      { mqtt5Configuration: { propagatingAttributes: 'x' } },
    ];
    for (const thingTypeProperties of bad) {
      await assert.rejects(registry.thingTypes.createThingType({ thingTypeName: 't', thingTypeProperties }), fails('InvalidRequestException'), JSON.stringify(thingTypeProperties));
    }
    for (const thingTypeName of ['', 'has space', 'x'.repeat(129)]) {
      await assert.rejects(registry.thingTypes.createThingType({ thingTypeName }), fails('InvalidRequestException', /thingTypeName/));
    }
    await assert.rejects(registry.thingTypes.createThingType({ thingTypeName: 't', tags: [{ Key: '' }] }), fails('InvalidRequestException'));
    assert.equal(await store.thingTypes.get('t'), undefined);
  });

  test('thing types - things: an unknown type is ResourceNotFoundException, a deprecated one InvalidRequestException', async () => {
    await assert.rejects(registry.createThing({ thingName: 't', thingTypeName: 'nope' }), fails('ResourceNotFoundException'));
    await registry.thingTypes.createThingType({ thingTypeName: 'old' });
    await registry.createThing({ thingName: 'kept', thingTypeName: 'old' });
    await registry.thingTypes.deprecateThingType('old', false);
    await assert.rejects(registry.createThing({ thingName: 't', thingTypeName: 'old' }), fails('InvalidRequestException', /deprecated/));
    await registry.createThing({ thingName: 'plain' });
    await assert.rejects(registry.updateThing({ thingName: 'plain', thingTypeName: 'old' }), fails('InvalidRequestException', /deprecated/));
    await assert.rejects(registry.updateThing({ thingName: 'plain', thingTypeName: 'nope' }), fails('ResourceNotFoundException'));
    await registry.updateThing({ thingName: 'kept', attributes: { a: '1' }, merge: true });
    assert.equal((await registry.describeThing('kept')).thingTypeName, 'old', 'a thing keeps its type after deprecation');
    await registry.thingTypes.deprecateThingType('old', true);
    await registry.createThing({ thingName: 't', thingTypeName: 'old' });
  });

  test('thing types - removeThingType applies the 3-attribute limit of untyped things', async () => {
    await registry.thingTypes.createThingType({ thingTypeName: 'k' });
    await registry.createThing({ thingName: 't', thingTypeName: 'k', attributes: { a: '1', b: '2', c: '3', d: '4' } });
    await assert.rejects(registry.updateThing({ thingName: 't', removeThingType: true }), fails('InvalidRequestException', /at most 3/));
    await registry.updateThing({ thingName: 't', removeThingType: true, attributes: { a: '1' } });
    assert.deepEqual(await registry.describeThing('t'), {
      defaultClientId: 't', thingName: 't', thingId: (await store.things.get('t'))?.thingId, thingArn: registry.thingArn('t'), attributes: { a: '1' }, version: 2,
    });
  });

  test('thing types - delete: only deprecated, only 5 minutes after, only with no things of the type', async () => {
    await assert.rejects(registry.thingTypes.deleteThingType('nope'), fails('ResourceNotFoundException'));
    await registry.thingTypes.createThingType({ thingTypeName: 'k' });
    await registry.createThing({ thingName: 't', thingTypeName: 'k' });
    await assert.rejects(registry.thingTypes.deleteThingType('k'), fails('InvalidRequestException', /must be deprecated/));
    await registry.thingTypes.deprecateThingType('k', false);
    const deprecatedAt = now.ms;
    assert.deepEqual((await registry.thingTypes.describeThingType('k')).thingTypeMetadata, {
      deprecated: true, deprecationDate: deprecatedAt / 1000, creationDate: 1_700_000_000,
    });
    now.ms += DELETE_AFTER_DEPRECATION_MS - 1;
    await assert.rejects(registry.thingTypes.deleteThingType('k'), fails('InvalidRequestException', /less than 5 minutes/));
    now.ms += 1;
    await assert.rejects(registry.thingTypes.deleteThingType('k'), fails('InvalidRequestException', /things are still associated/));
    await registry.deleteThing('t');
    await registry.thingTypes.deleteThingType('k');
    await assert.rejects(registry.thingTypes.describeThingType('k'), fails('ResourceNotFoundException'));
  });

  test('thing types - deprecating again keeps the first date; undo clears it and restarts the wait', async () => {
    await registry.thingTypes.createThingType({ thingTypeName: 'k' });
    await registry.thingTypes.deprecateThingType('k', false);
    const first = (await registry.thingTypes.describeThingType('k')).thingTypeMetadata.deprecationDate;
    now.ms += 1000;
    await registry.thingTypes.deprecateThingType('k', false);
    assert.equal((await registry.thingTypes.describeThingType('k')).thingTypeMetadata.deprecationDate, first);
    await registry.thingTypes.deprecateThingType('k', true);
    assert.deepEqual((await registry.thingTypes.describeThingType('k')).thingTypeMetadata, { deprecated: false, creationDate: 1_700_000_000 });
    now.ms += DELETE_AFTER_DEPRECATION_MS;
    await registry.thingTypes.deprecateThingType('k', false);
    await assert.rejects(registry.thingTypes.deleteThingType('k'), fails('InvalidRequestException', /less than 5 minutes/));
  });

  test('thing types - update replaces only the properties it names', async () => {
    await registry.thingTypes.createThingType({ thingTypeName: 'k', thingTypeProperties: { thingTypeDescription: 'd', searchableAttributes: ['a'] } });
    await registry.thingTypes.updateThingType('k', { mqtt5Configuration: { propagatingAttributes: [{ userPropertyKey: 'sn', thingAttribute: 'serial' }] } });
    assert.deepEqual((await registry.thingTypes.describeThingType('k')).thingTypeProperties, {
      thingTypeDescription: 'd', searchableAttributes: ['a'],
      mqtt5Configuration: { propagatingAttributes: [{ userPropertyKey: 'sn', thingAttribute: 'serial' }] },
    });
    await registry.thingTypes.updateThingType('k', { thingTypeDescription: 'new' });
    assert.equal((await registry.thingTypes.describeThingType('k')).thingTypeProperties.thingTypeDescription, 'new');
    await assert.rejects(registry.thingTypes.updateThingType('nope', {}), fails('ResourceNotFoundException'));
  });

  test('thing types - list in name order with maxResults and nextToken; the name filter', async () => {
    for (const name of ['c', 'a', 'b']) await registry.thingTypes.createThingType({ thingTypeName: name });
    const first = await registry.thingTypes.listThingTypes({ maxResults: 2 });
    assert.deepEqual(first.thingTypes.map((t) => t.thingTypeName), ['a', 'b']);
    assert.equal('thingTypeId' in (first.thingTypes[0] ?? {}), false, 'ThingTypeDefinition has no id');
    const rest = await registry.thingTypes.listThingTypes({ maxResults: 2, nextToken: first.nextToken });
    assert.deepEqual(rest.thingTypes.map((t) => t.thingTypeName), ['c']);
    assert.equal(rest.nextToken, undefined);
    assert.deepEqual((await registry.thingTypes.listThingTypes({ thingTypeName: 'b' })).thingTypes.map((t) => t.thingTypeName), ['b']);
    await assert.rejects(registry.thingTypes.listThingTypes({ maxResults: 251 }), fails('InvalidRequestException', /maxResults/));
  });
});
