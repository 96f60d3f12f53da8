/**
 * @module transports/https-publish
 * The HTTPS data plane: `POST /topics/{topic}?qos=&retain=` as AWS IoT Core serves it (reference §1),
 * on node's own HTTP parser. The TLS listener hands it verified sockets; it reads the route, the query
 * and the MQTT 5 headers, and hands the message to the publish gate (broker/ingress.ts), which holds
 * every publish rule; this door maps the gate's refusals to AWS's errors: JSON `{"message","traceId"}`
 * with `x-amzn-ErrorType` and `x-amzn-RequestId`. The 200 leaves only once what it acknowledges is
 * durable (Durability.afterDurable).
 *
 * The body is opaque bytes whatever the Content-Type, capped at 128 KB: a Content-Length over the
 * cap is refused before a byte of the body is read (and before `100 Continue`), a chunked body as
 * soon as it passes the cap.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { DENY_ALL, principalKey, type Authorizer } from '../auth/authorizer.js';
import type { PublishGate, Publisher, Refusal } from '../broker/ingress.js';
import { PROTOCOL_HTTPS } from '../observe/counters.js';
import type { PublishProperties } from '../protocol/codec.js';
import type { Durability } from '../store/store.js';
import type { ConnectionIndex } from './connection-index.js';
import { doneReading, startReading } from './flow-control.js';
import { countHttpsBytes, countHttpsResponse } from './https-metrics.js';
import { principalOf } from './principal.js';

export interface HttpsPublishDeps {
  gate: PublishGate;
  authorizer: Authorizer;
  connections: ConnectionIndex;
  /** The 200 waits for the writes it acknowledges. */
  durability: Durability;
  onError?: ((err: unknown, context: string) => void) | undefined;
}

/** A refused body larger than this is not drained for the sake of a clean 413; the socket is cut. */
const MAX_DRAIN_BYTES = 8 * 1024 * 1024;

type ErrorType =
  | 'InvalidRequestException'
  | 'ForbiddenException'
  | 'ResourceNotFoundException'
  | 'MethodNotAllowedException'
  | 'RequestEntityTooLargeException'
  | 'ThrottlingException'
  | 'InternalFailureException';

const STATUS: Record<ErrorType, number> = {
  InvalidRequestException: 400,
  ForbiddenException: 403,
  ResourceNotFoundException: 404,
  MethodNotAllowedException: 405,
  RequestEntityTooLargeException: 413,
  ThrottlingException: 429,
  InternalFailureException: 500,
};

/** A request error with the AWS type it is answered with. */
class PublishError extends Error {
  constructor(readonly type: ErrorType, message: string) {
    super(message);
  }
}

/** Headers go to writeHead as a flat [name, value, ...] list, so no header object is built per request. */
function send(res: ServerResponse, status: number, body: string, traceId: string, errorType?: ErrorType): void {
  const headers = errorType
    ? ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(body)), 'x-amzn-RequestId', traceId, 'x-amzn-ErrorType', errorType]
    : ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(body)), 'x-amzn-RequestId', traceId];
  res.writeHead(status, headers);
  res.end(body);
}

function sendError(res: ServerResponse, err: PublishError, traceId: string): void {
  send(res, STATUS[err.type], `{"message":${JSON.stringify(err.message)},"traceId":"${traceId}"}`, traceId, err.type);
}

interface PublishRequest {
  topic: string;
  qos: 0 | 1;
  retain: boolean;
  properties: PublishProperties | undefined;
}

/** The AWS error of each gate refusal (reference §1: 400, 403, 413, 429). */
const REFUSAL_ERRORS: Record<Refusal, ErrorType> = {
  QosNotSupported: 'InvalidRequestException',
  TopicInvalid: 'InvalidRequestException',
  PayloadTooLarge: 'RequestEntityTooLargeException',
  ReservedTopic: 'ForbiddenException',
  NotAuthorized: 'ForbiddenException',
  QuotaExceeded: 'ThrottlingException',
};

/** The AWS error for a refusal; AWS's 403 says only "Forbidden". */
function refusalError(refusal: Refusal, gate: PublishGate): PublishError {
  const type = REFUSAL_ERRORS[refusal];
  if (type === 'ForbiddenException') return new PublishError(type, 'Forbidden');
  if (refusal === 'TopicInvalid') return new PublishError(type, `Invalid topic: ${gate.why()}`);
  if (refusal === 'PayloadTooLarge') return new PublishError(type, `The payload exceeds the maximum size allowed (${gate.limits.maxPayloadBytes} bytes)`);
  return new PublishError(type, gate.why());
}

