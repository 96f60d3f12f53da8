/**
 * Thing types and ListThings filters as AWS tools drive them: a real topicd (temp data dir, ephemeral
 * ports) called with @aws-sdk/client-iot, its paginators included, errors by AWS type and HTTP
 * status. The five-minute wait before a deprecated type can be deleted needs a clock the test moves:
 * test/unit/thing-type-registry.test.ts covers it; here only its refusal is seen.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateThingCommand,
  CreateThingTypeCommand,
  DeleteThingTypeCommand,
  DeprecateThingTypeCommand,
  DescribeThingCommand,
  DescribeThingTypeCommand,
  ListThingTypesCommand,
  ListThingsCommand,
  UpdateThingCommand,
  UpdateThingTypeCommand,
  paginateListThingTypes,
  paginateListThings,
  type ListThingsCommandInput,
} from '@aws-sdk/client-iot';
import { rejectsWith, startTestTopicd, type TestTopicd } from '../helpers/topicd.js';

describe('thing types', () => {
  let topicd: TestTopicd;
  before(async () => { topicd = await startTestTopicd(); });
  after(async () => { await topicd.stop(); });

  it('thing types - create, describe (properties, metadata as dates), idempotent create, update', async () => {
    const { iot } = topicd;
    const before = Math.floor(Date.now() / 1000);
    const created = await iot.send(new CreateThingTypeCommand({
      thingTypeName: 'lamp',
      thingTypeProperties: { thingTypeDescription: 'Ceiling lamp', searchableAttributes: ['room', 'floor'] },
      tags: [{ Key: 'team', Value: 'home' }],
    }));
    assert.equal(created.thingTypeName, 'lamp');
    assert.equal(created.thingTypeArn, `arn:aws:iot:${topicd.running.config.region}:${topicd.running.accountId}:thingtype/lamp`);
    assert.match(created.thingTypeId ?? '', /^[0-9a-f-]{36}$/);

    const described = await iot.send(new DescribeThingTypeCommand({ thingTypeName: 'lamp' }));
    assert.equal(described.thingTypeId, created.thingTypeId);
    assert.equal(described.thingTypeArn, created.thingTypeArn);
    assert.deepEqual(described.thingTypeProperties, { thingTypeDescription: 'Ceiling lamp', searchableAttributes: ['room', 'floor'] });
    assert.equal(described.thingTypeMetadata?.deprecated, false);
    assert.equal(described.thingTypeMetadata?.deprecationDate, undefined);
    assert.ok(described.thingTypeMetadata?.creationDate instanceof Date, 'creationDate parses as a timestamp');
    assert.ok(Math.floor(described.thingTypeMetadata.creationDate.getTime() / 1000) >= before);

    const again = await iot.send(new CreateThingTypeCommand({
      thingTypeName: 'lamp', thingTypeProperties: { thingTypeDescription: 'Ceiling lamp', searchableAttributes: ['room', 'floor'] },
    }));
    assert.equal(again.thingTypeId, created.thingTypeId);
    await rejectsWith(iot.send(new CreateThingTypeCommand({ thingTypeName: 'lamp' })), 'ResourceAlreadyExistsException', 409);

    await iot.send(new UpdateThingTypeCommand({
      thingTypeName: 'lamp',
      thingTypeProperties: { mqtt5Configuration: { propagatingAttributes: [{ userPropertyKey: 'room', thingAttribute: 'room' }] } },
    }));
    const updated = await iot.send(new DescribeThingTypeCommand({ thingTypeName: 'lamp' }));
    assert.deepEqual(updated.thingTypeProperties?.mqtt5Configuration, { propagatingAttributes: [{ userPropertyKey: 'room', thingAttribute: 'room' }] });
    assert.equal(updated.thingTypeProperties?.thingTypeDescription, 'Ceiling lamp');
  });

  it('thing types - bad input and unknown types are AWS errors', async () => {
    const { iot } = topicd;
    await rejectsWith(iot.send(new CreateThingTypeCommand({ thingTypeName: 'four', thingTypeProperties: { searchableAttributes: ['a', 'b', 'c', 'd'] } })),
      'InvalidRequestException', 400);
    await rejectsWith(iot.send(new CreateThingTypeCommand({ thingTypeName: 'bad name' })), 'InvalidRequestException', 400);
    await rejectsWith(iot.send(new DescribeThingTypeCommand({ thingTypeName: 'missing' })), 'ResourceNotFoundException', 404);
    await rejectsWith(iot.send(new DeprecateThingTypeCommand({ thingTypeName: 'missing' })), 'ResourceNotFoundException', 404);
    await rejectsWith(iot.send(new DeleteThingTypeCommand({ thingTypeName: 'missing' })), 'ResourceNotFoundException', 404);
    await rejectsWith(iot.send(new UpdateThingTypeCommand({ thingTypeName: 'missing', thingTypeProperties: {} })), 'ResourceNotFoundException', 404);
    await rejectsWith(iot.send(new ListThingTypesCommand({ maxResults: 251 })), 'InvalidRequestException', 400);
  });

  it('thing types - things: unknown type 404, deprecated type 400, 50 attributes with a type and 3 without, removeThingType', async () => {
    const { iot } = topicd;
    await iot.send(new CreateThingTypeCommand({ thingTypeName: 'sensor' }));
    await rejectsWith(iot.send(new CreateThingCommand({ thingName: 'x', thingTypeName: 'no-such-type' })), 'ResourceNotFoundException', 404);
    const four = { a: '1', b: '2', c: '3', d: '4' };
    const { message } = await rejectsWith(iot.send(new CreateThingCommand({ thingName: 'untyped', attributePayload: { attributes: four } })), 'InvalidRequestException', 400);
    assert.match(message, /at most 3/);
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`a${i}`, 'v']));
    await iot.send(new CreateThingCommand({ thingName: 'typed', thingTypeName: 'sensor', attributePayload: { attributes: fifty } }));
    await rejectsWith(iot.send(new UpdateThingCommand({ thingName: 'typed', attributePayload: { attributes: { extra: 'v' }, merge: true } })),
      'InvalidRequestException', 400);
    await rejectsWith(iot.send(new UpdateThingCommand({ thingName: 'typed', removeThingType: true })), 'InvalidRequestException', 400);
    await iot.send(new UpdateThingCommand({ thingName: 'typed', removeThingType: true, attributePayload: { attributes: { a: '1' } } }));
    assert.equal((await iot.send(new DescribeThingCommand({ thingName: 'typed' }))).thingTypeName, undefined);

    await iot.send(new CreateThingCommand({ thingName: 'old-1', thingTypeName: 'sensor' }));
    await iot.send(new DeprecateThingTypeCommand({ thingTypeName: 'sensor' }));
    const deprecated = await iot.send(new DescribeThingTypeCommand({ thingTypeName: 'sensor' }));
    assert.equal(deprecated.thingTypeMetadata?.deprecated, true);
    assert.ok(deprecated.thingTypeMetadata?.deprecationDate instanceof Date);
    await rejectsWith(iot.send(new CreateThingCommand({ thingName: 'new-1', thingTypeName: 'sensor' })), 'InvalidRequestException', 400);
    await rejectsWith(iot.send(new UpdateThingCommand({ thingName: 'typed', thingTypeName: 'sensor' })), 'InvalidRequestException', 400);
    await iot.send(new UpdateThingCommand({ thingName: 'old-1', attributePayload: { attributes: { still: 'fine' } } }));

    await iot.send(new DeprecateThingTypeCommand({ thingTypeName: 'sensor', undoDeprecate: true }));
    assert.equal((await iot.send(new DescribeThingTypeCommand({ thingTypeName: 'sensor' }))).thingTypeMetadata?.deprecated, false);
    await iot.send(new CreateThingCommand({ thingName: 'new-1', thingTypeName: 'sensor' }));
  });

  it('thing types - delete: refused until deprecated, then for 5 minutes', async () => {
    const { iot } = topicd;
    await iot.send(new CreateThingTypeCommand({ thingTypeName: 'short-lived' }));
    await rejectsWith(iot.send(new DeleteThingTypeCommand({ thingTypeName: 'short-lived' })), 'InvalidRequestException', 400, /deprecated/);
    await iot.send(new DeprecateThingTypeCommand({ thingTypeName: 'short-lived' }));
    await rejectsWith(iot.send(new DeleteThingTypeCommand({ thingTypeName: 'short-lived' })), 'InvalidRequestException', 400, /5 minutes/);
  });

  it('thing types - ListThingTypes pages with the SDK paginator and filters by name', async () => {
    const { iot } = topicd;
    for (const name of ['pg-c', 'pg-a', 'pg-b']) await iot.send(new CreateThingTypeCommand({ thingTypeName: name }));
    const names: string[] = [];
    let pages = 0;
    for await (const page of paginateListThingTypes({ client: iot, pageSize: 2 }, {})) {
      pages++;
      assert.ok((page.thingTypes ?? []).length <= 2);
      for (const t of page.thingTypes ?? []) {
        names.push(t.thingTypeName ?? '');
        assert.equal(t.thingTypeArn?.endsWith(`:thingtype/${t.thingTypeName}`), true);
        assert.equal(typeof t.thingTypeMetadata?.deprecated, 'boolean');
      }
    }
    assert.deepEqual(names, [...names].sort());
    assert.ok(['pg-a', 'pg-b', 'pg-c'].every((n) => names.includes(n)));
    assert.ok(pages >= 2);
    const one = await iot.send(new ListThingTypesCommand({ thingTypeName: 'pg-b' }));
    assert.deepEqual(one.thingTypes?.map((t) => t.thingTypeName), ['pg-b']);
  });
});

describe('ListThings filters', () => {
  let topicd: TestTopicd;
  before(async () => {
    topicd = await startTestTopicd();
    const { iot } = topicd;
    await iot.send(new CreateThingTypeCommand({ thingTypeName: 'meter' }));
    const things: Array<[string, string | undefined, Record<string, string>]> = [
      ['m1', 'meter', { serial: 'AB-100', site: 'north' }],
      ['m2', 'meter', { serial: 'AB-200', site: 'south' }],
      ['m3', 'meter', { serial: 'CD-300', site: 'north' }],
      ['p1', undefined, { serial: 'AB-100' }],
      ['p2', undefined, { site: 'north' }],
      ['p3', undefined, {}],
    ];
    for (const [thingName, thingTypeName, attributes] of things) {
      await iot.send(new CreateThingCommand({ thingName, ...(thingTypeName ? { thingTypeName } : {}), attributePayload: { attributes } }));
    }
  });
  after(async () => { await topicd.stop(); });

  /** Every thing name the SDK paginator yields, one thing per page so paging is exercised on each filter. */
  async function names(input: ListThingsCommandInput): Promise<string[]> {
    const out: string[] = [];
    for await (const page of paginateListThings({ client: topicd.iot, pageSize: 1 }, input)) {
      assert.ok((page.things ?? []).length <= 1);
      out.push(...(page.things ?? []).map((t) => t.thingName ?? ''));
    }
    return out;
  }

  it('ListThings - thingTypeName, attributeName/attributeValue, and both, across pages', async () => {
    assert.deepEqual(await names({}), ['m1', 'm2', 'm3', 'p1', 'p2', 'p3']);
    assert.deepEqual(await names({ thingTypeName: 'meter' }), ['m1', 'm2', 'm3']);
    assert.deepEqual(await names({ attributeName: 'site', attributeValue: 'north' }), ['m1', 'm3', 'p2']);
    assert.deepEqual(await names({ attributeName: 'serial' }), ['m1', 'm2', 'm3', 'p1']);
    assert.deepEqual(await names({ thingTypeName: 'meter', attributeName: 'site', attributeValue: 'north' }), ['m1', 'm3']);
    assert.deepEqual(await names({ thingTypeName: 'no-such-type' }), []);
  });

  it('ListThings - usePrefixAttributeValue matches the start of the value', async () => {
    assert.deepEqual(await names({ attributeName: 'serial', attributeValue: 'AB', usePrefixAttributeValue: true }), ['m1', 'm2', 'p1']);
    assert.deepEqual(await names({ attributeName: 'serial', attributeValue: 'AB', usePrefixAttributeValue: false }), []);
    assert.deepEqual(await names({ attributeName: 'serial', attributeValue: 'AB-1', usePrefixAttributeValue: true, thingTypeName: 'meter' }), ['m1']);
  });

  it('ListThings - each thing carries name, type, ARN, attributes and version', async () => {
    const page = await topicd.iot.send(new ListThingsCommand({ thingTypeName: 'meter', maxResults: 1 }));
    assert.deepEqual(page.things?.[0], {
      thingName: 'm1', thingTypeName: 'meter', thingArn: `arn:aws:iot:${topicd.running.config.region}:${topicd.running.accountId}:thing/m1`,
      attributes: { serial: 'AB-100', site: 'north' }, version: 1,
    });
    assert.equal(typeof page.nextToken, 'string');
  });
});
