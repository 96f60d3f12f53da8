/**
 * @module transports/websocket
 * MQTT over WebSocket (reference §3 and §9; MQTT 3.1.1 and 5, section 6): the HTTP upgrade of
 * `GET /mqtt` with subprotocol `mqtt`, who the client is, and a stream over the WebSocket that
 * serveMqtt runs on as on any socket, so TCP, TLS and WebSocket share one MQTT code path. It owns the
 * upgrade only: which listener hands it requests is main's wiring, what a principal may do is the
 * authorizer's.
 *
 * Who the client is: the client certificate when the TLS handshake verified one (as for MQTT over
 * TLS); otherwise a SigV4-presigned URL signed with one of topicd's access keys (AWS's way for WSS, no
 * certificate needed). A request with neither, or with a signature that does not verify, is answered
 * HTTP 403 before the upgrade, so a refused client never gets to speak MQTT.
 */
import { peerAddress } from './address.js';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { AccessKeyPrincipal, Principal } from '../auth/authorizer.js';
import { SigV4Error, verifyPresignedUrl } from '../auth/sigv4.js';
import { serveMqtt, type MqttTransportDeps, type PeerClosable } from './mqtt-transport.js';
import { principalOf } from './principal.js';
import { markAuthenticated } from './tls-listeners.js';

export const MQTT_PATH = '/mqtt';
/** [MQTT-6.0.0-3] clients offer it; [MQTT-6.0.0-4] the server answers with exactly this name. */
export const MQTT_SUBPROTOCOL = 'mqtt';
/**
 * Signing names a presigned URL may use: AWS documents `iotdevicegateway` for WSS; `iotdata` is the
 * SDK models' name for the same data plane (reference §9), and some signers take it from there.
 */
export const WEBSOCKET_SIGNING_NAMES: readonly string[] = ['iotdevicegateway', 'iotdata'];
/**
 * A WebSocket message may hold several MQTT packets (MQTT.js in a browser batches writes up to
 * 512 KB), so the bound is on memory per message, well above one packet; serveMqtt still refuses any
 * single packet over the packet limit.
 */
const MIN_MESSAGE_BYTES = 1024 * 1024;
/** How long a refused upgrade waits for the client to close before the socket is cut. */
const REFUSAL_LINGER_MS = 5_000;

export interface WebSocketGatewayDeps {
  mqtt: MqttTransportDeps;
  /** The secret of one of topicd's access keys; undefined when there is no such key. */
  lookupSecret: (accessKeyId: string) => Promise<string | undefined>;
  /** The region a presigned URL's credential scope must name. */
  region: string;
  /** Clock for the signature's date checks, epoch milliseconds. */
  now?: () => number;
  onError?: (err: unknown, context: string) => void;
}

export interface WebSocketGateway {
  /** Takes over an HTTP upgrade request: listen with it to an http.Server's `upgrade` event. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * Takes over an upgrade whose caller another door has already identified (the console's signed-in
   * access key): whatever its path, and without a certificate or signature; MQTT is then served as on
   * `upgrade`, under that principal.
   */
  upgradeAs(req: IncomingMessage, socket: Duplex, head: Buffer, principal: Principal): void;
}

type RefusalType = 'InvalidRequestException' | 'ForbiddenException' | 'ResourceNotFoundException' | 'InternalFailureException';

const REASONS: Record<number, string> = {
  400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 426: 'Upgrade Required', 500: 'Internal Server Error',
};

/** Answers an HTTP request on a raw socket with an AWS-shaped error, then closes it. */
function refuse(socket: Duplex, status: number, type: RefusalType, message: string, extraHeaders = ''): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const traceId = randomUUID();
  const body = `{"message":${JSON.stringify(message)},"traceId":"${traceId}"}`;
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? ''}\r\ncontent-type: application/json\r\nx-amzn-ErrorType: ${type}\r\n`
    + `x-amzn-RequestId: ${traceId}\r\n${extraHeaders}content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  // Ending lets the client read the answer; a client that never closes its side is cut.
  setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** Whether the comma-separated Sec-WebSocket-Protocol offer names `mqtt`. */
function offersMqtt(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(',').some((p) => p.trim() === MQTT_SUBPROTOCOL);
}

