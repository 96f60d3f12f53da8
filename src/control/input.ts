/**
 * @module control/input
 * Reading an operation's members off the wire (query string, headers, JSON body) with AWS's
 * restJson types: integers, booleans, enums, required members. A member of the wrong type or out of
 * its range is an InvalidRequestException here, at the edge; the AWS rules about the values
 * themselves (name patterns, status transitions) belong to the registry.
 */
import { invalidRequest, type TopicdError } from '../errors.js';

export type QueryBag = Record<string, string | string[] | undefined>;
export type HeaderBag = Record<string, string | string[] | undefined>;
export type JsonObject = Record<string, unknown>;

// Coral's wording, as AWS's own validation errors read.
const constraint = (name: string, value: string, rule: string): TopicdError =>
  invalidRequest(`1 validation error detected: Value '${value}' at '${name}' failed to satisfy constraint: ${rule}`);

const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

export function queryString(query: QueryBag, name: string): string | undefined {
  return first(query[name]);
}

export function requiredQueryString(query: QueryBag, name: string): string {
  const value = first(query[name]);
  if (value === undefined || value === '') throw constraint(name, 'null', 'Member must not be null');
  return value;
}

/** An integer query member within [min, max] (AWS: RegistryMaxResults 1..250, PageSize 1..250, ...). */
export function queryInteger(query: QueryBag, name: string, min: number, max: number): number | undefined {
  const raw = first(query[name]);
  if (raw === undefined) return undefined;
  if (!/^-?\d{1,16}$/.test(raw)) throw invalidRequest(`Value '${raw}' at '${name}' is not a valid integer.`);
  const value = Number(raw);
  if (value < min) throw constraint(name, raw, `Member must have value greater than or equal to ${min}`);
  if (value > max) throw constraint(name, raw, `Member must have value less than or equal to ${max}`);
  return value;
}

/** AWS: RegistryMaxResults is 1..250. */
export const MAX_PAGE = 250;

/** The nextToken/maxResults pair most registry listings take. */
export const paging = (query: QueryBag): { nextToken: string | undefined; maxResults: number | undefined } => ({
  nextToken: queryString(query, 'nextToken'),
  maxResults: queryInteger(query, 'maxResults', 1, MAX_PAGE),
});

/** The marker/pageSize/isAscendingOrder trio the certificate, CA and policy listings take. */
export const markerPaging = (query: QueryBag): { marker: string | undefined; pageSize: number | undefined; isAscendingOrder: boolean | undefined } => ({
  marker: queryString(query, 'marker'),
  pageSize: queryInteger(query, 'pageSize', 1, MAX_PAGE),
  isAscendingOrder: queryBoolean(query, 'isAscendingOrder'),
});

/** A path label, already percent-decoded by the router; '' when absent (the registry then refuses it). */
export const pathLabel = (params: Record<string, string>, name: string): string => params[name] ?? '';

/** A `long` query member (expectedVersion). */
export function queryLong(query: QueryBag, name: string): number | undefined {
  const raw = first(query[name]);
  if (raw === undefined) return undefined;
  if (!/^-?\d{1,16}$/.test(raw)) throw invalidRequest(`Value '${raw}' at '${name}' is not a valid long.`);
  return Number(raw);
}

export function queryBoolean(query: QueryBag, name: string): boolean | undefined {
  const raw = first(query[name]);
  if (raw === undefined) return undefined;
  const lower = raw.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw invalidRequest(`Value '${raw}' at '${name}' is not a valid boolean: use true or false.`);
}

export function queryEnum<T extends string>(query: QueryBag, name: string, allowed: readonly T[]): T | undefined {
  const raw = first(query[name]);
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw constraint(name, raw, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
  }
  return raw as T;
}

export function requiredHeader(headers: HeaderBag, name: string, member: string): string {
  const value = first(headers[name.toLowerCase()]);
  if (value === undefined || value === '') throw constraint(member, 'null', 'Member must not be null');
  return value;
}

/** The JSON body of an operation that takes one; no body is an empty structure, as AWS reads it. */
export function jsonBody(body: Buffer): JsonObject {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalidRequest('The request body is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidRequest('The request body must be a JSON object.');
  }
  return parsed as JsonObject;
}

export function memberString(obj: JsonObject, name: string): string | undefined {
  const value = obj[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidRequest(`Value at '${name}' must be a string.`);
  return value;
}

export function requiredMemberString(obj: JsonObject, name: string): string {
  const value = memberString(obj, name);
  if (value === undefined || value === '') throw constraint(name, 'null', 'Member must not be null');
  return value;
}

/** A list of strings (`policyNamesToAdd`, `resources`); absent is undefined. */
export function memberStringList(obj: JsonObject, name: string): string[] | undefined {
  const value = obj[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw invalidRequest(`Value at '${name}' must be a list of strings.`);
  return value as string[];
}

/** A list of structures (`authInfos`); absent is undefined. */
export function memberStructureList(obj: JsonObject, name: string): JsonObject[] | undefined {
  const value = obj[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => item === null || typeof item !== 'object' || Array.isArray(item))) {
    throw invalidRequest(`Value at '${name}' must be a list of structures.`);
  }
  return value as JsonObject[];
}

export function memberBoolean(obj: JsonObject, name: string): boolean | undefined {
  const value = obj[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidRequest(`Value at '${name}' must be a boolean.`);
  return value;
}

export function memberLong(obj: JsonObject, name: string): number | undefined {
  const value = obj[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalidRequest(`Value at '${name}' must be an integer.`);
  return value;
}

/** AttributePayload: `{attributes: {name: value}, merge}`; values are strings (an empty one removes on merge). */
export function attributePayload(obj: JsonObject): { attributes?: Record<string, string>; merge?: boolean } | undefined {
  const payload = obj.attributePayload;
  if (payload === undefined || payload === null) return undefined;
  if (typeof payload !== 'object' || Array.isArray(payload)) throw invalidRequest("Value at 'attributePayload' must be a structure.");
  const out: { attributes?: Record<string, string>; merge?: boolean } = {};
  const members = payload as JsonObject;
  const merge = memberBoolean(members, 'merge');
  if (merge !== undefined) out.merge = merge;
  const attributes = members.attributes;
  if (attributes !== undefined && attributes !== null) {
    if (typeof attributes !== 'object' || Array.isArray(attributes)) throw invalidRequest("Value at 'attributePayload.attributes' must be a map.");
    const map: Record<string, string> = {};
    for (const [key, value] of Object.entries(attributes as JsonObject)) {
      if (typeof value !== 'string') throw invalidRequest(`Value of attribute '${key}' must be a string.`);
      map[key] = value;
    }
    out.attributes = map;
  }
  return out;
}
