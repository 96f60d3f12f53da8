/**
 * @module auth/policy/parse
 * Reads and validates a policy document the way CreatePolicy must: AWS's size limit, strict JSON,
 * then the IAM grammar as AWS IoT uses it. The first problem found is thrown as a
 * MalformedPolicyError naming it and its place (`Statement[1].Effect: must be "Allow" or "Deny"`).
 * What passes is normalized (every list an array, condition values strings) so the compiler never
 * has to check again. It does not decide anything about requests; compile and evaluate do.
 */
import { MalformedPolicyError } from '../../errors.js';
import { checkConditionValue, parseOperator } from './conditions.js';
import { JsonSyntaxError, parseJson } from './json.js';
import { parseTemplate, splitArn } from './pattern.js';
import type { Piece } from './pattern.js';
import type { Effect, PolicyDocument, PolicyStatement, PolicyVersion } from './types.js';

/** AWS: "Document 2048 chars excluding whitespace" (reference §4). */
export const POLICY_MAX_CHARS = 2048;

const VERSIONS: readonly PolicyVersion[] = ['2012-10-17', '2008-10-17'];
const TOP_KEYS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
/**
 * `iot:Publish`, `iot:Get*`, `*`. AWS IoT policies also carry Greengrass actions (a Greengrass core
 * device's policy is an AWS IoT policy), so `greengrass:` is accepted too; nothing else is.
 */
const ACTION = /^(?:\*|(?:iot|greengrass):[A-Za-z0-9*?]+)$/i;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PARTITION = /^[a-z-]+$/;
const SERVICE = /^[a-z0-9-]+$/;
const REGION = /^[a-z0-9-]+$/;
const ACCOUNT = /^[0-9]+$/;
const WHITESPACE = /\s/;

type Json = unknown;
type JsonRecord = Readonly<Record<string, Json>>;

const isRecord = (v: Json): v is JsonRecord => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(path: string, problem: string): never {
  throw new MalformedPolicyError(path, problem);
}

