/**
 * @module transports/iot-data/publish
 * The iot-data Publish operation: `POST /topics/{topic}?qos=&retain=` as AWS IoT Core serves it
 * (reference §1), with the MQTT 5 members AWS takes in the query and headers. It hands the message to
 * the publish gate (broker/ingress.ts), which holds every publish rule, and maps the gate's refusals to
 * AWS's errors. The 200 leaves only once what it acknowledges is durable (Durability.afterDurable).
 *
 * Two callers. A device with a client certificate is the hot path: everything that needs no body is
 * decided before a byte of it is read (and before `100 Continue`), the connection's grants are kept for
 * its keep-alive life. A SigV4 caller (443 without a certificate: the AWS CLI and SDKs) signs the body
 * too, so its body is read, then verified (caller.ts), then judged by the gate as one message.
 *
 * The body is opaque bytes whatever the Content-Type, capped at 128 KB (body.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { PublishGate, Publisher, Refusal } from '../../broker/ingress.js';
import { PROTOCOL_HTTPS } from '../../observe/counters.js';
import type { PublishProperties } from '../../protocol/codec.js';
import { doneReading, startReading } from '../flow-control.js';
import { principalOf } from '../principal.js';
import { IotDataError, publishedBody, send, sendError, type IotDataErrorType } from './answer.js';
import { readBody, refuseTooLarge } from './body.js';
import { continueWhenChecked, httpsPublisher, signedCaller, type Fail, type IotDataDeps } from './caller.js';
import { decodeTopic } from './publish-head.js';

interface PublishRequest {
  topic: string;
  qos: 0 | 1;
  retain: boolean;
  properties: PublishProperties | undefined;
}

/** The AWS error of each gate refusal (reference §1: 400, 403, 413, 429). */
const REFUSAL_ERRORS: Record<Refusal, IotDataErrorType> = {
  QosNotSupported: 'InvalidRequestException',
  TopicInvalid: 'InvalidRequestException',
  PayloadTooLarge: 'RequestEntityTooLargeException',
  ReservedTopic: 'ForbiddenException',
  NotAuthorized: 'ForbiddenException',
  QuotaExceeded: 'ThrottlingException',
};

/** The AWS error for a refusal; AWS's 403 says only "Forbidden". */
export function refusalError(refusal: Refusal, gate: PublishGate): IotDataError {
  const type = REFUSAL_ERRORS[refusal];
  if (type === 'ForbiddenException') return new IotDataError(type, 'Forbidden');
  if (refusal === 'TopicInvalid') return new IotDataError(type, `Invalid topic: ${gate.why()}`);
  if (refusal === 'PayloadTooLarge') return new IotDataError(type, `The payload exceeds the maximum size allowed (${gate.limits.maxPayloadBytes} bytes)`);
  return new IotDataError(type, gate.why());
}

/** Parses route, query and MQTT 5 headers; throws IotDataError. */
function parseRequest(req: IncomingMessage): PublishRequest {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (req.method !== 'POST') throw new IotDataError('MethodNotAllowedException', `Method ${req.method ?? ''} is not allowed on /topics`);

  // AWS: the topic may arrive raw (with slashes) or percent-encoded (%2F); decoding covers both.
  const topic = decodeTopic(path.slice(8));
  if (topic === undefined) throw new IotDataError('InvalidRequestException', 'The topic is not validly percent-encoded');

  let qos: 0 | 1 = 0;
  let retain = false;
  let properties: PublishProperties | undefined;
  const search = q === -1 ? '' : url.slice(q + 1);
  // The samples' query, `qos=1` alone, needs no parser.
  if (search === 'qos=1' || search === 'qos=0') {
    qos = search === 'qos=1' ? 1 : 0;
  } else if (search !== '') {
    const query = new URLSearchParams(search);
    const qosParam = query.get('qos');
    if (qosParam !== null) {
      if (qosParam !== '0' && qosParam !== '1') throw new IotDataError('InvalidRequestException', `qos must be 0 or 1, got "${qosParam}"`);
      qos = qosParam === '1' ? 1 : 0;
    }
    const retainParam = query.get('retain');
    if (retainParam !== null) {
      const lower = retainParam.toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw new IotDataError('InvalidRequestException', `retain must be true or false, got "${retainParam}"`);
      retain = lower === 'true';
    }
    properties = queryProperties(query);
  }
  properties = headerProperties(req, properties);
  return { topic, qos, retain, properties };
}

