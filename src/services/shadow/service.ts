/**
 * @module services/shadow/service
 * The Device Shadow service: takes get/update/delete requests from MQTT (a PUBLISH on a request topic,
 * already authorized by the publish gate) and from the iot-data REST operations, runs them one at a
 * time per shadow, keeps the documents in the Store, and sends its messages through a ShadowOutlet.
 * It opens no socket and decides no policy; the broker side of the outlet does both.
 *
 * Design note. Requests of one shadow queue behind each other, so a read-modify-write never races
 * another on this node, and the messages of successive updates leave in version order. The write is a
 * compare-and-set on the version read, so two nodes sharing a store cannot both win one version; a
 * request without a version that loses retries on the new document, one with a version gets 409.
 * Every write is awaited (the Store port settles a write only once it is durable) before anything is
 * published or answered, so an accepted document survives a crash.
 *
 * Who receives what. Refusals and /get answers go only to the requesting client (`outlet.reply`); the
 * results of a change (/update/accepted, /update/delta, /update/documents, /delete/accepted) go to
 * every subscriber (`outlet.publish`), whichever door the change came through:
 * - AWS: device-shadow-data-flow.md: "AWS IoT sends /delta messages to all MQTT subscribers"; a REST
 *   update "will also publish an MQTT message to .../update/delta ... for any devices or clients that
 *   subscribe to it"; device-shadow-mqtt.md: /update/documents is published "whenever an update to the
 *   shadow is successfully performed".
 * - AWS's own device SDK (aws-iot-device-sdk-js, thing/index.js) reports an /update/accepted or
 *   /delete/accepted carrying another client's token as `foreignStateChange`: other clients see them.
 * - AWS: device-shadow-error-messages.md: the error document "is only emitted as a response to a
 *   publish request"; over REST nothing is published on /rejected.
 */
import { isTopicdError } from '../../errors.js';
import type { Page, ShadowExpectation, ShadowStore } from '../../store/store.js';
import { CLASSIC_SHADOW } from '../../store/store.js';
import { asRestError, asShadowError, errorDocument, shadowErrors, type ShadowError } from './errors.js';
import { DEFAULT_SHADOW_LIMITS, ThingAdmission, type ShadowLimits } from './limits.js';
import { decodeJson, parseUpdateRequest, readClientToken, readOptionalClientToken, type UpdateRequest } from './request.js';
import { acceptedResponse, deleteResponse, deltaMessage, documentsMessage, getResponse } from './responses.js';
import { applyUpdate, EMPTY_DOCUMENT, stateBytes, type ShadowDocument } from './state.js';
import { formatShadowTopic, isShadowName, isThingName, parseShadowTopic, type ShadowOperation, type ShadowRef } from './topics.js';

/** How the service's messages leave; the broker implements it on the publish gate. */
export interface ShadowOutlet {
  /** Publishes a service message to every matching subscriber (delta, documents, ...). */
  publish(topic: string, payload: Buffer): void;
  /** Sends a reply only to the requesting client's own matching subscriptions (AWS: a device subscribed to /get/accepted gets its answer; others do not). */
  reply(clientId: string, topic: string, payload: Buffer): void;
}

export interface ShadowServiceOptions {
  shadows: ShadowStore;
  outlet: ShadowOutlet;
  /** Epoch milliseconds. */
  now: () => number;
  limits?: Partial<ShadowLimits>;
}

/** ListNamedShadowsForThing's answer (AWS: results, nextToken, timestamp). */
export interface ListNamedShadowsResult {
  results: string[];
  nextToken?: string;
  /** Epoch seconds. */
  timestamp: number;
}

interface Version {
  doc: ShadowDocument;
  version: number;
}

/** A shadow as read: its live document, if any, the version an update builds on, and the write's expectation. */
interface Loaded {
  live: Version | undefined;
  version: number;
  expect: ShadowExpectation;
}

/** Tries of a versionless update that keeps losing its compare-and-set to another node. */
const WRITE_TRIES = 3;

