/**
 * @module services/shadow/request
 * Reading a shadow request: the payload's bytes to JSON (UTF-8 and JSON checks), the client token, and
 * the update request document with every rule AWS states about it. Pure; throws ShadowError.
 *
 * AWS: device-shadow-document.md (request state document, client token, arrays) and
 * device-shadow-error-messages.md (the 400 messages).
 */
import { shadowErrors } from './errors.js';
import type { ShadowLimits } from './limits.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Sets a member as data: a plain `o[key] = v` with the key "__proto__" (which JSON.parse yields as an
 * ordinary key) would change the object's prototype instead of adding the key.
 */
/** An own member only: `o[key]` would find inherited ones ("toString", "__proto__"). */
export const member = (o: JsonObject | undefined, key: string): JsonValue | undefined =>
  o !== undefined && Object.hasOwn(o, key) ? o[key] : undefined;

export function setMember(o: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A request's sections: absent (untouched), null (removed) or an object (merged). */
export interface RequestState {
  desired?: JsonObject | null;
  reported?: JsonObject | null;
}

export interface UpdateRequest {
  /** null: AWS's `"state": null`, which empties the shadow without deleting it. */
  state: RequestState | null;
  clientToken?: string;
  /** When given, the update applies only at this version (optimistic locking). */
  version?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes to JSON: 415 when not UTF-8, 400 "Invalid JSON" when not JSON. */
export function decodeJson(payload: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    throw shadowErrors.notUtf8();
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw shadowErrors.invalidJson();
  }
}

/** The request's client token, checked (AWS: at most 64 bytes); undefined when it has none. */
export function readClientToken(doc: unknown, limits: ShadowLimits): string | undefined {
  if (!isObject(doc) || !('clientToken' in doc)) return undefined;
  const token = doc.clientToken;
  if (typeof token !== 'string' || Buffer.byteLength(token) > limits.maxClientTokenBytes) throw shadowErrors.invalidClientToken();
  return token;
}

/**
 * The client token of a /get or /delete payload. AWS publishes an empty message there and ignores its
 * content, but the device SDKs send `{"clientToken":...}` and expect it echoed; anything that is not a
 * JSON object is ignored as AWS ignores it. A token over the limit is still refused.
 */
export function readOptionalClientToken(payload: Buffer, limits: ShadowLimits): string | undefined {
  if (payload.length === 0) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(utf8.decode(payload));
  } catch {
    return undefined;
  }
  return readClientToken(doc, limits);
}

/** Container depth with `state` itself at 1; see ShadowLimits.maxDepth for why it counts from there. */
function checkDepth(value: JsonValue, depth: number, max: number): void {
  if (typeof value !== 'object' || value === null) return;
  if (depth > max) throw shadowErrors.tooDeep(max);
  const children = Array.isArray(value) ? value : Object.values(value);
  for (const child of children) checkDepth(child, depth + 1, max);
}

/** AWS: "Arrays can't have null values", at any depth. */
function checkArrays(value: JsonValue, inArray: boolean): void {
  if (value === null) {
    if (inArray) throw shadowErrors.invalidNode();
    return;
  }
  if (typeof value !== 'object') return;
  if (Array.isArray(value)) for (const item of value) checkArrays(item, true);
  else for (const child of Object.values(value)) checkArrays(child, false);
}

function readSection(state: JsonObject, key: 'desired' | 'reported'): JsonObject | null | undefined {
  if (!(key in state)) return undefined;
  const section = state[key];
  if (section === null || isObject(section)) return section ?? null;
  throw key === 'desired' ? shadowErrors.desiredNotObject() : shadowErrors.reportedNotObject();
}

/** Reads `version`: absent or null means none; anything but a non-negative integer is 400 "Invalid version". */
function readVersion(doc: JsonObject): number | undefined {
  const version = doc.version;
  if (version === undefined || version === null) return undefined;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) throw shadowErrors.invalidVersion();
  return version;
}

/**
 * An /update payload (MQTT) or UpdateThingShadow body (REST), decoded by decodeJson, checked as AWS
 * checks it. The caller reads the client token first (readClientToken) so that a refusal can echo it.
 */
export function parseUpdateRequest(doc: unknown, limits: ShadowLimits): UpdateRequest {
  if (!isObject(doc)) throw shadowErrors.invalidJson();
  const clientToken = readClientToken(doc, limits);
  const version = readVersion(doc);
  if (!('state' in doc)) throw shadowErrors.missingState();
  const state = doc.state as JsonValue;
  const request: UpdateRequest = { state: null };
  if (clientToken !== undefined) request.clientToken = clientToken;
  if (version !== undefined) request.version = version;
  if (state === null) return request;
  if (!isObject(state)) throw shadowErrors.stateNotObject();
  for (const key of Object.keys(state)) if (key !== 'desired' && key !== 'reported') throw shadowErrors.invalidNode();
  const desired = readSection(state, 'desired');
  const reported = readSection(state, 'reported');
  checkDepth(state, 1, limits.maxDepth);
  checkArrays(state, false);
  if (Buffer.byteLength(JSON.stringify(state)) > limits.maxStateBytes) throw shadowErrors.tooLarge();
  request.state = {};
  if (desired !== undefined) request.state.desired = desired;
  if (reported !== undefined) request.state.reported = reported;
  return request;
}