/** The MQTT 5 members AWS carries in the query: contentType, responseTopic, messageExpiry. */
function queryProperties(query: URLSearchParams): PublishProperties | undefined {
  let props: PublishProperties | undefined;
  const contentType = query.get('contentType');
  if (contentType !== null) (props ??= {}).contentType = contentType;
  const responseTopic = query.get('responseTopic');
  if (responseTopic !== null) {
    if (responseTopic === '' || responseTopic.includes('+') || responseTopic.includes('#')) {
      throw new IotDataError('InvalidRequestException', 'responseTopic must be a topic name without wildcards');
    }
    (props ??= {}).responseTopic = responseTopic;
  }
  const expiry = query.get('messageExpiry');
  if (expiry !== null) {
    if (!/^\d+$/.test(expiry)) throw new IotDataError('InvalidRequestException', `messageExpiry must be a whole number of seconds, got "${expiry}"`);
    // The gate clamps it as AWS does (1..604800) rather than refusing.
    (props ??= {}).messageExpiryInterval = Number(expiry);
  }
  return props;
}

/** The MQTT 5 members AWS carries in headers: user properties, payload format, correlation data. */
function headerProperties(req: IncomingMessage, props: PublishProperties | undefined): PublishProperties | undefined {
  const headers = req.headers;
  const user = headers['x-amz-mqtt5-user-properties'];
  if (typeof user === 'string') {
    // AWS: base64 of a JSON array of one-pair objects, e.g. [{"deviceName":"alpha"}]
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(user, 'base64').toString('utf8'));
    } catch {
      throw new IotDataError('InvalidRequestException', 'x-amz-mqtt5-user-properties must be base64 of a JSON array');
    }
    if (!Array.isArray(parsed)) throw new IotDataError('InvalidRequestException', 'x-amz-mqtt5-user-properties must be base64 of a JSON array');
    const out: Record<string, string | string[]> = {};
    for (const pair of parsed) {
      if (typeof pair !== 'object' || pair === null || Array.isArray(pair)) {
        throw new IotDataError('InvalidRequestException', 'x-amz-mqtt5-user-properties entries must be objects of one name and value');
      }
      for (const [name, value] of Object.entries(pair as Record<string, unknown>)) {
        if (typeof value !== 'string') throw new IotDataError('InvalidRequestException', `user property ${name} must be a string`);
        const prev = out[name];
        out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
      }
    }
    (props ??= {}).userProperties = out;
  }
  const format = headers['x-amz-mqtt5-payload-format-indicator'];
  if (typeof format === 'string') {
    if (format !== 'UNSPECIFIED_BYTES' && format !== 'UTF8_DATA') {
      throw new IotDataError('InvalidRequestException', 'x-amz-mqtt5-payload-format-indicator must be UNSPECIFIED_BYTES or UTF8_DATA');
    }
    (props ??= {}).payloadFormatIndicator = format === 'UTF8_DATA';
  }
  const correlation = headers['x-amz-mqtt5-correlation-data'];
  if (typeof correlation === 'string') (props ??= {}).correlationData = Buffer.from(correlation, 'base64');
  return props;
}

/** A failed write cuts the connection: the client sees an error, never a 200 for a message not kept. */
const flushSocket = (socket: Socket, durable: boolean): void => {
  if (durable) socket.uncork();
  else socket.destroy();
};

