/**
 * @module control/registry-operations
 * The control-plane operations on things, certificates and the endpoint (reference §7; botocore
 * `iot/2015-05-28/service-2.json`), as data over the registry.
 */
import { invalidRequest, notFound } from '../errors.js';
import { CERTIFICATE_STATUSES } from '../store/store.js';
import {
  attributePayload,
  jsonBody,
  markerPaging,
  memberBoolean,
  memberLong,
  memberString,
  paging,
  pathLabel,
  queryBoolean,
  queryEnum,
  queryLong,
  queryString,
  requiredHeader,
  requiredMemberString,
  requiredQueryString,
} from './input.js';
import type { Operation, OperationRequest } from './operation.js';

/** AWS IoT endpoint types; every one answers topicd's single endpoint. Matched case-insensitively, as AWS does. */
export const ENDPOINT_TYPES = ['iot:Data', 'iot:Data-ATS', 'iot:CredentialProvider', 'iot:Jobs'] as const;

const THING_PRINCIPAL_TYPES = ['EXCLUSIVE_THING', 'NON_EXCLUSIVE_THING'] as const;

const label = (req: OperationRequest, name: string): string => pathLabel(req.params, name);

export const REGISTRY_OPERATIONS: readonly Operation[] = [
  {
    name: 'DescribeEndpoint',
    method: 'GET',
    url: '/endpoint',
    async handle(ctx, req) {
      // AWS: no endpointType means iot:Data, the legacy endpoint.
      const type = queryString(req.query, 'endpointType') ?? 'iot:Data';
      if (!ENDPOINT_TYPES.some((t) => t.toLowerCase() === type.toLowerCase())) {
        throw invalidRequest(`Endpoint type ${type} is not valid. Valid types: ${ENDPOINT_TYPES.join(', ')}.`);
      }
      return { endpointAddress: ctx.endpoint };
    },
  },

  // ---- things ----
  {
    name: 'CreateThing',
    method: 'POST',
    url: '/things/:thingName',
    async handle(ctx, req) {
      const body = jsonBody(req.body);
      const billingGroupName = memberString(body, 'billingGroupName');
      // topicd has no billing groups, so a named one cannot exist (AWS: ResourceNotFoundException).
      if (billingGroupName !== undefined) throw notFound(`Billing group ${billingGroupName} does not exist.`);
      return ctx.registry.createThing({
        thingName: label(req, 'thingName'),
        thingTypeName: memberString(body, 'thingTypeName'),
        attributes: attributePayload(body)?.attributes,
      });
    },
  },
  {
    name: 'DescribeThing',
    method: 'GET',
    url: '/things/:thingName',
    async handle(ctx, req) {
      return ctx.registry.describeThing(label(req, 'thingName'));
    },
  },
  {
    name: 'ListThings',
    method: 'GET',
    url: '/things',
    async handle(ctx, req) {
      const page = await ctx.registry.listThings({
        ...paging(req.query),
        attributeName: queryString(req.query, 'attributeName'),
        attributeValue: queryString(req.query, 'attributeValue'),
        thingTypeName: queryString(req.query, 'thingTypeName'),
        usePrefixAttributeValue: queryBoolean(req.query, 'usePrefixAttributeValue'),
      });
      return { things: page.things, nextToken: page.nextToken };
    },
  },
  {
    name: 'UpdateThing',
    method: 'PATCH',
    url: '/things/:thingName',
    async handle(ctx, req) {
      const body = jsonBody(req.body);
      const thingTypeName = memberString(body, 'thingTypeName');
      const removeThingType = memberBoolean(body, 'removeThingType');
      if (removeThingType === true && thingTypeName !== undefined) {
        throw invalidRequest('Cannot specify both a thingTypeName and removeThingType.');
      }
      const payload = attributePayload(body);
      await ctx.registry.updateThing({
        thingName: label(req, 'thingName'),
        thingTypeName,
        removeThingType,
        attributes: payload?.attributes,
        merge: payload?.merge,
        expectedVersion: memberLong(body, 'expectedVersion'),
      });
      return {};
    },
  },
  {
    name: 'DeleteThing',
    method: 'DELETE',
    url: '/things/:thingName',
    async handle(ctx, req) {
      await ctx.registry.deleteThing(label(req, 'thingName'), queryLong(req.query, 'expectedVersion'));
      return {};
    },
  },

  // ---- certificates ----
  {
    name: 'CreateKeysAndCertificate',
    method: 'POST',
    url: '/keys-and-certificate',
    async handle(ctx, req) {
      return ctx.registry.createKeysAndCertificate(queryBoolean(req.query, 'setAsActive') ?? false);
    },
  },
  {
    name: 'CreateCertificateFromCsr',
    method: 'POST',
    url: '/certificates',
    async handle(ctx, req) {
      const csr = requiredMemberString(jsonBody(req.body), 'certificateSigningRequest');
      if (csr.length > 4096) {
        throw invalidRequest("1 validation error detected: Value at 'certificateSigningRequest' failed to satisfy constraint: Member must have length less than or equal to 4096");
      }
      return ctx.registry.createCertificateFromCsr(csr, queryBoolean(req.query, 'setAsActive') ?? false);
    },
  },
  {
    name: 'DescribeCertificate',
    method: 'GET',
    url: '/certificates/:certificateId',
    async handle(ctx, req) {
      return { certificateDescription: await ctx.registry.describeCertificate(label(req, 'certificateId')) };
    },
  },
  {
    name: 'ListCertificates',
    method: 'GET',
    url: '/certificates',
    async handle(ctx, req) {
      const page = await ctx.registry.listCertificates(markerPaging(req.query));
      return { certificates: page.certificates, nextMarker: page.nextMarker };
    },
  },
  {
    name: 'UpdateCertificate',
    method: 'PUT',
    url: '/certificates/:certificateId',
    async handle(ctx, req) {
      requiredQueryString(req.query, 'newStatus');
      const newStatus = queryEnum(req.query, 'newStatus', CERTIFICATE_STATUSES) ?? '';
      await ctx.registry.updateCertificate(label(req, 'certificateId'), newStatus);
      return undefined;
    },
  },
  {
    name: 'DeleteCertificate',
    method: 'DELETE',
    url: '/certificates/:certificateId',
    async handle(ctx, req) {
      await ctx.registry.deleteCertificate(label(req, 'certificateId'), queryBoolean(req.query, 'forceDelete') ?? false);
      return undefined;
    },
  },

  // ---- thing <-> principal ----
  {
    name: 'AttachThingPrincipal',
    method: 'PUT',
    url: '/things/:thingName/principals',
    async handle(ctx, req) {
      const thingName = label(req, 'thingName');
      const principal = requiredHeader(req.headers, 'x-amzn-principal', 'principal');
      const type = queryEnum(req.query, 'thingPrincipalType', THING_PRINCIPAL_TYPES) ?? 'NON_EXCLUSIVE_THING';
      if (type === 'EXCLUSIVE_THING') {
        // The registry has no notion of exclusivity yet; checked here, so not atomic against a
        // concurrent attach of the same principal elsewhere.
        const { things } = await ctx.registry.listPrincipalThings(principal, { maxResults: 2 });
        const other = things.find((t) => t !== thingName);
        if (other !== undefined) {
          throw invalidRequest(`Principal ${principal} is already attached to thing ${other}; EXCLUSIVE_THING requires it attached to no other thing.`);
        }
      }
      await ctx.registry.attachThingPrincipal(thingName, principal);
      return {};
    },
  },
  {
    name: 'DetachThingPrincipal',
    method: 'DELETE',
    url: '/things/:thingName/principals',
    async handle(ctx, req) {
      await ctx.registry.detachThingPrincipal(label(req, 'thingName'), requiredHeader(req.headers, 'x-amzn-principal', 'principal'));
      return {};
    },
  },
  {
    name: 'ListThingPrincipals',
    method: 'GET',
    url: '/things/:thingName/principals',
    async handle(ctx, req) {
      const page = await ctx.registry.listThingPrincipals(label(req, 'thingName'), paging(req.query));
      return { principals: page.principals, nextToken: page.nextToken };
    },
  },
  {
    name: 'ListPrincipalThings',
    method: 'GET',
    url: '/principals/things',
    async handle(ctx, req) {
      const principal = requiredHeader(req.headers, 'x-amzn-principal', 'principal');
      const page = await ctx.registry.listPrincipalThings(principal, paging(req.query));
      return { things: page.things, nextToken: page.nextToken };
    },
  },

];
