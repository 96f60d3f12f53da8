/**
 * @module transports/data-plane
 * The data-plane listeners and what each socket becomes: the iot-data API (HTTPS) on 8443, MQTT on 8883, the
 * ALPN port (443: `x-amzn-http-ca` to HTTPS, `x-amzn-mqtt-ca` to MQTT, plain HTTP to HTTPS and to
 * MQTT over WebSocket at /mqtt), the optional WebSocket-only port and the plain-TCP development
 * listener. It binds them, swaps their trusted CAs when the registry's change, bounds every socket in
 * time and number, and shuts them down in order. What a client may do is the authorizer's; what a
 * message is, the publish gate's.
 */
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import { PlainListenerAuthorizer } from '../auth/authorizer.js';
import { TopicdError } from '../errors.js';
import { peerAddress } from './address.js';
import { createIotDataServer, type IotDataDeps, type IotDataServer } from './iot-data/server.js';
import { serveMqtt, type MqttTransportDeps } from './mqtt-transport.js';
import { principalOf } from './principal.js';
import {
  createDataListener, setTrustedCas, type CertificateTrust, type DataProtocol, type ListenerBounds, type ListenerKind, type TlsMaterial,
} from './tls-listeners.js';
import { createWebSocketGateway, createWebSocketOnlyServer, type WebSocketGateway } from './websocket.js';

export interface DataPlaneSettings {
  host: string | undefined;
  httpsPort: number;
  mqttPort: number;
  alpnPort: number;
  mqttPlainPort: number | undefined;
  mqttPlainHost: string;
  mqttPlainAllow: { publish: boolean; subscribe: boolean };
  wsPort: number | undefined;
  region: string;
  /** Seconds (config.ts). */
  tlsHandshakeTimeout: number;
  httpHeadersTimeout: number;
  httpRequestTimeout: number;
  httpKeepAliveTimeout: number;
  maxConnections: number;
  maxUnauthenticated: number;
}

export interface DataPlaneDeps {
  mqtt: MqttTransportDeps;
  /** The iot-data API (HTTPS publish, shadows, retained messages). */
  https: IotDataDeps;
  /** The server certificate and the CAs client certificates must chain to, as they are now. */
  material(): TlsMaterial;
  trust: CertificateTrust;
  /** The secret of one of topicd's access keys (SigV4-presigned WebSocket URLs). */
  lookupSecret(accessKeyId: string): Promise<string | undefined>;
}

export interface DataPlanePorts {
  https: number;
  mqtt: number;
  /** null when the ALPN port could not be bound (443 without privileges): a warning, not an error. */
  alpn: number | null;
  mqttPlain: number | null;
  ws: number | null;
}

export interface DataPlane {
  readonly ports: DataPlanePorts;
  readonly warnings: readonly string[];
  /** MQTT over WebSocket, for other listeners that upgrade to it (the console's test client). */
  readonly webSocket: WebSocketGateway;
  /** The trusted CAs changed: connections made from now on are verified against the new set. */
  retrust(): void;
  /** Whether every listener is bound and accepting (readiness). */
  listening(): boolean;
  /**
   * Stops accepting, lets HTTPS requests in flight finish (bounded), tells MQTT clients (v5:
   * DISCONNECT 0x8B) and closes every socket.
   */
  close(): Promise<void>;
}

