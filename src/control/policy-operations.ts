/**
 * @module control/policy-operations
 * The AWS IoT policy operations (botocore `iot/2015-05-28/service-2.json`): policies and their
 * versions, attachments to targets (AttachPolicy and the deprecated AttachPrincipalPolicy with its
 * `x-amzn-iot-principal` header), the listings, GetEffectivePolicies and TestAuthorization. Each
 * entry reads its members from where the model puts them (path, query, header, body) and calls
 * the registry's policies; the AWS rules live there.
 */
import {
  jsonBody,
  memberString,
  memberStringList,
  memberStructureList,
  queryBoolean,
  queryInteger,
  queryString,
  requiredHeader,
  requiredMemberString,
  type QueryBag,
} from './input.js';
import type { Operation, OperationRequest } from './operations.js';

/** AWS: PageSize is 1..250. */
const MAX_PAGE = 250;
/** AWS (deprecated principal-policy operations): the principal travels in this header. */
const PRINCIPAL_HEADER = 'x-amzn-iot-principal';

const param = (req: OperationRequest, name: string): string => req.params[name] ?? '';

const markerPaging = (query: QueryBag): { marker: string | undefined; pageSize: number | undefined; isAscendingOrder: boolean | undefined } => ({
  marker: queryString(query, 'marker'),
  pageSize: queryInteger(query, 'pageSize', 1, MAX_PAGE),
  isAscendingOrder: queryBoolean(query, 'isAscendingOrder'),
});

