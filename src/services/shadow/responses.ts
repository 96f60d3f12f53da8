/**
 * @module services/shadow/responses
 * The documents the shadow service sends, as AWS shapes them (device-shadow-document.md, "Response
 * state documents"): /update/accepted, /update/delta, /update/documents, /get/accepted and
 * /delete/accepted; the REST operations answer with the same bodies. `timestamp` is epoch seconds;
 * `clientToken` appears only when the request carried one.
 */
import type { UpdateRequest } from './request.js';
import { computeDelta, deltaMetadata, requestMetadata, type ShadowDocument } from './state.js';

const encode = (doc: Record<string, unknown>): Buffer => Buffer.from(JSON.stringify(doc));

function withToken(doc: Record<string, unknown>, clientToken: string | undefined): Record<string, unknown> {
  if (clientToken !== undefined) doc.clientToken = clientToken;
  return doc;
}

/** /update/accepted and the UpdateThingShadow answer: the request's state as sent, its metadata, the new version. */
export function acceptedResponse(request: UpdateRequest, version: number, timestamp: number): Buffer {
  return encode(withToken({ state: request.state, metadata: requestMetadata(request.state, timestamp), version, timestamp }, request.clientToken));
}

/** /update/delta, or undefined when desired and reported agree (AWS sends none then). */
export function deltaMessage(doc: ShadowDocument, version: number, timestamp: number, clientToken?: string): Buffer | undefined {
  const delta = computeDelta(doc.state);
  if (delta === undefined) return undefined;
  return encode(withToken({ version, timestamp, state: delta, metadata: deltaMetadata(delta, doc.metadata.desired) }, clientToken));
}

/** One side of /update/documents. */
const snapshot = (doc: ShadowDocument, version: number): Record<string, unknown> =>
  ({ state: { ...doc.state }, metadata: { ...doc.metadata }, version });

/**
 * /update/documents: the shadow before and after. `previous` is left out when the update created the
 * shadow (AWS documents no shape for that case; there was no previous document).
 */
export function documentsMessage(
  previous: { doc: ShadowDocument; version: number } | undefined,
  current: { doc: ShadowDocument; version: number },
  timestamp: number,
  clientToken?: string,
): Buffer {
  const message: Record<string, unknown> = {};
  if (previous !== undefined) message.previous = snapshot(previous.doc, previous.version);
  message.current = snapshot(current.doc, current.version);
  message.timestamp = timestamp;
  return encode(withToken(message, clientToken));
}

/** /get/accepted and the GetThingShadow answer: desired, reported and delta, with their metadata. */
export function getResponse(doc: ShadowDocument, version: number, timestamp: number, clientToken?: string): Buffer {
  const state: Record<string, unknown> = { ...doc.state };
  const delta = computeDelta(doc.state);
  if (delta !== undefined) state.delta = delta;
  return encode(withToken({ state, metadata: { ...doc.metadata }, version, timestamp }, clientToken));
}

/** /delete/accepted and the DeleteThingShadow answer (AWS: `{"version":N,"timestamp":T}`). */
export function deleteResponse(version: number, timestamp: number, clientToken?: string): Buffer {
  return encode(withToken({ version, timestamp }, clientToken));
}
