/**
 * @module transports/iot-data/server
 * The iot-data API on the data endpoint (restJson1, version 2015-05-28), on node's own HTTP parser: a
 * small router over the TLS sockets the listeners hand it. `POST /topics/{topic}` goes straight to the
 * Publish operation (publish.ts, the hot path: no body buffered before it is admitted); every other
 * route reads its body, learns its caller (certificate or SigV4, caller.ts), and runs its operation
 * (routes.ts). It also counts the requests in flight for a shutdown that lets them finish, cuts the
 * keep-alive connection of a certificate that stops being ACTIVE, and answers the parser's own
 * refusals (a malformed request, node's header and request deadlines) as AWS-shaped errors.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { isStoreUnavailable } from '../../errors.js';
import type { Counters } from '../../observe/counters.js';
import { countHttpsBytes, countHttpsResponse } from '../https-metrics.js';
import { principalOf } from '../principal.js';
import { IotDataError, send, sendError } from './answer.js';
import { readBody } from './body.js';
import { DevicePath, type DevicePathTimeouts } from './device-path.js';
import { callerOf, continueWhenChecked, trackDevice, type Fail, type IotDataDeps } from './caller.js';
import { createPublishHandler } from './publish.js';
import { findOperation, runOperation } from './routes.js';

export type { IotDataDeps, RetainedView } from './caller.js';

/** Requests each server is still answering, for a shutdown that lets them finish. */
const inFlight = new WeakMap<Server, { count: number }>();

const requestsInFlight = (server: Server): number => inFlight.get(server)?.count ?? 0;

/** The largest body of an operation other than Publish (a shadow update: AWS's state limit is 8 KB; this leaves room for the rest). */
const MAX_REQUEST_BYTES = 128 * 1024;

function splitTarget(url: string): { path: string; search: string } {
  const q = url.indexOf('?');
  return q === -1 ? { path: url, search: '' } : { path: url.slice(0, q), search: url.slice(q + 1) };
}

/** The iot-data API on one listener: node's HTTP server, with a device's publish on its fast path first. */
export interface IotDataServer {
  /** node's HTTP server (its deadlines are set by the caller; upgrades are heard on it). */
  readonly http: Server;
  /** A TLS socket that speaks HTTP to this API. */
  accept(socket: TLSSocket): void;
  /** Requests still being read or answered, on both paths. */
  inFlight(): number;
  closeIdleConnections(): void;
  closeAllConnections(): void;
}

export function createIotDataServer(deps: IotDataDeps, timeouts: DevicePathTimeouts): IotDataServer {
  const fail: Fail = (res, err, traceId) => {
    if (res.headersSent) return;
    if (err instanceof IotDataError) return sendError(res, err, traceId);
    // The store out of reach (a cluster's PostgreSQL): nothing was acknowledged; the client retries later.
    if (isStoreUnavailable(err)) return sendError(res, new IotDataError('ServiceUnavailableException', 'Service unavailable: the store cannot be reached; try again later'), traceId);
    deps.onError?.(err, 'iot-data request');
    res.shouldKeepAlive = false;
    sendError(res, new IotDataError('InternalFailureException', 'Internal failure'), traceId);
  };
  const publish = createPublishHandler(deps, fail);

  /** Any route but Publish: the body, the caller, the operation. */
  const route = (req: IncomingMessage, res: ServerResponse, continueExpected: boolean, traceId: string, path: string, search: string): void => {
    const method = req.method ?? 'GET';
    const { operation, labels } = findOperation(method, path);
    const read = (): void => readBody(req, res, traceId, MAX_REQUEST_BYTES, (body) => {
      callerOf(req, body, deps)
        .then((caller) => runOperation(operation, { method, labels, query: new URLSearchParams(search), body }, caller, deps))
        .then((answer) => send(res, 200, answer, traceId), (err: unknown) => fail(res, err, traceId));
    });
    if (continueExpected) continueWhenChecked(req, res, deps, traceId, fail, read);
    else read();
  };

  const handle = (req: IncomingMessage, res: ServerResponse, continueExpected: boolean): void => {
    const traceId = randomUUID();
    try {
      const url = req.url ?? '/';
      if (url.startsWith('/topics/') || url === '/topics') return publish(req, res, continueExpected, traceId);
      const { path, search } = splitTarget(url);
      route(req, res, continueExpected, traceId, path, search);
    } catch (err) {
      // An unread body would be parsed as the next request: close instead of keeping alive.
      if (!req.complete) res.shouldKeepAlive = false;
      fail(res, err, traceId);
      if (!req.complete) req.resume();
    }
  };

  const server = createServer({ requireHostHeader: false }, (req, res) => handle(req, res, false));
  countInFlight(server, deps.gate.counters);
  // Answer `Expect: 100-continue` ourselves so an oversized body is refused before it is sent.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => handle(req, res, true));
  server.on('connection', (socket: TLSSocket) => {
    const principal = principalOf(socket);
    if (principal) socket.once('close', trackDevice(deps, socket, principal));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    // node's header and request deadlines (transports/data-plane.ts) end here too: 408, as node answers them.
    refuseRequest(socket, deps.gate.counters, err.code === 'ERR_HTTP_REQUEST_TIMEOUT');
  });
  const devices = new DevicePath(deps, server, timeouts, (socket) => refuseRequest(socket, deps.gate.counters, true));
  return {
    http: server,
    accept: (socket) => {
      const principal = principalOf(socket);
      if (principal) devices.accept(socket, principal);
      else server.emit('connection', socket);
    },
    inFlight: () => requestsInFlight(server) + devices.inFlight(),
    closeIdleConnections: () => {
      server.closeIdleConnections();
      devices.closeIdle();
    },
    closeAllConnections: () => {
      server.closeAllConnections();
      devices.closeAll();
    },
  };
}

/**
 * Requests in flight, per connection as well: a request pipelined behind one whose answer closed the
 * connection never gets a response socket, so its response never closes; its connection's close
 * settles it. One listener per connection, none per request.
 */
function countInFlight(server: Server, counters: Counters): void {
  const counter = { count: 0 };
  inFlight.set(server, counter);
  const perSocket = new WeakMap<Socket, { count: number }>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const own = perSocket.get(req.socket);
    if (own === undefined) return;
    own.count++;
    counter.count++;
    res.once('close', () => {
      countHttpsResponse(counters, req, res);
      if (own.count === 0) return;
      own.count--;
      counter.count--;
    });
  });
  server.on('connection', (socket: Socket) => {
    const own = { count: 0 };
    perSocket.set(socket, own);
    socket.once('close', () => {
      counter.count -= own.count;
      own.count = 0;
      countHttpsBytes(counters, socket);
    });
  });
}

/** A request that could not be read (malformed: 400) or not in time (408), answered on the socket, which then closes. */
function refuseRequest(socket: Socket, counters: Counters, timedOut: boolean): void {
  counters.httpsResponse('other', timedOut ? 408 : 400);
  const traceId = randomUUID();
  const body = `{"message":"${timedOut ? 'Request timeout' : 'Bad request'}","traceId":"${traceId}"}`;
  socket.write(`HTTP/1.1 ${timedOut ? '408 Request Timeout' : '400 Bad Request'}\r\ncontent-type: application/json\r\n`
    + `x-amzn-ErrorType: ${timedOut ? 'RequestTimeoutException' : 'InvalidRequestException'}\r\nx-amzn-RequestId: ${traceId}\r\n`
    + `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  // Closed once the answer is out, whatever the client does: a socket is never held for a peer that does not close.
  socket.destroySoon();
}