export const POLICY_OPERATIONS: readonly Operation[] = [
  {
    name: 'CreatePolicy',
    method: 'POST',
    url: '/policies/:policyName',
    async handle(ctx, req) {
      // Tags are accepted and not kept: topicd has no tagging API to read them back.
      const body = jsonBody(req.body);
      return ctx.registry.policies.createPolicy(param(req, 'policyName'), requiredMemberString(body, 'policyDocument'));
    },
  },
  {
    name: 'GetPolicy',
    method: 'GET',
    url: '/policies/:policyName',
    async handle(ctx, req) {
      return ctx.registry.policies.getPolicy(param(req, 'policyName'));
    },
  },
  {
    name: 'ListPolicies',
    method: 'GET',
    url: '/policies',
    async handle(ctx, req) {
      const page = await ctx.registry.policies.listPolicies(markerPaging(req.query));
      return { policies: page.policies, nextMarker: page.nextMarker };
    },
  },
  {
    name: 'DeletePolicy',
    method: 'DELETE',
    url: '/policies/:policyName',
    async handle(ctx, req) {
      await ctx.registry.policies.deletePolicy(param(req, 'policyName'));
      return undefined;
    },
  },

  // ---- versions ----
  {
    name: 'CreatePolicyVersion',
    method: 'POST',
    url: '/policies/:policyName/version',
    async handle(ctx, req) {
      const document = requiredMemberString(jsonBody(req.body), 'policyDocument');
      return ctx.registry.policies.createPolicyVersion(param(req, 'policyName'), document, queryBoolean(req.query, 'setAsDefault') ?? false);
    },
  },
  {
    name: 'ListPolicyVersions',
    method: 'GET',
    url: '/policies/:policyName/version',
    async handle(ctx, req) {
      return ctx.registry.policies.listPolicyVersions(param(req, 'policyName'));
    },
  },
  {
    name: 'GetPolicyVersion',
    method: 'GET',
    url: '/policies/:policyName/version/:policyVersionId',
    async handle(ctx, req) {
      return ctx.registry.policies.getPolicyVersion(param(req, 'policyName'), param(req, 'policyVersionId'));
    },
  },
  {
    name: 'SetDefaultPolicyVersion',
    method: 'PATCH',
    url: '/policies/:policyName/version/:policyVersionId',
    async handle(ctx, req) {
      await ctx.registry.policies.setDefaultPolicyVersion(param(req, 'policyName'), param(req, 'policyVersionId'));
      return undefined;
    },
  },
  {
    name: 'DeletePolicyVersion',
    method: 'DELETE',
    url: '/policies/:policyName/version/:policyVersionId',
    async handle(ctx, req) {
      await ctx.registry.policies.deletePolicyVersion(param(req, 'policyName'), param(req, 'policyVersionId'));
      return undefined;
    },
  },

  // ---- attachments ----
  {
    name: 'AttachPolicy',
    method: 'PUT',
    url: '/target-policies/:policyName',
    async handle(ctx, req) {
      await ctx.registry.policies.attachPolicy(param(req, 'policyName'), requiredMemberString(jsonBody(req.body), 'target'));
      return undefined;
    },
  },
  {
    // AWS: DetachPolicy is a POST on the same route (a DELETE could not carry the body's target).
    name: 'DetachPolicy',
    method: 'POST',
    url: '/target-policies/:policyName',
    async handle(ctx, req) {
      await ctx.registry.policies.detachPolicy(param(req, 'policyName'), requiredMemberString(jsonBody(req.body), 'target'));
      return undefined;
    },
  },
  {
    name: 'AttachPrincipalPolicy',
    method: 'PUT',
    url: '/principal-policies/:policyName',
    async handle(ctx, req) {
      await ctx.registry.policies.attachPolicy(param(req, 'policyName'), requiredHeader(req.headers, PRINCIPAL_HEADER, 'principal'));
      return undefined;
    },
  },
  {
    name: 'DetachPrincipalPolicy',
    method: 'DELETE',
    url: '/principal-policies/:policyName',
    async handle(ctx, req) {
      await ctx.registry.policies.detachPolicy(param(req, 'policyName'), requiredHeader(req.headers, PRINCIPAL_HEADER, 'principal'));
      return undefined;
    },
  },
  {
    name: 'ListPrincipalPolicies',
    method: 'GET',
    url: '/principal-policies',
    async handle(ctx, req) {
      const principal = requiredHeader(req.headers, PRINCIPAL_HEADER, 'principal');
      const page = await ctx.registry.policies.listAttachedPolicies(principal, markerPaging(req.query));
      return { policies: page.policies, nextMarker: page.nextMarker };
    },
  },
  {
    name: 'ListAttachedPolicies',
    method: 'POST',
    url: '/attached-policies/:target',
    async handle(ctx, req) {
      // `recursive` adds the policies of a thing group's parents; topicd has no thing groups yet.
      queryBoolean(req.query, 'recursive');
      const { marker, pageSize } = markerPaging(req.query);
      const page = await ctx.registry.policies.listAttachedPolicies(param(req, 'target'), { marker, pageSize });
      return { policies: page.policies, nextMarker: page.nextMarker };
    },
  },
  {
    name: 'ListTargetsForPolicy',
    method: 'POST',
    url: '/policy-targets/:policyName',
    async handle(ctx, req) {
      const { marker, pageSize } = markerPaging(req.query);
      const page = await ctx.registry.policies.listTargetsForPolicy(param(req, 'policyName'), { marker, pageSize });
      return { targets: page.targets, nextMarker: page.nextMarker };
    },
  },

  // ---- questions ----
  {
    name: 'GetEffectivePolicies',
    method: 'POST',
    url: '/effective-policies',
    async handle(ctx, req) {
      const body = jsonBody(req.body);
      return ctx.registry.policies.getEffectivePolicies({
        principal: memberString(body, 'principal'),
        cognitoIdentityPoolId: memberString(body, 'cognitoIdentityPoolId'),
        thingName: queryString(req.query, 'thingName'),
      });
    },
  },
  {
    name: 'TestAuthorization',
    method: 'POST',
    url: '/test-authorization',
    async handle(ctx, req) {
      const body = jsonBody(req.body);
      const authInfos = (memberStructureList(body, 'authInfos') ?? []).map((info) => {
        const actionType = memberString(info, 'actionType');
        return { ...(actionType === undefined ? {} : { actionType }), resources: memberStringList(info, 'resources') ?? [] };
      });
      return ctx.registry.policies.testAuthorization({
        principal: memberString(body, 'principal'),
        cognitoIdentityPoolId: memberString(body, 'cognitoIdentityPoolId'),
        clientId: queryString(req.query, 'clientId'),
        authInfos,
        policyNamesToAdd: memberStringList(body, 'policyNamesToAdd'),
        policyNamesToSkip: memberStringList(body, 'policyNamesToSkip'),
      });
    },
  },
];