/** Counts an accepted HTTPS publish (received, by protocol and QoS). */
export function countAccepted(gate: PublishGate, qos: 0 | 1): void {
  gate.counters.received[PROTOCOL_HTTPS * 3 + qos]!++;
}

/** Sends the 200 once the writes it acknowledges (a retained message, a queued QoS 1 copy) are durable. */
function answerPublished(res: ServerResponse, deps: IotDataDeps, traceId: string, qos: 0 | 1): void {
  countAccepted(deps.gate, qos);
  const out = res.socket;
  if (out) {
    out.cork();
    deps.durability.afterDurable(flushSocket, out);
  }
  send(res, 200, publishedBody(traceId), traceId);
}

/**
 * A device's whole message through the gate (`admitted`: its head already passed `admit`), with its
 * connection marked as the one being read, so that what the message congests holds it back (flow-control.ts).
 */
export function publishFromDevice(
  gate: PublishGate, socket: Socket, from: Publisher, admitted: boolean,
  topic: string, payload: Buffer, qos: 0 | 1, retain: boolean, properties: PublishProperties | undefined,
): Refusal | undefined {
  const previous = startReading(socket);
  try {
    return admitted ? gate.publishAdmitted(from, topic, payload, qos, retain, properties) : gate.publish(from, topic, payload, qos, retain, properties);
  } finally {
    doneReading(previous);
  }
}

/** The Publish operation; throws IotDataError for what it refuses before the body is read. */
export function createPublishHandler(deps: IotDataDeps, fail: Fail): (req: IncomingMessage, res: ServerResponse, continueExpected: boolean, traceId: string) => void {
  const { gate, authorizer } = deps;
  const maxPayloadBytes = gate.limits.maxPayloadBytes;

  /** One connection's publisher (its grants), kept for its keep-alive life so decisions are cached across requests. */
  const publishers = new WeakMap<TLSSocket, Publisher>();
  const publisherOf = (socket: TLSSocket): Publisher => {
    let found = publishers.get(socket);
    if (!found) {
      found = httpsPublisher(authorizer, principalOf(socket));
      publishers.set(socket, found);
    }
    return found;
  };

  const signed = (req: IncomingMessage, res: ServerResponse, parsed: PublishRequest, traceId: string): void => {
    readBody(req, res, traceId, maxPayloadBytes, (body) => {
      signedCaller(req, body, deps).then((caller) => {
        const refusal = gate.publish(caller.publisher, parsed.topic, body, parsed.qos, parsed.retain, parsed.properties);
        if (refusal !== undefined) throw refusalError(refusal, gate);
        answerPublished(res, deps, traceId, parsed.qos);
      }).catch((err: unknown) => fail(res, err, traceId));
    });
  };

  return (req, res, continueExpected, traceId) => {
    const socket = req.socket as TLSSocket;
    const parsed = parseRequest(req);
    const certified = principalOf(socket) !== null;
    const from = certified ? publisherOf(socket) : undefined;
    if (from !== undefined) {
      // Everything that needs no body is decided before a byte of it is read (and before 100 Continue).
      const refusal = gate.admit(from, parsed.topic, parsed.qos, parsed.retain);
      if (refusal !== undefined) throw refusalError(refusal, gate);
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxPayloadBytes) return refuseTooLarge(req, res, traceId, maxPayloadBytes);
    const read = from === undefined ? (): void => signed(req, res, parsed, traceId) : (): void => readBody(req, res, traceId, maxPayloadBytes, (payload) => {
      const late = publishFromDevice(gate, socket, from, true, parsed.topic, payload, parsed.qos, parsed.retain, parsed.properties);
      if (late !== undefined) return sendError(res, refusalError(late, gate), traceId);
      answerPublished(res, deps, traceId, parsed.qos);
    });
    if (continueExpected) continueWhenChecked(req, res, deps, traceId, fail, read);
    else read();
  };
}
