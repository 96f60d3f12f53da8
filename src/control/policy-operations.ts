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
  markerPaging,
  pathLabel,
  queryBoolean,
  queryString,
  requiredHeader,
  requiredMemberString,
} from './input.js';
import type { Operation } from './operation.js';

/** AWS (deprecated principal-policy operations): the principal travels in this header. */
const PRINCIPAL_HEADER = 'x-amzn-iot-principal';


export const POLICY_OPERATIONS: readonly Operation[] = [
  {
    name: 'CreatePolicy',
    method: 'POST',
    url: '/policies/:policyName',
    async handle(ctx, req) {
      // Tags are accepted and not kept: topicd has no tagging API to read them back.
      const body = jsonBody(req.body);
      return ctx.registry.policies.createPolicy(pathLabel(req.params, 'policyName'), requiredMemberString(body, 'policyDocument'));
    },
  },
  {
    name: 'GetPolicy',
    method: 'GET',
    url: '/policies/:policyName',
    async handle(ctx, req) {
      return ctx.registry.policies.getPolicy(pathLabel(req.params, 'policyName'));
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
      await ctx.registry.policies.deletePolicy(pathLabel(req.params, 'policyName'));
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
      return ctx.registry.policies.createPolicyVersion(pathLabel(req.params, 'policyName'), document, queryBoolean(req.query, 'setAsDefault') ?? false);
    },
  },
  {
    name: 'ListPolicyVersions',
    method: 'GET',
    url: '/policies/:policyName/version',
    async handle(ctx, req) {
      return ctx.registry.policies.listPolicyVersions(pathLabel(req.params, 'policyName'));
    },
  },
  {
    name: 'GetPolicyVersion',
    method: 'GET',
    url: '/policies/:policyName/version/:policyVersionId',
    async handle(ctx, req) {
      return ctx.registry.policies.getPolicyVersion(pathLabel(req.params, 'policyName'), pathLabel(req.params, 'policyVersionId'));
    },
  },
  {
    name: 'SetDefaultPolicyVersion',
    method: 'PATCH',
    url: '/policies/:policyName/version/:policyVersionId',
    async handle(ctx, req) {
      await ctx.registry.policies.setDefaultPolicyVersion(pathLabel(req.params, 'policyName'), pathLabel(req.params, 'policyVersionId'));
      return undefined;
    },
  },
  {
    name: 'DeletePolicyVersion',
    method: 'DELETE',
    url: '/policies/:policyName/version/:policyVersionId',
    async handle(ctx, req) {
      await ctx.registry.policies.deletePolicyVersion(pathLabel(req.params, 'policyName'), pathLabel(req.params, 'policyVersionId'));
      return undefined;
    },
  },

  // ---- attachments ----
  {
    name: 'AttachPolicy',
    method: 'PUT',
    url: '/target-policies/:policyName',
    async handle(ctx, req) {
      await ctx.registry.policies.attachPolicy(pathLabel(req.params, 'policyName'), requiredMemberString(jsonBody(req.body), 'target'));
      return undefined;
    },
  },
  {
    // AWS: DetachPolicy is a POST on the same route (a DELETE could not carry the body's target).
    name: 'DetachPolicy',
    method: 'POST',
    url: '/target-policies/:policyName',
    async handle(ctx, req) {
      await ctx.registry.policies.detachPolicy(pathLabel(req.params, 'policyName'), requiredMemberString(jsonBody(req.body), 'target'));
      return undefined;
    },
  },
  {
    name: 'AttachPrincipalPolicy',
    method: 'PUT',
    url: '/principal-policies/:policyName',
    async handle(ctx, req) {
      await ctx.registry.policies.attachPolicy(pathLabel(req.params, 'policyName'), requiredHeader(req.headers, PRINCIPAL_HEADER, 'principal'));
      return undefined;
    },
  },
  {
    name: 'DetachPrincipalPolicy',
    method: 'DELETE',
    url: '/principal-policies/:policyName',
    async handle(ctx, req) {
      await ctx.registry.policies.detachPolicy(pathLabel(req.params, 'policyName'), requiredHeader(req.headers, PRINCIPAL_HEADER, 'principal'));
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
      const page = await ctx.registry.policies.listAttachedPolicies(pathLabel(req.params, 'target'), { marker, pageSize });
      return { policies: page.policies, nextMarker: page.nextMarker };
    },
  },
  {
    name: 'ListTargetsForPolicy',
    method: 'POST',
    url: '/policy-targets/:policyName',
    async handle(ctx, req) {
      const { marker, pageSize } = markerPaging(req.query);
      const page = await ctx.registry.policies.listTargetsForPolicy(pathLabel(req.params, 'policyName'), { marker, pageSize });
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
