/**
 * @module control/thing-type-operations
 * AWS IoT's thing-type operations (botocore `iot/2015-05-28`): CreateThingType, DescribeThingType,
 * ListThingTypes, UpdateThingType, DeprecateThingType, DeleteThingType. Entries of the operation
 * table (control/operations.ts spreads them into OPERATIONS); the rules are the registry's
 * (registry/thing-type-registry.ts).
 */
import { jsonBody, memberBoolean, paging, pathLabel, queryString } from './input.js';
import type { Operation } from './operation.js';

const thingTypeName = (params: Record<string, string>): string => pathLabel(params, 'thingTypeName');

export const THING_TYPE_OPERATIONS: readonly Operation[] = [
  {
    name: 'CreateThingType',
    method: 'POST',
    url: '/thing-types/:thingTypeName',
    async handle(ctx, req) {
      const body = jsonBody(req.body);
      return ctx.registry.thingTypes.createThingType({
        thingTypeName: thingTypeName(req.params),
        thingTypeProperties: body.thingTypeProperties,
        tags: body.tags,
      });
    },
  },
  {
    name: 'DescribeThingType',
    method: 'GET',
    url: '/thing-types/:thingTypeName',
    async handle(ctx, req) {
      return ctx.registry.thingTypes.describeThingType(thingTypeName(req.params));
    },
  },
  {
    name: 'ListThingTypes',
    method: 'GET',
    url: '/thing-types',
    async handle(ctx, req) {
      const page = await ctx.registry.thingTypes.listThingTypes({ ...paging(req.query), thingTypeName: queryString(req.query, 'thingTypeName') });
      return { thingTypes: page.thingTypes, nextToken: page.nextToken };
    },
  },
  {
    name: 'UpdateThingType',
    method: 'PATCH',
    url: '/thing-types/:thingTypeName',
    async handle(ctx, req) {
      await ctx.registry.thingTypes.updateThingType(thingTypeName(req.params), jsonBody(req.body).thingTypeProperties);
      return {};
    },
  },
  {
    name: 'DeprecateThingType',
    method: 'POST',
    url: '/thing-types/:thingTypeName/deprecate',
    async handle(ctx, req) {
      const undoDeprecate = memberBoolean(jsonBody(req.body), 'undoDeprecate') ?? false;
      await ctx.registry.thingTypes.deprecateThingType(thingTypeName(req.params), undoDeprecate);
      return {};
    },
  },
  {
    name: 'DeleteThingType',
    method: 'DELETE',
    url: '/thing-types/:thingTypeName',
    async handle(ctx, req) {
      await ctx.registry.thingTypes.deleteThingType(thingTypeName(req.params));
      return {};
    },
  },
];