/** Parses route, query and MQTT 5 headers; throws PublishError. */
function parseRequest(req: IncomingMessage): PublishRequest {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (!path.startsWith('/topics/') && path !== '/topics') {
    throw new PublishError('ResourceNotFoundException', `No route for ${path}`);
  }
  if (req.method !== 'POST') throw new PublishError('MethodNotAllowedException', `Method ${req.method ?? ''} is not allowed on /topics`);

  let topic: string;
  try {
    // AWS: the topic may arrive raw (with slashes) or percent-encoded (%2F); decoding covers both.
    const raw = path.slice(8);
    topic = raw.includes('%') ? decodeURIComponent(raw) : raw;
  } catch {
    throw new PublishError('InvalidRequestException', 'The topic is not validly percent-encoded');
  }

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
      if (qosParam !== '0' && qosParam !== '1') throw new PublishError('InvalidRequestException', `qos must be 0 or 1, got "${qosParam}"`);
      qos = qosParam === '1' ? 1 : 0;
    }
    const retainParam = query.get('retain');
    if (retainParam !== null) {
      const lower = retainParam.toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw new PublishError('InvalidRequestException', `retain must be true or false, got "${retainParam}"`);
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
      throw new PublishError('InvalidRequestException', 'responseTopic must be a topic name without wildcards');
    }
    (props ??= {}).responseTopic = responseTopic;
  }
  const expiry = query.get('messageExpiry');
  if (expiry !== null) {
    if (!/^\d+$/.test(expiry)) throw new PublishError('InvalidRequestException', `messageExpiry must be a whole number of seconds, got "${expiry}"`);
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
      throw new PublishError('InvalidRequestException', 'x-amz-mqtt5-user-properties must be base64 of a JSON array');
    }
    if (!Array.isArray(parsed)) throw new PublishError('InvalidRequestException', 'x-amz-mqtt5-user-properties must be base64 of a JSON array');
    const out: Record<string, string | string[]> = {};
    for (const pair of parsed) {
      if (typeof pair !== 'object' || pair === null || Array.isArray(pair)) {
        throw new PublishError('InvalidRequestException', 'x-amz-mqtt5-user-properties entries must be objects of one name and value');
      }
      for (const [name, value] of Object.entries(pair as Record<string, unknown>)) {
        if (typeof value !== 'string') throw new PublishError('InvalidRequestException', `user property ${name} must be a string`);
        const prev = out[name];
        out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
      }
    }
    (props ??= {}).userProperties = out;
  }
  const format = headers['x-amz-mqtt5-payload-format-indicator'];
  if (typeof format === 'string') {
    if (format !== 'UNSPECIFIED_BYTES' && format !== 'UTF8_DATA') {
      throw new PublishError('InvalidRequestException', 'x-amz-mqtt5-payload-format-indicator must be UNSPECIFIED_BYTES or UTF8_DATA');
    }
    (props ??= {}).payloadFormatIndicator = format === 'UTF8_DATA';
  }
  const correlation = headers['x-amz-mqtt5-correlation-data'];
  if (typeof correlation === 'string') (props ??= {}).correlationData = Buffer.from(correlation, 'base64');
  return props;
}

/** Refuses a body over the cap: answers 413, then drains a modest rest so the client reads the answer. */
function refuseTooLarge(req: IncomingMessage, res: ServerResponse, traceId: string, maxPayloadBytes: number): void {
  const declared = Number(req.headers['content-length'] ?? NaN);
  res.shouldKeepAlive = false;
  sendError(res, new PublishError('RequestEntityTooLargeException', `The payload exceeds the maximum size allowed (${maxPayloadBytes} bytes)`), traceId);
  if (Number.isFinite(declared) && declared > MAX_DRAIN_BYTES) {
    res.on('finish', () => req.socket.destroy());
    return;
  }
  let drained = 0;
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > MAX_DRAIN_BYTES) req.socket.destroy();
  });
  req.resume();
}

/** A failed write cuts the connection: the client sees an error, never a 200 for a message not kept. */
const flushSocket = (socket: Socket, durable: boolean): void => {
  if (durable) socket.uncork();
  else socket.destroy();
};

/** Requests each publish server is still answering, for a shutdown that lets them finish. */
const inFlight = new WeakMap<Server, { count: number }>();

export const requestsInFlight = (server: Server): number => inFlight.get(server)?.count ?? 0;