export class ShadowService {
  private readonly limits: ShadowLimits;
  private readonly admission: ThingAdmission;
  /** The last queued request of each shadow with work pending. */
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly options: ShadowServiceOptions) {
    this.limits = { ...DEFAULT_SHADOW_LIMITS, ...options.limits };
    this.admission = new ThingAdmission(this.limits);
  }

  /**
   * An authorized MQTT PUBLISH on a shadow request topic. Resolves once its answer and messages have
   * been handed to the outlet; never rejects. Any other topic (a response topic included) is ignored.
   */
  async handlePublish(topic: string, payload: Buffer, clientId: string): Promise<void> {
    const parsed = parseShadowTopic(topic);
    if (parsed === null || parsed.response !== undefined) return;
    const ref: ShadowRef = { thingName: parsed.thingName, shadowName: parsed.shadowName };
    const op = parsed.operation;
    // Read ahead so that even a refusal before the checks (429) echoes the token; checked again below.
    let clientToken = peekClientToken(payload, this.limits);
    try {
      await this.admit(ref, async () => {
        if (op === 'update') {
          const doc = decodeJson(payload);
          clientToken = readClientToken(doc, this.limits);
          await this.update(ref, parseUpdateRequest(doc, this.limits));
          return;
        }
        clientToken = readOptionalClientToken(payload, this.limits);
        if (op === 'delete') await this.delete(ref, clientToken);
        else this.options.outlet.reply(clientId, formatShadowTopic(ref, 'get', 'accepted'), await this.get(ref, clientToken));
      });
    } catch (err) {
      this.reject(clientId, ref, op, asShadowError(err), clientToken);
    }
  }

  /** GetThingShadow: the document (`name` absent or '' for the classic shadow). */
  async getThingShadow(thingName: string, shadowName?: string): Promise<Buffer> {
    const ref = restRef(thingName, shadowName);
    return this.rest(ref, () => this.get(ref, undefined));
  }

  /** UpdateThingShadow: the accepted document; /update/accepted, /delta and /documents are published as for MQTT. */
  async updateThingShadow(thingName: string, shadowName: string | undefined, payload: Buffer): Promise<Buffer> {
    const ref = restRef(thingName, shadowName);
    return this.rest(ref, () => this.update(ref, parseUpdateRequest(decodeJson(payload), this.limits)));
  }

  /** DeleteThingShadow: `{"version","timestamp"}`; /delete/accepted is published as for MQTT. */
  async deleteThingShadow(thingName: string, shadowName?: string): Promise<Buffer> {
    const ref = restRef(thingName, shadowName);
    return this.rest(ref, () => this.delete(ref, undefined));
  }

  /**
   * The console's read of one shadow: GetThingShadow's document with the time of its last write (epoch
   * ms), undefined when it does not exist. Outside the per-thing request limits and queue: an operator
   * looking at a page is not one of the device's requests, and a read changes nothing.
   */
  async describeShadow(thingName: string, shadowName?: string): Promise<{ document: Buffer; version: number; updatedAt: number } | undefined> {
    const ref = restRef(thingName, shadowName);
    const row = await this.options.shadows.get(ref.thingName, ref.shadowName);
    if (row === undefined || row.document === null) return undefined;
    return { document: getResponse(JSON.parse(row.document) as ShadowDocument, row.version, this.seconds()), version: row.version, updatedAt: row.updatedAt };
  }

  /** ListNamedShadowsForThing: named shadows only, by name; an unknown thing has none. pageSize 1..100. */
  async listNamedShadowsForThing(thingName: string, page: { nextToken?: string; pageSize?: number } = {}): Promise<ListNamedShadowsResult> {
    if (!isThingName(thingName)) throw shadowErrors.invalidName('thingName', thingName);
    const limit = page.pageSize ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw shadowErrors.invalidName('pageSize', String(page.pageSize));
    let listed: Page<string>;
    try {
      listed = await this.options.shadows.listNamed(thingName, { after: page.nextToken, limit });
    } catch (err) {
      // A token the store did not make is the caller's InvalidRequestException; anything else is ours.
      if (isTopicdError(err) && err.code === 'InvalidRequestException') throw err;
      throw asRestError(err);
    }
    const result: ListNamedShadowsResult = { results: listed.items, timestamp: this.seconds() };
    if (listed.next !== null) result.nextToken = listed.next;
    return result;
  }

  private seconds(): number {
    return Math.floor(this.options.now() / 1000);
  }

  private async rest<T>(ref: ShadowRef, work: () => Promise<T>): Promise<T> {
    let result: T | undefined;
    try {
      await this.admit(ref, async () => { result = await work(); });
    } catch (err) {
      throw asRestError(err);
    }
    return result as T;
  }

  /** Runs `work` within the thing's limits (429 beyond them) and after the shadow's earlier requests. */
  private async admit(ref: ShadowRef, work: () => Promise<void>): Promise<void> {
    if (!this.admission.enter(ref.thingName, this.options.now())) throw shadowErrors.throttled();
    try {
      await this.serialize(`${ref.thingName}/${ref.shadowName}`, work);
    } finally {
      this.admission.leave(ref.thingName);
    }
  }

  private serialize(key: string, work: () => Promise<void>): Promise<void> {
    const run = (this.tails.get(key) ?? Promise.resolve()).then(work);
    const tail = run.then(() => undefined, () => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }

  private async load(ref: ShadowRef): Promise<Loaded> {
    const row = await this.options.shadows.get(ref.thingName, ref.shadowName);
    if (row === undefined) return { live: undefined, version: 0, expect: null };
    if (row.document === null) {
      // AWS: a shadow re-created within 48 h of its delete continues its version; later it starts over.
      const recent = row.deletedAt !== null && this.options.now() - row.deletedAt < this.limits.versionRetentionMs;
      return { live: undefined, version: recent ? row.version : 0, expect: { version: row.version, deleted: true } };
    }
    const doc = JSON.parse(row.document) as ShadowDocument;
    return { live: { doc, version: row.version }, version: row.version, expect: { version: row.version, deleted: false } };
  }

  private async get(ref: ShadowRef, clientToken: string | undefined): Promise<Buffer> {
    const { live } = await this.load(ref);
    if (live === undefined) throw shadowErrors.noShadow(displayName(ref));
    return getResponse(live.doc, live.version, this.seconds(), clientToken);
  }

  private async update(ref: ShadowRef, request: UpdateRequest): Promise<Buffer> {
    for (let tries = 1; ; tries++) {
      const loaded = await this.load(ref);
      // AWS: "the service rejects the request with an HTTP 409 conflict response code if the current
      // version of the state document does not match the version supplied".
      if (request.version !== undefined && request.version !== loaded.version) throw shadowErrors.versionConflict();
      const timestamp = this.seconds();
      const doc = applyUpdate(loaded.live?.doc ?? EMPTY_DOCUMENT, request.state, timestamp);
      if (stateBytes(doc.state) > this.limits.maxStateBytes) throw shadowErrors.tooLarge();
      const version = loaded.version + 1;
      const nowMs = this.options.now();
      const written = await this.options.shadows.put({
        thingName: ref.thingName, shadowName: ref.shadowName, document: JSON.stringify(doc), version, updatedAt: nowMs, deletedAt: null,
      }, loaded.expect);
      if (!written) {
        if (request.version !== undefined || tries >= WRITE_TRIES) throw shadowErrors.versionConflict();
        continue;
      }
      const accepted = acceptedResponse(request, version, timestamp);
      const outlet = this.options.outlet;
      outlet.publish(formatShadowTopic(ref, 'update', 'accepted'), accepted);
      const delta = deltaMessage(doc, version, timestamp, request.clientToken);
      if (delta !== undefined) outlet.publish(formatShadowTopic(ref, 'update', 'delta'), delta);
      outlet.publish(formatShadowTopic(ref, 'update', 'documents'), documentsMessage(loaded.live, { doc, version }, timestamp, request.clientToken));
      return accepted;
    }
  }

  private async delete(ref: ShadowRef, clientToken: string | undefined): Promise<Buffer> {
    for (let tries = 1; ; tries++) {
      const { live, expect } = await this.load(ref);
      if (live === undefined) throw shadowErrors.noShadow(displayName(ref));
      const nowMs = this.options.now();
      // AWS: deleting does not reset the version; the tombstone keeps it for a re-create within 48 h.
      const written = await this.options.shadows.put({
        thingName: ref.thingName, shadowName: ref.shadowName, document: null, version: live.version, updatedAt: nowMs, deletedAt: nowMs,
      }, expect);
      if (!written) {
        if (tries >= WRITE_TRIES) throw shadowErrors.versionConflict();
        continue;
      }
      const body = deleteResponse(live.version, this.seconds(), clientToken);
      this.options.outlet.publish(formatShadowTopic(ref, 'delete', 'accepted'), body);
      return body;
    }
  }

  private reject(clientId: string, ref: ShadowRef, op: ShadowOperation, err: ShadowError, clientToken: string | undefined): void {
    try {
      this.options.outlet.reply(clientId, formatShadowTopic(ref, op, 'rejected'), errorDocument(err, this.seconds(), clientToken));
    } catch (outletErr) {
      // The outlet is the broker's; its failure must not become an unhandled rejection in a packet handler.
      process.emitWarning(outletErr instanceof Error ? outletErr : new Error(String(outletErr)), 'TopicdShadowOutletFailed');
    }
  }
}

/** The request's client token if it has a valid one; never throws. */
function peekClientToken(payload: Buffer, limits: ShadowLimits): string | undefined {
  try {
    return readOptionalClientToken(payload, limits);
  } catch {
    return undefined;
  }
}

/** The name AWS quotes in its 404: the thing's for the classic shadow, the shadow's for a named one. */
const displayName = (ref: ShadowRef): string => (ref.shadowName === CLASSIC_SHADOW ? ref.thingName : ref.shadowName);

function restRef(thingName: string, shadowName: string | undefined): ShadowRef {
  if (!isThingName(thingName)) throw shadowErrors.invalidName('thingName', thingName);
  if (shadowName === undefined || shadowName === CLASSIC_SHADOW) return { thingName, shadowName: CLASSIC_SHADOW };
  if (!isShadowName(shadowName)) throw shadowErrors.invalidName('shadowName', shadowName);
  return { thingName, shadowName };
}
