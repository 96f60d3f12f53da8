/**
 * @module services/shadow/topics
 * The Device Shadow's reserved topics: parsing a topic into (thing, shadow, operation, response) and
 * formatting the reverse, with AWS's name rules. It owns no policy: whether a client may publish or
 * subscribe there is the authorizer's question.
 *
 * AWS: device-shadow-mqtt.md. Prefix `$aws/things/{thing}/shadow` (classic) or
 * `$aws/things/{thing}/shadow/name/{shadow}` (named); requests `/get`, `/update`, `/delete`; responses
 * `/get/{accepted,rejected}`, `/update/{accepted,rejected,delta,documents}`, `/delete/{accepted,rejected}`.
 */
import { CLASSIC_SHADOW } from '../../store/store.js';

export type ShadowOperation = 'get' | 'update' | 'delete';
export type ShadowResponse = 'accepted' | 'rejected' | 'delta' | 'documents';

/** One shadow: shadowName is CLASSIC_SHADOW ('') for the classic (unnamed) shadow. */
export interface ShadowRef {
  thingName: string;
  shadowName: string;
}

export interface ShadowTopic extends ShadowRef {
  operation: ShadowOperation;
  /** Absent on a request topic. */
  response?: ShadowResponse;
}

// AWS: iot-data model, ThingName and ShadowName shapes.
const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const SHADOW_NAME = /^[$a-zA-Z0-9:_-]{1,64}$/;

/** AWS: thingName 1..128 of [a-zA-Z0-9:_-]. */
export const isThingName = (name: string): boolean => THING_NAME.test(name);
/** AWS: shadowName 1..64 of [$a-zA-Z0-9:_-]. */
export const isShadowName = (name: string): boolean => SHADOW_NAME.test(name);

const RESPONSES: Record<ShadowOperation, readonly ShadowResponse[]> = {
  get: ['accepted', 'rejected'],
  update: ['accepted', 'rejected', 'delta', 'documents'],
  delete: ['accepted', 'rejected'],
};

const isOperation = (s: string | undefined): s is ShadowOperation => s === 'get' || s === 'update' || s === 'delete';

/**
 * Parses a concrete topic; null when it is not one of the shadow topics above (including a thing or
 * shadow name AWS would refuse), so a caller can route on it without a second check.
 */
export function parseShadowTopic(topic: string): ShadowTopic | null {
  if (!topic.startsWith('$aws/things/')) return null;
  const levels = topic.split('/');
  // $aws / things / {thing} / shadow / [name / {shadow} /] op [/ response]
  const thingName = levels[2];
  if (thingName === undefined || !isThingName(thingName) || levels[3] !== 'shadow') return null;
  let at = 4;
  let shadowName = CLASSIC_SHADOW;
  if (levels[4] === 'name') {
    const name = levels[5];
    if (name === undefined || !isShadowName(name)) return null;
    shadowName = name;
    at = 6;
  }
  const operation = levels[at];
  if (!isOperation(operation)) return null;
  const rest = levels.length - at - 1;
  if (rest === 0) return { thingName, shadowName, operation };
  const response = levels[at + 1] as ShadowResponse;
  if (rest !== 1 || !RESPONSES[operation].includes(response)) return null;
  return { thingName, shadowName, operation, response };
}

/** The topic prefix of one shadow. */
export function shadowPrefix(ref: ShadowRef): string {
  return ref.shadowName === CLASSIC_SHADOW
    ? `$aws/things/${ref.thingName}/shadow`
    : `$aws/things/${ref.thingName}/shadow/name/${ref.shadowName}`;
}

/** The request topic, or a response topic when `response` is given. */
export function formatShadowTopic(ref: ShadowRef, operation: ShadowOperation, response?: ShadowResponse): string {
  const base = `${shadowPrefix(ref)}/${operation}`;
  return response === undefined ? base : `${base}/${response}`;
}