/** Listens, turning a bind failure into one line that names the port and its flag. */
export function listen(server: NetServer, port: number, host: string | undefined, flag: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const why = err.code === 'EADDRINUSE' ? 'address already in use'
        : err.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)'
          : err.message;
      reject(new TopicdError('InvalidRequestException', `cannot listen on port ${port} (--${flag}): ${why}`, { cause: err }));
    };
    server.once('error', onError);
    server.listen({ port, host }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function closeServer(server: NetServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Bounds an HTTP server's sockets in time. These servers are handed sockets and never listen, and node
 * only starts checking its header and request deadlines when a server listens: the `listening` event
 * starts that check here (each second), so a client that trickles its headers or body is cut with 408.
 */
function boundInTime(server: HttpServer, s: DataPlaneSettings): void {
  server.headersTimeout = s.httpHeadersTimeout * 1000;
  server.requestTimeout = s.httpRequestTimeout * 1000;
  server.keepAliveTimeout = s.httpKeepAliveTimeout * 1000;
  // A socket idle before its first request (no byte at all) is cut at the headers deadline too.
  server.timeout = s.httpHeadersTimeout * 1000;
  // node checks the deadlines every 30 s by default; read when the check starts.
  (server as HttpServer & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(1_000, server.headersTimeout / 2);
  server.emit('listening');
}

export async function startDataPlane(settings: DataPlaneSettings, deps: DataPlaneDeps): Promise<DataPlane> {
  const httpServer = (): IotDataServer => {
    const server = createIotDataServer(deps.https, {
      headersMs: settings.httpHeadersTimeout * 1000,
      requestMs: settings.httpRequestTimeout * 1000,
      keepAliveMs: settings.httpKeepAliveTimeout * 1000,
    });
    boundInTime(server.http, settings);
    return server;
  };
  const https = httpServer();
  const webSocket = createWebSocketGateway({ mqtt: deps.mqtt, lookupSecret: deps.lookupSecret, region: settings.region, onError: deps.mqtt.onError });
  // AWS serves MQTT over WSS on 443 (and not on 8443): the ALPN port's HTTP side is its own server
  // that also upgrades /mqtt. The --ws-port listener serves the upgrade alone.
  const httpsAlpn = httpServer();
  httpsAlpn.http.on('upgrade', webSocket.upgrade);
  const webSocketOnly = createWebSocketOnlyServer(webSocket);
  boundInTime(webSocketOnly, settings);
  const httpServers = [https, httpsAlpn];

  const route = (kind: ListenerKind) => (socket: TLSSocket, protocol: DataProtocol): void => {
    if (protocol === 'https') return void (kind === 'alpn' ? httpsAlpn : https).accept(socket);
    if (protocol === 'websocket') return void webSocketOnly.emit('connection', socket);
    const principal = principalOf(socket);
    if (principal) serveMqtt(socket, principal, deps.mqtt);
    else socket.destroy();
  };
  const bounds: ListenerBounds = {
    handshakeTimeoutMs: settings.tlsHandshakeTimeout * 1000,
    maxConnections: settings.maxConnections,
    maxUnauthenticated: settings.maxUnauthenticated,
  };
  const tlsListeners: TlsServer[] = [];
  const makeListener = (kind: ListenerKind): TlsServer => {
    const listener = createDataListener(kind, deps.material(), route(kind), bounds, deps.trust, deps.mqtt.broker.counters);
    tlsListeners.push(listener);
    return listener;
  };

  const bound: NetServer[] = [];
  const closeBound = (): Promise<unknown> => Promise.all(bound.map((s) => (s.listening ? closeServer(s) : Promise.resolve())));
  try {
    const warnings: string[] = [];
    const listenOn = async (server: NetServer, port: number, host: string | undefined, flag: string): Promise<number> => {
      const at = await listen(server, port, host, flag);
      bound.push(server);
      return at;
    };
    const httpsPort = await listenOn(makeListener('https'), settings.httpsPort, settings.host, 'https-port');
    const mqttPort = await listenOn(makeListener('mqtt'), settings.mqttPort, settings.host, 'mqtt-port');
    let mqttPlain: number | null = null;
    if (settings.mqttPlainPort !== undefined) {
      const plainDeps = { ...deps.mqtt, authorizer: new PlainListenerAuthorizer(settings.mqttPlainAllow) };
      const plain = createNetServer({ noDelay: true }, (socket) => serveMqtt(socket, { kind: 'anonymous', sourceIp: peerAddress(socket) }, plainDeps));
      plain.maxConnections = settings.maxConnections;
      mqttPlain = await listenOn(plain, settings.mqttPlainPort, settings.mqttPlainHost, 'mqtt-plain-port');
    }
    const ws = settings.wsPort === undefined ? null : await listenOn(makeListener('ws'), settings.wsPort, settings.host, 'ws-port');
    let alpn: number | null = null;
    try {
      alpn = await listenOn(makeListener('alpn'), settings.alpnPort, settings.host, 'alpn-port');
    } catch (err) {
      // AWS clients mostly use 8443/8883; a missing 443 (no privileges) should not stop a laptop setup.
      const why = (err as Error).message;
      warnings.push(`warning: ${why}; ALPN clients (x-amzn-http-ca, x-amzn-mqtt-ca, MQTT over WSS) cannot connect. To serve them: another port, \`--alpn-port 8444\``
        + (why.includes('permission denied') ? ', or let node bind port 443: `sudo setcap cap_net_bind_service=+ep $(command -v node)`' : ''));
    }

    let closing: Promise<void> | undefined;
    return {
      ports: { https: httpsPort, mqtt: mqttPort, alpn, mqttPlain, ws },
      warnings,
      webSocket,
      retrust: () => {
        const next = deps.material();
        for (const listener of tlsListeners) setTrustedCas(listener, next);
      },
      listening: () => bound.every((s) => s.listening),
      close: () => (closing ??= (async () => {
        // Stop accepting first; then end idle keep-alive sockets and let requests in flight finish
        // (their messages reach subscribers still connected). Bounded, so a client that never
        // finishes its body cannot hold the shutdown.
        const stops = closeBound();
        const deadline = Date.now() + 5_000;
        do {
          for (const s of httpServers) s.closeIdleConnections();
          webSocketOnly.closeIdleConnections();
          if (https.inFlight() + httpsAlpn.inFlight() === 0) break;
          await new Promise((r) => setTimeout(r, 20));
        } while (Date.now() < deadline);
        // Then MQTT and WebSocket clients are told (v5: DISCONNECT 0x8B) and closed.
        deps.mqtt.connections.closeEverything('shutdown');
        // Ref'd on purpose (the shutdown itself keeps the process alive until it is done), and cleared after.
        let deadlineTimer: NodeJS.Timeout | undefined;
        await Promise.race([stops, new Promise((r) => { deadlineTimer = setTimeout(r, 2_000); })]);
        clearTimeout(deadlineTimer);
        for (const s of httpServers) s.closeAllConnections();
        webSocketOnly.closeAllConnections();
        // Stops node's deadline checks (boundInTime); the servers never listened.
        for (const s of [https.http, httpsAlpn.http, webSocketOnly]) s.close(() => undefined);
      })()),
    };
  } catch (err) {
    await closeBound();
    throw err;
  }
}
