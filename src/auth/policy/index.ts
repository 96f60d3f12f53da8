/**
 * @module auth/policy
 * The AWS IoT policy engine as a library: parse and validate documents (parsePolicy, throwing
 * MalformedPolicyError), compile them once (compilePolicy), decide requests (evaluate), and build the
 * ARNs and certificate attributes requests and contexts are made of. It owns no state, no I/O and no
 * cache: the registry stores documents, transports build a PolicyContext per connection and cache
 * Decisions, and they invalidate those caches when policies or attachments change.
 *
 * Typical use:
 *   const policies = docs.map(({ name, document }) => compilePolicy(name, document));
 *   const ctx: PolicyContext = { clientId, sourceIp, thing, certificate: { id, ...certificateNameFields(x509) } };
 *   evaluate(policies, { action: 'iot:Publish', resource: topicArn(region, account, topic) }, ctx).allowed
 */
export { parsePolicy, validatePolicy, policySize, POLICY_MAX_CHARS } from './parse.js';
export { compilePolicy } from './compile.js';
export type { CompiledPolicy, CompiledStatement } from './compile.js';
export { evaluate, IMPLICIT_DENY } from './evaluate.js';
export { topicArn, topicFilterArn, clientArn, thingArn, iotArnPrefix, partitionOf } from './arns.js';
export { certificateNameFields, distinguishedNameFields } from './certificate-fields.js';
export { MalformedPolicyError } from '../../errors.js';
export type {
  CertificateContext,
  CertificateNameFields,
  ContextKeyValue,
  DecidingStatement,
  Decision,
  DecisionReason,
  Effect,
  PolicyContext,
  PolicyDocument,
  PolicyNeeds,
  PolicyRequest,
  PolicyStatement,
  PolicyVersion,
  ThingContext,
} from './types.js';