export function createWebSocketGateway(deps: WebSocketGatewayDeps): WebSocketGateway {
  const wss = new WebSocketServer({
    noServer: true,
    // Live connections are tracked (and closed on shutdown or revocation) by the ConnectionIndex.
    clientTracking: false,
    // Publishes are encoded once and shared among subscribers; compressing per client would undo that.
    perMessageDeflate: false,
    maxPayload: Math.max(MIN_MESSAGE_BYTES, 4 * deps.mqtt.limits.maxPacketBytes),
    // The upgrade is refused before this is asked unless the client offered `mqtt`.
    handleProtocols: () => MQTT_SUBPROTOCOL,
  });
  const signature = {
    lookupSecret: deps.lookupSecret,
    region: deps.region,
    services: WEBSOCKET_SIGNING_NAMES,
    ...(deps.now ? { now: deps.now } : {}),
  };

  const authenticate = async (req: IncomingMessage, socket: Duplex): Promise<Principal> => {
    const certificate = principalOf(socket as TLSSocket);
    if (certificate) return certificate;
    const identity = await verifyPresignedUrl({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers }, signature);
    const principal: AccessKeyPrincipal = { kind: 'access-key', accessKeyId: identity.accessKeyId, sourceIp: peerAddress(socket as Socket) };
    return principal;
  };

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // node's HTTP server leaves an upgraded socket without an error listener.
    socket.on('error', () => socket.destroy());
    const path = pathOf(req.url ?? '/');
    if (path !== MQTT_PATH) return refuse(socket, 404, 'ResourceNotFoundException', `No route for ${path}; MQTT over WebSocket is at ${MQTT_PATH}`);
    if (!offersMqtt(req.headers['sec-websocket-protocol'])) {
      return refuse(socket, 400, 'InvalidRequestException', `MQTT over WebSocket needs the subprotocol "${MQTT_SUBPROTOCOL}" (Sec-WebSocket-Protocol)`);
    }
    authenticate(req, socket).then((principal) => serve(req, socket, head, principal), (err: unknown) => {
      if (err instanceof SigV4Error) return refuse(socket, 403, 'ForbiddenException', err.message);
      deps.onError?.(err, 'websocket upgrade');
      refuse(socket, 500, 'InternalFailureException', 'Internal failure');
    });
  };

  const serve = (req: IncomingMessage, socket: Duplex, head: Buffer, principal: Principal): void => {
    if (socket.destroyed) return;
    // The client is now known: it no longer counts against the listener's unauthenticated bound.
    markAuthenticated(socket);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stream = new WebSocketStream(ws, peerAddress(socket as Socket));
      // serveMqtt is typed for a net.Socket; the stream has every member it and SocketLink use
      // (data/error/close events, pause, write, cork/uncork, end, destroy, destroyed,
      // writableLength, remoteAddress).
      serveMqtt(stream as unknown as Socket, principal, deps.mqtt, 'websocket');
    });
  };

  const upgradeAs = (req: IncomingMessage, socket: Duplex, head: Buffer, principal: Principal): void => {
    socket.on('error', () => socket.destroy());
    if (!offersMqtt(req.headers['sec-websocket-protocol'])) {
      return refuse(socket, 400, 'InvalidRequestException', `MQTT over WebSocket needs the subprotocol "${MQTT_SUBPROTOCOL}" (Sec-WebSocket-Protocol)`);
    }
    serve(req, socket, head, principal);
  };

  return { upgrade, upgradeAs };
}

/**
 * An HTTP server that serves only the WebSocket upgrade (the --ws-port listener hands it its TLS
 * sockets); a plain request is told where MQTT is.
 */
export function createWebSocketOnlyServer(gateway: WebSocketGateway): Server {
  const server = createServer({ requireHostHeader: false }, (req, res) => {
    const path = pathOf(req.url ?? '/');
    const [status, type, message] = path === MQTT_PATH
      ? [426, 'InvalidRequestException', 'This port serves MQTT over WebSocket only: send a WebSocket upgrade with subprotocol mqtt'] as const
      : [404, 'ResourceNotFoundException', `No route for ${path}; MQTT over WebSocket is at ${MQTT_PATH}`] as const;
    const traceId = randomUUID();
    const body = `{"message":${JSON.stringify(message)},"traceId":"${traceId}"}`;
    res.writeHead(status, {
      'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
      'x-amzn-ErrorType': type, 'x-amzn-RequestId': traceId,
      ...(status === 426 ? { upgrade: 'websocket', connection: 'Upgrade' } : {}),
    });
    res.end(body);
  });
  server.on('upgrade', gateway.upgrade);
  server.on('clientError', (_err, socket) => socket.destroy());
  return server;
}

/**
 * A WebSocket as the byte stream MQTT runs on. Each binary message is the next bytes of the MQTT
 * stream wherever packets begin and end [MQTT-6.0.0-2]; the writes SocketLink corks in one tick leave
 * as one binary message, and writes made while one is being sent leave together after it.
 * ws's own createWebSocketStream does not fit: it never emits `close` when only the peer closes, and
 * it passes text frames on as bytes.
 */
class WebSocketStream extends Duplex implements PeerClosable {
  private closing = false;
  /** The client sent a close frame (1006 is ws's code for a connection that dropped without one). */
  closedByPeer = false;

  constructor(private readonly ws: WebSocket, readonly remoteAddress: string) {
    super();
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (this.closing) return;
      if (!isBinary) {
        // [MQTT-6.0.0-1] a packet in a text frame closes the connection.
        this.closing = true;
        ws.close(1003, 'MQTT is carried in binary frames');
        return;
      }
      // binaryType is ws's default, nodebuffer: a message is one Buffer, however it was fragmented.
      if (!this.push(data as Buffer)) ws.pause();
    });
    // ws closes itself after an error (a protocol violation, a message over maxPayload).
    ws.on('error', () => undefined);
    ws.on('close', (code: number) => {
      if (!this.closing && code !== 1006) this.closedByPeer = true;
      this.destroy();
    });
  }

  override _read(): void {
    if (this.ws.isPaused) this.ws.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.ws.send(chunk, { binary: true }, callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (err?: Error | null) => void): void {
    const data = chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk));
    this.ws.send(data, { binary: true }, callback);
  }

  /** The MQTT side is done: a normal close handshake, after what was written has been sent. */
  override _final(callback: (err?: Error | null) => void): void {
    this.closing = true;
    this.ws.close(1000);
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.closing = true;
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
    callback(err);
  }
}
