/**
 * @module registry/validation
 * AWS IoT's input constraints for the registry (names, attributes, ids, page sizes, principals), with
 * AWS's own wording for a failed constraint ("1 validation error detected: ..."), which SDKs and users
 * recognise. Only shape is checked here; existence and state are the registry's business.
 */
import { invalidRequest } from '../errors.js';
import type { TopicdError } from '../errors.js';

export const THING_NAME = /^[a-zA-Z0-9:_-]+$/;
export const ATTRIBUTE_NAME = /^[a-zA-Z0-9_.,@/:#-]+$/;
export const ATTRIBUTE_VALUE = /^[a-zA-Z0-9_.,@/:#=[\]-]*$/;
export const CERTIFICATE_ID = /^[a-fA-F0-9]{64}$/;
export const MAX_ATTRIBUTES = 50;
/** AWS: a thing without a thing type may have only three attributes. */
export const MAX_ATTRIBUTES_UNTYPED = 3;
const NAME_MAX = 128;
const ATTRIBUTE_VALUE_MAX = 800;

export function constraint(value: unknown, field: string, rule: string): TopicdError {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  return invalidRequest(`1 validation error detected: Value '${shown}' at '${field}' failed to satisfy constraint: ${rule}`);
}

export function checkName(value: unknown, field: string, pattern: RegExp, max: number): string {
  if (typeof value !== 'string' || value.length < 1 || value.length > max) {
    throw constraint(value, field, `Member must have length between 1 and ${max}`);
  }
  if (!pattern.test(value)) throw constraint(value, field, `Member must satisfy regular expression pattern: ${pattern.source.slice(1, -1)}`);
  return value;
}

/** AWS: thingName is 1..128 of [a-zA-Z0-9:_-]. */
export const checkThingName = (value: unknown): string => checkName(value, 'thingName', THING_NAME, NAME_MAX);

/** AWS: thingTypeName has the thing name's shape. */
export const checkThingTypeName = (value: unknown): string => checkName(value, 'thingTypeName', THING_NAME, NAME_MAX);

/** AWS: policyName is 1..128 of [\w+=,.@-]. */
export const POLICY_NAME = /^[\w+=,.@-]+$/;
export const checkPolicyName = (value: unknown): string => checkName(value, 'policyName', POLICY_NAME, NAME_MAX);

/** AWS: policyVersionId matches [0-9]+. */
export const checkPolicyVersionId = (value: unknown): string => checkName(value, 'policyVersionId', /^[0-9]+$/, NAME_MAX);

/** Checks each attribute's name and value; at most 50 is checked on the final set by the caller. */
export function checkAttributes(attributes: unknown): Record<string, string> {
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
    throw invalidRequest('attributes must be a JSON object of string values.');
  }
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) {
    checkName(name, 'attributePayload.attributes', ATTRIBUTE_NAME, NAME_MAX);
    if (typeof value !== 'string') throw constraint(value, `attributePayload.attributes.${name}`, 'Member must be a string');
    if (value.length > ATTRIBUTE_VALUE_MAX) {
      throw constraint(value, `attributePayload.attributes.${name}`, `Member must have length less than or equal to ${ATTRIBUTE_VALUE_MAX}`);
    }
    if (!ATTRIBUTE_VALUE.test(value)) {
      throw constraint(value, `attributePayload.attributes.${name}`, `Member must satisfy regular expression pattern: ${ATTRIBUTE_VALUE.source.slice(1, -1)}`);
    }
    result[name] = value;
  }
  return result;
}

/** AWS: 50 attributes for a thing with a thing type, 3 for one without (checked on the final set). */
export function checkAttributeCount(attributes: Record<string, string>, hasThingType: boolean): void {
  const count = Object.keys(attributes).length;
  const max = hasThingType ? MAX_ATTRIBUTES : MAX_ATTRIBUTES_UNTYPED;
  if (count > max) {
    throw invalidRequest(`A thing ${hasThingType ? 'with' : 'without'} a thing type can have at most ${max} attributes; this request would give it ${count}.`);
  }
}

/** AWS: a certificate id is 64 hex characters; ids are kept lowercase, as AWS makes them. */
export function checkCertificateId(value: unknown): string {
  if (typeof value !== 'string') throw constraint(value, 'certificateId', 'Member must be a string');
  if (value.length !== 64) {
    throw constraint(value, 'certificateId', `Member must have length ${value.length < 64 ? 'greater' : 'less'} than or equal to 64`);
  }
  if (!CERTIFICATE_ID.test(value)) throw constraint(value, 'certificateId', 'Member must satisfy regular expression pattern: (0x)?[a-fA-F0-9]+');
  return value.toLowerCase();
}

/** A page size: undefined takes the default; anything outside min..max is refused, as AWS does. */
export function checkPageSize(value: number | undefined, field: string, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw constraint(value, field, 'Member must have value greater than or equal to 1');
  if (value > max) throw constraint(value, field, `Member must have value less than or equal to ${max}`);
  return value;
}

export interface CertificateArn {
  region: string;
  accountId: string;
  certificateId: string;
}

const CERTIFICATE_ARN = /^arn:aws[a-z-]*:iot:([a-z0-9-]+):(\d{12}):cert\/([a-fA-F0-9]{64})$/;

/** Parses a certificate ARN, the only principal kind the registry knows; anything else is InvalidRequest. */
export function parseCertificateArn(principal: unknown): CertificateArn {
  const match = typeof principal === 'string' ? CERTIFICATE_ARN.exec(principal) : null;
  if (!match?.[1] || !match[2] || !match[3]) {
    throw invalidRequest(`The principal '${String(principal)}' is not a certificate ARN (arn:aws:iot:<region>:<account>:cert/<certificateId>).`);
  }
  return { region: match[1], accountId: match[2], certificateId: match[3].toLowerCase() };
}