export function createHttpsPublishServer(deps: HttpsPublishDeps): Server {
  const { gate, authorizer } = deps;
  const maxPayloadBytes = gate.limits.maxPayloadBytes;

  const handle = (req: IncomingMessage, res: ServerResponse, continueExpected: boolean): void => {
    const traceId = randomUUID();
    try {
      const socket = req.socket as TLSSocket;
      const parsed = parseRequest(req);
      const from = publisherOf(socket);
      // Everything that needs no body is decided before a byte of it is read (and before 100 Continue).
      const refusal = gate.admit(from, parsed.topic, parsed.qos, parsed.retain);
      if (refusal !== undefined) throw refusalError(refusal, gate);

      const declared = req.headers['content-length'];
      if (declared !== undefined && Number(declared) > maxPayloadBytes) return refuseTooLarge(req, res, traceId, maxPayloadBytes);
      if (continueExpected) res.writeContinue();

      const chunks: Buffer[] = [];
      let size = 0;
      let refused = false;
      req.on('data', (chunk: Buffer) => {
        if (refused) return;
        size += chunk.length;
        if (size > maxPayloadBytes) {
          refused = true;
          chunks.length = 0;
          refuseTooLarge(req, res, traceId, maxPayloadBytes);
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        if (refused || res.headersSent) return;
        const payload = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
        // What this message congests holds this connection back (flow-control.ts).
        const previous = startReading(socket);
        let late;
        try {
          late = gate.publishAdmitted(from, parsed.topic, payload, parsed.qos, parsed.retain, parsed.properties);
        } finally {
          doneReading(previous);
        }
        if (late !== undefined) {
          sendError(res, refusalError(late, gate), traceId);
          return;
        }
        gate.counters.received[PROTOCOL_HTTPS * 3 + parsed.qos]!++;
        // The 200 leaves once the writes it acknowledges (a retained message, a queued QoS 1 copy) are durable.
        const out = res.socket;
        if (out) {
          out.cork();
          deps.durability.afterDurable(flushSocket, out);
        }
        send(res, 200, `{"message":"OK","traceId":"${traceId}"}`, traceId);
      });
    } catch (err) {
      if (err instanceof PublishError) {
        // An unread body would be parsed as the next request: close instead of keeping alive.
        if (!req.complete) res.shouldKeepAlive = false;
        sendError(res, err, traceId);
        if (!req.complete) req.resume();
        return;
      }
      deps.onError?.(err, 'https publish');
      res.shouldKeepAlive = false;
      sendError(res, new PublishError('InternalFailureException', 'Internal failure'), traceId);
    }
  };

  /** One connection's publisher (its grants), kept for its keep-alive life so decisions are cached across requests. */
  const publishers = new WeakMap<TLSSocket, Publisher>();
  const publisherOf = (socket: TLSSocket): Publisher => {
    let found = publishers.get(socket);
    if (!found) {
      const principal = principalOf(socket);
      // AWS: HTTPS has no client id, so neither client nor thing policy variables resolve.
      found = { grants: principal ? authorizer.grants(principal, undefined) : DENY_ALL, session: undefined, rate: undefined, clientId: undefined };
      publishers.set(socket, found);
    }
    return found;
  };

  const server = createServer({ requireHostHeader: false }, (req, res) => handle(req, res, false));
  const counter = { count: 0 };
  inFlight.set(server, counter);
  // Requests in flight, per connection as well: a request pipelined behind one whose answer closed the
  // connection never gets a response socket, so its response never closes; its connection's close
  // settles it. One listener per connection, none per request.
  const perSocket = new WeakMap<Socket, { count: number }>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const own = perSocket.get(req.socket);
    if (own === undefined) return;
    own.count++;
    counter.count++;
    res.once('close', () => {
      countHttpsResponse(gate.counters, req, res);
      if (own.count === 0) return;
      own.count--;
      counter.count--;
    });
  });
  // Answer `Expect: 100-continue` ourselves so an oversized body is refused before it is sent.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => handle(req, res, true));

  server.on('connection', (socket: TLSSocket) => {
    const own = { count: 0 };
    perSocket.set(socket, own);
    socket.once('close', () => {
      counter.count -= own.count;
      own.count = 0;
      countHttpsBytes(gate.counters, socket);
    });
    const principal = principalOf(socket);
    if (principal) {
      // A certificate that stops being ACTIVE loses its keep-alive connection at once; at shutdown the
      // request in flight finishes and idle connections are closed by the caller instead.
      const untrack = deps.connections.add(principalKey(principal), (reason) => {
        if (reason === 'certificate-inactive') socket.destroy();
      });
      socket.once('close', untrack);
    }
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    // node's header and request deadlines (transports/data-plane.ts) end here too: 408, as node answers them.
    const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    gate.counters.httpsResponse('other', timedOut ? 408 : 400);
    const traceId = randomUUID();
    const body = `{"message":"${timedOut ? 'Request timeout' : 'Bad request'}","traceId":"${traceId}"}`;
    socket.write(`HTTP/1.1 ${timedOut ? '408 Request Timeout' : '400 Bad Request'}\r\ncontent-type: application/json\r\n`
      + `x-amzn-ErrorType: ${timedOut ? 'RequestTimeoutException' : 'InvalidRequestException'}\r\nx-amzn-RequestId: ${traceId}\r\n`
      + `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    // Closed once the answer is out, whatever the client does: a socket is never held for a peer that does not close.
    socket.destroySoon();
  });
  return server;
}
