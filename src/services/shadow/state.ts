/**
 * @module services/shadow/state
 * The shadow document and its pure rules: the update merge, per-leaf metadata, and the delta. Values
 * are plain JSON; nothing here reads the clock or the store (the timestamp is an argument).
 *
 * AWS: device-shadow-document.md and device-shadow-data-flow.md.
 * - Merge: only the keys a request names change; objects merge, arrays and scalars are replaced whole,
 *   `null` removes a key, `desired: null` / `reported: null` removes the section, `"state": null`
 *   empties the shadow (it still exists, and its version still counts). An object left empty by the
 *   merge is removed, as a section is ("If an update causes the desired or reported sections to
 *   become null, the section is removed").
 * - Metadata mirrors the state: every leaf gets `{"timestamp": T}` (epoch seconds) when written; an
 *   array's metadata is an array of its elements' metadata. AWS's Greengrass shadow manager, written to
 *   mirror the service, builds it so, and AWS devices read it so; the developer guide's one example
 *   shows a single timestamp for an array, which we take as its shorthand.
 * - Delta: every desired key whose value differs from reported (missing from reported included), with
 *   its full nested path; arrays compare whole; reported-only keys are ignored.
 */
import { isObject, member, setMember, type JsonObject, type JsonValue, type RequestState } from './request.js';

export type Section = 'desired' | 'reported';
const SECTIONS: readonly Section[] = ['desired', 'reported'];

export interface ShadowState {
  desired?: JsonObject;
  reported?: JsonObject;
}

/** What the store keeps of a shadow (its version is kept beside it). `metadata` has the shape of `state`. */
export interface ShadowDocument {
  state: ShadowState;
  metadata: ShadowState;
}

export const EMPTY_DOCUMENT: ShadowDocument = Object.freeze({ state: {}, metadata: {} });

const isEmpty = (o: JsonObject): boolean => {
  for (const _ in o) return false;
  return true;
};

/** The metadata of a value written at `timestamp`: the same shape, each leaf (null too) `{"timestamp"}`. */
export function metadataOf(value: JsonValue, timestamp: number): JsonValue {
  if (Array.isArray(value)) return value.map((item) => metadataOf(item, timestamp));
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [key, child] of Object.entries(value)) setMember(out, key, metadataOf(child, timestamp));
    return out;
  }
  return { timestamp };
}

/** Merges `patch` into `base` without changing either; undefined when nothing is left. */
export function mergeObject(base: JsonObject, patch: JsonObject): JsonObject | undefined {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete out[key];
    } else if (isObject(value)) {
      const before = member(out, key);
      const merged = mergeObject(isObject(before) ? before : {}, value);
      if (merged === undefined) delete out[key];
      else setMember(out, key, merged);
    } else {
      setMember(out, key, value);
    }
  }
  return isEmpty(out) ? undefined : out;
}

/**
 * The metadata after a merge: keys the patch wrote get new timestamps, removed keys lose theirs, the
 * rest keep theirs. Walks beside the state (`before`, `after`), so a state key named "timestamp" is
 * never mistaken for a metadata leaf.
 */
function mergeMetadata(meta: JsonObject, before: JsonObject, patch: JsonObject, after: JsonObject, timestamp: number): JsonObject {
  const out: JsonObject = { ...meta };
  for (const [key, value] of Object.entries(patch)) {
    const now = member(after, key);
    if (now === undefined) {
      delete out[key];
    } else if (isObject(value) && isObject(now)) {
      const was = member(before, key);
      const old = member(out, key);
      const wasObject = isObject(was);
      setMember(out, key, mergeMetadata(wasObject && isObject(old) ? old : {}, wasObject ? was : {}, value, now, timestamp));
    } else {
      setMember(out, key, metadataOf(value, timestamp));
    }
  }
  return out;
}

/** The document after an update request (`null`: AWS's `"state": null`). */
export function applyUpdate(doc: ShadowDocument, request: RequestState | null, timestamp: number): ShadowDocument {
  if (request === null) return { state: {}, metadata: {} };
  const state: ShadowState = { ...doc.state };
  const metadata: ShadowState = { ...doc.metadata };
  for (const section of SECTIONS) {
    const patch = request[section];
    if (patch === undefined) continue;
    const before = doc.state[section] ?? {};
    const after = patch === null ? undefined : mergeObject(before, patch);
    if (after === undefined || patch === null) {
      delete state[section];
      delete metadata[section];
      continue;
    }
    state[section] = after;
    metadata[section] = mergeMetadata(doc.metadata[section] ?? {}, before, patch, after, timestamp);
  }
  return { state, metadata };
}

/** The `metadata` of an accepted response: the request's own shape, every leaf (null too) timestamped. */
export function requestMetadata(request: RequestState | null, timestamp: number): JsonObject {
  const out: JsonObject = {};
  if (request === null) return out;
  for (const section of SECTIONS) {
    const value = request[section];
    if (value !== undefined) out[section] = metadataOf(value, timestamp);
  }
  return out;
}

/** Deep equality of JSON values; object key order does not matter. */
export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i] as JsonValue));
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key] as JsonValue, b[key] as JsonValue));
}

function diff(desired: JsonObject, reported: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, want] of Object.entries(desired)) {
    const have = member(reported, key);
    if (isObject(want) && isObject(have)) {
      const sub = diff(want, have);
      if (!isEmpty(sub)) setMember(out, key, sub);
    } else if (have === undefined || !jsonEqual(want, have)) {
      setMember(out, key, want);
    }
  }
  return out;
}

/** The delta of a state, undefined when desired and reported agree (or there is no desired). */
export function computeDelta(state: ShadowState): JsonObject | undefined {
  if (state.desired === undefined) return undefined;
  const delta = diff(state.desired, state.reported ?? {});
  return isEmpty(delta) ? undefined : delta;
}

/** The metadata of a delta: desired's metadata for exactly the delta's keys. */
export function deltaMetadata(delta: JsonObject, desiredMetadata: JsonObject | undefined): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(delta)) {
    const meta = member(desiredMetadata, key);
    if (meta === undefined) continue;
    setMember(out, key, isObject(value) && isObject(meta) ? deltaMetadata(value, meta) : meta);
  }
  return out;
}

/** Bytes of the state as AWS counts them for the 8 KB limit (metadata not counted). */
export const stateBytes = (state: ShadowState): number => Buffer.byteLength(JSON.stringify(state));