/** `Statement[0]` + `Effect` -> `Statement[0].Effect`; keys that are not identifiers are quoted. */
function member(path: string, key: string): string {
  if (IDENTIFIER.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

/** Characters that count against the size limit: all but whitespace, wherever it is. */
export function policySize(document: string): number {
  let n = 0;
  for (const ch of document) if (!WHITESPACE.test(ch)) n++;
  return n;
}

/**
 * Validates a policy document given as JSON text, as CreatePolicy receives it.
 * @throws MalformedPolicyError (a TopicdError, MalformedPolicyException)
 */
export function parsePolicy(document: string): PolicyDocument {
  if (typeof document !== 'string') fail('', 'a policy document must be a string of JSON');
  const size = policySize(document);
  if (size > POLICY_MAX_CHARS) fail('', `the policy document has ${size} characters excluding whitespace; the limit is ${POLICY_MAX_CHARS}`);
  let value: Json;
  try {
    value = parseJson(document);
  } catch (err) {
    if (err instanceof JsonSyntaxError) fail('', `the policy document is not valid JSON: ${err.message}`);
    throw err;
  }
  return validatePolicy(value);
}

/**
 * Validates a document already in object form (built in code, or read from JSON elsewhere). The size
 * limit is not checked here: it is a property of the text.
 * @throws MalformedPolicyError
 */
export function validatePolicy(value: unknown): PolicyDocument {
  if (!isRecord(value)) return fail('', 'a policy document must be a JSON object');
  for (const key of Object.keys(value)) {
    if (!TOP_KEYS.has(key)) fail(member('', key), 'unknown key; a policy document has Version, Statement and Id');
  }
  const version = value['Version'];
  if (version === undefined) fail('Version', 'is required ("2012-10-17")');
  if (!VERSIONS.includes(version as PolicyVersion)) fail('Version', 'must be "2012-10-17" or "2008-10-17"');
  const id = value['Id'];
  if (id !== undefined && typeof id !== 'string') fail('Id', 'must be a string');
  const statement = value['Statement'];
  if (statement === undefined) fail('Statement', 'is required');
  // IAM: variables exist from 2012-10-17; in older documents `${...}` is plain text.
  const variables = version === '2012-10-17';
  let statements: PolicyStatement[];
  if (Array.isArray(statement)) {
    if (statement.length === 0) fail('Statement', 'must hold at least one statement');
    statements = statement.map((s, i) => validateStatement(s, `Statement[${i}]`, variables));
  } else if (isRecord(statement)) {
    statements = [validateStatement(statement, 'Statement', variables)];
  } else {
    return fail('Statement', 'must be an object or an array of objects');
  }
  return {
    Version: version as PolicyVersion,
    ...(id === undefined ? {} : { Id: id as string }),
    Statement: statements,
  };
}

function validateStatement(value: Json, path: string, variables: boolean): PolicyStatement {
  if (!isRecord(value)) return fail(path, 'must be an object');
  for (const key of Object.keys(value)) {
    if (key === 'Principal' || key === 'NotPrincipal') {
      fail(member(path, key), 'AWS IoT policies have no principal: a policy applies to what it is attached to');
    }
    if (!STATEMENT_KEYS.has(key)) {
      fail(member(path, key), 'unknown key; a statement has Sid, Effect, Action or NotAction, Resource or NotResource, and Condition');
    }
  }
  const sid = value['Sid'];
  if (sid !== undefined && typeof sid !== 'string') fail(member(path, 'Sid'), 'must be a string');
  const effect = value['Effect'];
  if (effect === undefined) fail(member(path, 'Effect'), 'is required ("Allow" or "Deny")');
  if (effect !== 'Allow' && effect !== 'Deny') fail(member(path, 'Effect'), 'must be "Allow" or "Deny"');

  const [actionKey, actions] = oneOf(value, path, 'Action', 'NotAction');
  actions.forEach((a, i) => {
    if (!ACTION.test(a)) fail(itemPath(path, actionKey, value, i), `${JSON.stringify(a)} is not an AWS IoT action (iot:Name, with * or ? as wildcards, or *)`);
  });
  const [resourceKey, resources] = oneOf(value, path, 'Resource', 'NotResource');
  resources.forEach((r, i) => {
    const problem = checkResource(r, variables);
    if (problem !== null) fail(itemPath(path, resourceKey, value, i), problem);
  });

  const condition = value['Condition'];
  return {
    ...(sid === undefined ? {} : { Sid: sid as string }),
    Effect: effect as Effect,
    ...(actionKey === 'Action' ? { Action: actions } : { NotAction: actions }),
    ...(resourceKey === 'Resource' ? { Resource: resources } : { NotResource: resources }),
    ...(condition === undefined ? {} : { Condition: validateCondition(condition, member(path, 'Condition')) }),
  };
}

/** Path of one entry of a string-or-array element: `Statement[0].Action[2]`, or the element for a string. */
function itemPath(path: string, key: string, statement: JsonRecord, i: number): string {
  return Array.isArray(statement[key]) ? `${member(path, key)}[${i}]` : member(path, key);
}

/** Exactly one of `key` and `notKey`, as a non-empty list of strings. */
function oneOf(statement: JsonRecord, path: string, key: string, notKey: string): [string, string[]] {
  const has = statement[key] !== undefined;
  const hasNot = statement[notKey] !== undefined;
  if (has && hasNot) fail(path, `has both ${key} and ${notKey}; use one`);
  if (!has && !hasNot) fail(path, `needs ${key} or ${notKey}`);
  const which = has ? key : notKey;
  const v = statement[which];
  const where = member(path, which);
  if (typeof v === 'string') return [which, [v]];
  if (!Array.isArray(v)) return fail(where, 'must be a string or an array of strings');
  if (v.length === 0) fail(where, 'must not be empty');
  v.forEach((s, i) => {
    if (typeof s !== 'string') fail(`${where}[${i}]`, 'must be a string');
  });
  return [which, v as string[]];
}

const componentIs = (pieces: readonly Piece[], allowed: RegExp): boolean =>
  pieces.length > 0 && pieces.every((p) => p.kind === 'star' || p.kind === 'one' || (p.kind === 'text' && allowed.test(p.text)));

/** Null when `resource` is `*` or an ARN pattern, else the problem. */
function checkResource(resource: string, variables: boolean): string | null {
  if (resource === '*') return null;
  const shape = `${JSON.stringify(resource)} is not an ARN (arn:partition:service:region:account:resource) or "*"`;
  if (!resource.startsWith('arn:')) return shape;
  const parts = splitArn(parseTemplate(resource, { variables, wildcards: true }));
  if (parts.length < 6) return shape;
  // IAM: "You can use a policy variable in the Resource element, but only in the resource portion of the ARN."
  for (let i = 1; i < 5; i++) {
    if ((parts[i] as Piece[]).some((p) => p.kind === 'var')) return `${JSON.stringify(resource)}: policy variables are allowed only in the resource part of an ARN`;
  }
  const [, partition = [], service = [], region = [], account = [], rest = []] = parts;
  if (!componentIs(partition, PARTITION)) return `${JSON.stringify(resource)}: the partition is not valid (aws, aws-cn, aws-us-gov)`;
  if (!componentIs(service, SERVICE)) return `${JSON.stringify(resource)}: the service is not valid (iot)`;
  if (region.length > 0 && !componentIs(region, REGION)) return `${JSON.stringify(resource)}: the region is not valid`;
  if (account.length > 0 && !componentIs(account, ACCOUNT)) return `${JSON.stringify(resource)}: the account is not valid (12 digits or a wildcard)`;
  if (rest.length === 0) return `${JSON.stringify(resource)}: the resource part is empty`;
  return null;
}

function validateCondition(value: Json, path: string): Record<string, Record<string, string[]>> {
  if (!isRecord(value)) return fail(path, 'must be an object of condition operators');
  const out: Record<string, Record<string, string[]>> = {};
  for (const opName of Object.keys(value)) {
    const opPath = member(path, opName);
    const operator = parseOperator(opName);
    if (operator === undefined) fail(opPath, `unknown condition operator ${JSON.stringify(opName)}`);
    const block = value[opName];
    if (!isRecord(block)) return fail(opPath, 'must be an object of condition keys and their values');
    const keys: Record<string, string[]> = {};
    for (const keyName of Object.keys(block)) {
      const keyPath = member(opPath, keyName);
      if (keyName === '') fail(keyPath, 'a condition key must not be empty');
      const raw = block[keyName];
      const list = Array.isArray(raw) ? raw : [raw];
      const values = list.map((v, i) => {
        const where = Array.isArray(raw) ? `${keyPath}[${i}]` : keyPath;
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
          return fail(where, 'must be a string, number or boolean, or an array of them');
        }
        const text = String(v);
        const problem = checkConditionValue(operator, text);
        if (problem !== null) fail(where, problem);
        return text;
      });
      keys[keyName] = values;
    }
    out[opName] = keys;
  }
  return out;
}
