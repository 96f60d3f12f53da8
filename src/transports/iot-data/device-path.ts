/**
 * @module transports/iot-data/device-path
 * The fast path of the seed's request: a device with a client certificate publishing with
 * `POST /topics/{topic}?qos=1` on a keep-alive connection. The request is read from the socket's bytes
 * (publish-head.ts), judged by the publish gate exactly as on node's path (publish.ts: the same
 * publisher, the same gate call, the same refusal errors) and answered with the bytes node would write,
 * without node's request and response objects, streams and events, which cost more than the publish.
 *
 * The first request this path does not take (another route, a chunked body, MQTT 5 headers, a body
 * over the cap, anything odd) hands the connection, that request's bytes
 * first, to node's HTTP server for the rest of its life, so every other answer is written in one place.
 * The promises are the same on both paths: a 200 leaves only once what it acknowledges is durable (the
 * socket is corked until Durability.afterDurable), answers leave in request order, a connection that
 * must close is ended after its answer, and every socket is bounded in time like node's: the headers
 * deadline before the first request, the keep-alive deadline between requests, the headers and request
 * deadlines for a request that trickles (408, as node answers).
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Principal } from '../../auth/authorizer.js';
import type { Publisher } from '../../broker/ingress.js';
import { countHttpsBytes } from '../https-metrics.js';
import { rawAnswer, type IotDataError } from './answer.js';
import { httpsPublisher, trackDevice, type IotDataDeps } from './caller.js';
import { OTHER, PARTIAL, readPublishHead, type PublishHead } from './publish-head.js';
import { countAccepted, publishFromDevice, refusalError } from './publish.js';

export interface DevicePathTimeouts {
  headersMs: number;
  requestMs: number;
  keepAliveMs: number;
}

/** Answers a trickling request's deadline as node does (server.ts). */
export type RefuseTimedOut = (socket: TLSSocket) => void;

class DeviceConnection {
  /** The bytes of a request still arriving (its head, or its body). */
  pending: Buffer[] = [];
  pendingBytes = 0;
  /** How many bytes to wait for before that request is read again. */
  needed = 0;
  /** When that request's first byte came, and when it must be in. */
  since = 0;
  deadline = 0;
  /** Answers are written to the corked socket and wait for the durability of what they acknowledge. */
  corked = false;
  /** The last request asked to close: nothing more is read, and the socket ends after its answer. */
  closing = false;
  answered = false;
  readonly publisher: Publisher;
  readonly untrack: () => void;
  readonly onData = (chunk: Buffer): void => this.path.read(this, chunk);
  readonly onTimeout = (): void => {
    // A request still arriving is its deadline's (DevicePath.sweep).
    if (this.pendingBytes === 0) this.socket.destroy();
  };
  readonly onError = (): void => void this.socket.destroy();
  readonly onDrain = (): void => void this.socket.resume();
  readonly onClose = (): void => this.path.closed(this);

  constructor(readonly socket: TLSSocket, principal: Principal, readonly path: DevicePath) {
    this.publisher = httpsPublisher(path.deps.authorizer, principal);
    this.untrack = trackDevice(path.deps, socket, principal);
  }
}

function flush(conn: DeviceConnection, durable: boolean): void {
  conn.corked = false;
  if (!durable) return void conn.socket.destroy();
  conn.socket.uncork();
  if (conn.closing) conn.socket.end();
}

export class DevicePath {
  private readonly live = new Set<DeviceConnection>();
  /** Connections whose request is still arriving, for its deadline. */
  private readonly waiting = new Set<DeviceConnection>();
  private sweeper: NodeJS.Timeout | undefined;
  private readonly keepAliveSeconds: number;
  private readonly maxPayloadBytes: number;

  constructor(
    readonly deps: IotDataDeps,
    /** node's HTTP server, which takes over every connection this path hands off. */
    private readonly fallback: Server,
    private readonly timeouts: DevicePathTimeouts,
    private readonly refuseTimedOut: RefuseTimedOut,
  ) {
    this.keepAliveSeconds = Math.floor(timeouts.keepAliveMs / 1000);
    this.maxPayloadBytes = deps.gate.limits.maxPayloadBytes;
  }

  /** A device's connection, straight after its handshake. */
  accept(socket: TLSSocket, principal: Principal): void {
    const conn = new DeviceConnection(socket, principal, this);
    this.live.add(conn);
    // Not setTimeout's callback, which is heard once: the deadline is kept for the connection's life.
    socket.setTimeout(this.timeouts.headersMs);
    socket.on('timeout', conn.onTimeout);
    socket.on('data', conn.onData);
    socket.on('error', conn.onError);
    socket.once('close', conn.onClose);
  }

  read(conn: DeviceConnection, chunk: Buffer): void {
    if (conn.closing) return;
    let buf = chunk;
    const resumed = conn.pendingBytes > 0;
    if (resumed) {
      conn.pending.push(chunk);
      conn.pendingBytes += chunk.length;
      if (conn.pendingBytes < conn.needed) return;
      buf = Buffer.concat(conn.pending, conn.pendingBytes);
      conn.pending = [];
      conn.pendingBytes = 0;
      this.waiting.delete(conn);
    }
    let at = 0;
    while (at < buf.length) {
      const head = readPublishHead(buf, at);
      if (head === OTHER || (head !== PARTIAL && head.contentLength > this.maxPayloadBytes)) return this.handOff(conn, buf.subarray(at));
      // A request cut by a read's end (pipelining splits heads anywhere) waits for its next bytes, under
      // the headers deadline, then the request deadline, counted from its first byte.
      if (head === PARTIAL) {
        this.wait(conn, buf.subarray(at), buf.length - at + 1, resumed && at === 0, this.timeouts.headersMs);
        break;
      }
      const end = head.bodyStart + head.contentLength;
      if (end > buf.length) {
        this.wait(conn, buf.subarray(at), end - at, resumed && at === 0, this.timeouts.requestMs);
        break;
      }
      this.answer(conn, head, buf.subarray(head.bodyStart, end));
      at = end;
      if (!head.keepAlive) {
        conn.closing = true;
        if (!conn.corked) conn.socket.end();
        return;
      }
    }
    // A client that pipelines requests and does not read its answers is not read either until it does
    // (as node's server does), so its answers cannot pile up in memory.
    const socket = conn.socket;
    if (socket.writableNeedDrain) {
      socket.pause();
      socket.once('drain', conn.onDrain);
    }
  }

  private answer(conn: DeviceConnection, head: PublishHead, payload: Buffer): void {
    const { gate, durability } = this.deps;
    const socket = conn.socket;
    const traceId = randomUUID();
    const refusal = publishFromDevice(gate, socket, conn.publisher, false, head.topic, payload, head.qos, false, undefined);
    let err: IotDataError | undefined;
    if (refusal === undefined) countAccepted(gate, head.qos);
    else err = refusalError(refusal, gate);
    const status = err === undefined ? 200 : err.status;
    gate.counters.httpsResponse('publish', status);
    if (!conn.answered) {
      conn.answered = true;
      socket.setTimeout(this.timeouts.keepAliveMs);
    }
    const first = !conn.corked;
    if (first) {
      conn.corked = true;
      socket.cork();
    }
    socket.write(rawAnswer(status, traceId, err, head.keepAlive ? this.keepAliveSeconds : undefined, Date.now()));
    // After the write: when nothing is waiting to be durable, the flush is now.
    if (first) durability.afterDurable(flush, conn);
  }

  /** `sameRequest`: these bytes start with the request that was waiting already (its clock runs on). */
  private wait(conn: DeviceConnection, start: Buffer, needed: number, sameRequest: boolean, limitMs: number): void {
    // A copy: the chunk it came in may hold answered requests whose bytes need not be kept.
    conn.pending = [Buffer.from(start)];
    conn.pendingBytes = start.length;
    conn.needed = needed;
    if (!sameRequest) conn.since = Date.now();
    conn.deadline = conn.since + limitMs;
    this.waiting.add(conn);
    this.sweeper ??= setInterval(() => this.sweep(), Math.min(1_000, this.timeouts.headersMs / 2, this.timeouts.requestMs / 2)).unref();
  }

  /** Cuts the requests not in by their deadline. */
  private sweep(): void {
    const now = Date.now();
    for (const conn of this.waiting) {
      if (now < conn.deadline) continue;
      this.waiting.delete(conn);
      conn.pending = [];
      conn.pendingBytes = 0;
      conn.closing = true;
      this.refuseTimedOut(conn.socket);
    }
    if (this.waiting.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** node's server reads this connection from now on, starting with `rest`. */
  private handOff(conn: DeviceConnection, rest: Buffer): void {
    const socket = conn.socket;
    socket.removeListener('data', conn.onData);
    socket.removeListener('error', conn.onError);
    socket.removeListener('close', conn.onClose);
    socket.removeListener('timeout', conn.onTimeout);
    socket.removeListener('drain', conn.onDrain);
    socket.setTimeout(0);
    this.forget(conn);
    // The server's listeners first: an unshift onto a flowing socket with a data listener is read at once.
    this.fallback.emit('connection', socket);
    if (rest.length > 0) socket.unshift(rest);
  }

  closed(conn: DeviceConnection): void {
    this.forget(conn);
    countHttpsBytes(this.deps.gate.counters, conn.socket);
  }

  private forget(conn: DeviceConnection): void {
    conn.untrack();
    this.live.delete(conn);
    this.waiting.delete(conn);
  }

  /** Connections with a request still being read or an answer not yet flushed (shutdown waits for them). */
  inFlight(): number {
    let n = this.waiting.size;
    for (const conn of this.live) if (conn.corked && conn.pendingBytes === 0) n++;
    return n;
  }

  /** Closes the connections with nothing in flight (shutdown). */
  closeIdle(): void {
    for (const conn of this.live) if (!conn.corked && conn.pendingBytes === 0) conn.socket.destroy();
  }

  closeAll(): void {
    for (const conn of this.live) conn.socket.destroy();
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}
