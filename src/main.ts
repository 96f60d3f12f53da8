/**
 * @module main
 * Wiring only: builds the store, registry, CA, broker and listeners from one Config and hands back a
 * handle. `topicd start` (src/cli) and the tests call startTopicd; nothing else names a concrete backend.
 */
import { parsePlainAllow, type Config } from './config/config.js';
import { DATABASE_FILE, ROOT_CA_FILE, RUNTIME_FILE, type RuntimeInfo } from './config/data-files.js';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { join } from 'node:path';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import { PlainListenerAuthorizer, principalKey } from './auth/authorizer.js';
import { PolicyAuthorizer } from './auth/policy-authorizer.js';
import { Broker } from './broker/broker.js';
import { describeProfile, resolveProfile } from './broker/profile.js';
import { publishCertificateRegistered } from './broker/certificate-events.js';
import { LifecycleEvents } from './broker/lifecycle.js';
import { createControlPlane } from './control/server.js';
import { TopicdError } from './errors.js';
import { denialLogger } from './observe/denial-log.js';
import { createLogger } from './observe/logger.js';
import { CertificateAuthority } from './pki/certificate-authority.js';
import { AccessKeyRegistry, accountIdFor, ensureAdminCredentials } from './registry/access-keys.js';
import { CaRegistry } from './registry/ca-registry.js';
import { Registry } from './registry/registry.js';
import { SqliteStore } from './store/sqlite/sqlite-store.js';
import { ConnectionIndex } from './transports/connection-index.js';
import { createHttpsPublishServer, requestsInFlight } from './transports/https-publish.js';
import { serveMqtt } from './transports/mqtt-transport.js';
import { principalOf } from './transports/principal.js';
import { createDataListener, setTrustedCas, type DataProtocol, type ListenerKind } from './transports/tls-listeners.js';
import { createWebSocketGateway, createWebSocketOnlyServer } from './transports/websocket.js';

export interface ListenerPorts {
  https: number;
  mqtt: number;
  /** null when the ALPN port could not be bound (443 without privileges): a warning, not an error. */
  alpn: number | null;
  control: number;
  /** null unless --mqtt-plain-port was given. */
  mqttPlain: number | null;
  /** null unless --ws-port was given. */
  ws: number | null;
}

export { CREDENTIALS_FILE, ROOT_CA_FILE, RUNTIME_FILE, type RuntimeInfo } from './config/data-files.js';

export interface RunningTopicd {
  readonly config: Config;
  readonly accountId: string;
  readonly ports: ListenerPorts;
  readonly controlUrl: string;
  /** Absolute paths of DATA/root-CA.pem and DATA/credentials. */
  readonly caPath: string;
  readonly credentialsPath: string;
  /** Warnings met while starting (443 not bound, ...), one line each. */
  readonly warnings: readonly string[];
  /** The ready banner: each listener's URL, the CA path, and the next command to run. */
  banner(): string;
  /** Stops accepting, lets in-flight requests finish, flushes the store, closes everything. */
  close(): Promise<void>;
}

// ---- wiring ----

/** Listens, turning a bind failure into one line that names the port and its flag. */
function listen(server: NetServer, port: number, host: string | undefined, flag: string): Promise<number> {
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

export async function startTopicd(config: Config): Promise<RunningTopicd> {
  const log = createLogger(config.logLevel);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });

  const store = SqliteStore.open(join(config.dataDir, DATABASE_FILE));
  const opened: Array<() => Promise<void>> = [() => store.close()];
  const cleanup = async (): Promise<void> => {
    for (const close of opened.reverse()) await close().catch(() => undefined);
  };
  try {
    const accountId = await accountIdFor(store, config.accountId);
    const ca = await CertificateAuthority.loadOrCreate(config.dataDir);
    const server = await ca.ensureServerCertificate(config.endpoint);
    const credentials = await ensureAdminCredentials(store, config.dataDir);
    const registry = new Registry({ store, ca, accountId, region: config.region });
    await registry.init();

    const onError = (err: unknown, context: string): void => log.error({ err, context }, 'unexpected error');
    const caRegistry = new CaRegistry({ store, registry, onError: (err) => onError(err, 'ca-registry') });
    await caRegistry.init();
    const profile = resolveProfile(config.profile, config);
    const broker = new Broker(profile.broker, { retainedStore: store.retained, sessionStore: store.sessions, onStoreError: onError });
    await broker.loadRetained();
    await broker.loadSessions();
    await broker.loadWills();
    // The authorizer asks synchronously whether an access key exists. The store's list is read once;
    // the control plane's access-key registry reports every key it makes or deletes, and each
    // signature check (which reads the store) refreshes the answer for its key.
    const accessKeyIds = new Set((await store.accessKeys.list()).map((k) => k.accessKeyId));
    const accessKeyRegistry = new AccessKeyRegistry({ keys: store.accessKeys, arn: (id) => registry.accessKeyArn(id) });
    const lookupSecret = async (accessKeyId: string): Promise<string | undefined> => {
      const secret = (await store.accessKeys.get(accessKeyId))?.secretAccessKey;
      if (secret === undefined) accessKeyIds.delete(accessKeyId);
      else accessKeyIds.add(accessKeyId);
      return secret;
    };
    const authorizer = new PolicyAuthorizer({
      source: registry.authorization,
      region: config.region,
      accountId,
      certificateActive: (id) => registry.certificateStatus(id) === 'ACTIVE',
      accessKeyExists: (id) => accessKeyIds.has(id),
      accessKeyIsAdmin: (id) => id === credentials.accessKeyId,
      onDenied: denialLogger(log.child({ part: 'auth' })),
    });
    const connections = new ConnectionIndex();
    registry.onCertificateChange(({ certificateId, status }) => {
      if (status !== 'ACTIVE') connections.closeAll(certificateId, 'certificate-inactive');
    });
    // A deleted key stops at once: no new signature verifies, and its live WebSocket clients are cut.
    accessKeyRegistry.onChange(({ accessKeyId, deleted }) => {
      if (!deleted) {
        accessKeyIds.add(accessKeyId);
        return;
      }
      accessKeyIds.delete(accessKeyId);
      registry.policies.detachAllOf(registry.accessKeyArn(accessKeyId)).catch((err: unknown) => onError(err, 'detach policies of a deleted access key'));
      connections.closeAll(principalKey({ kind: 'access-key', accessKeyId, sourceIp: '' }), 'access-key-deleted');
    });
    // A policy, attachment or thing change applies to live connections within the turn.
    registry.authorization.onChange(() => connections.scheduleSweep());
    const httpsDeps = {
      broker, authorizer, connections, onError, durability: store,
      topicLimits: profile.limits.topics,
      maxPayloadBytes: profile.limits.maxPayloadBytes,
    };
    const https = createHttpsPublishServer(httpsDeps);
    const mqttDeps = { broker, authorizer, connections, onError, durability: store, limits: profile.limits, lifecycle: new LifecycleEvents(broker) };
    const webSocket = createWebSocketGateway({ mqtt: mqttDeps, lookupSecret, region: config.region, onError });
    // AWS serves MQTT over WSS on 443 (and not on 8443): the ALPN port's HTTP side is its own server
    // that also upgrades /mqtt. The --ws-port listener serves the upgrade alone.
    const httpsAlpn = createHttpsPublishServer(httpsDeps);
    httpsAlpn.on('upgrade', webSocket.upgrade);
    const webSocketOnly = createWebSocketOnlyServer(webSocket);
    const route = (kind: ListenerKind) => (socket: TLSSocket, protocol: DataProtocol): void => {
      if (protocol === 'https') {
        (kind === 'alpn' ? httpsAlpn : https).emit('connection', socket);
        return;
      }
      if (protocol === 'websocket') {
        webSocketOnly.emit('connection', socket);
        return;
      }
      const principal = principalOf(socket);
      if (principal) serveMqtt(socket, principal, mqttDeps);
      else socket.destroy();
    };
    // Client certificates verify against topicd's root and every ACTIVE registered CA (bring your own CA).
    const material = () => ({ cert: server.certPem, key: server.keyPem, ca: [ca.rootCertificatePem, ...caRegistry.activeCaPems()] });
    const tlsListeners: TlsServer[] = [];
    const makeListener = (kind: ListenerKind): TlsServer => {
      const listener = createDataListener(kind, material(), route(kind), caRegistry);
      tlsListeners.push(listener);
      return listener;
    };
    caRegistry.onTrustChange(() => {
      const next = material();
      for (const listener of tlsListeners) setTrustedCas(listener, next);
    });
    // AWS: just-in-time registration announces the new PENDING_ACTIVATION certificate.
    caRegistry.onCertificateRegistered((event) => publishCertificateRegistered(broker, event));

    const warnings: string[] = [];
    const httpsListener = makeListener('https');
    const mqttListener = makeListener('mqtt');
    const alpnListener = makeListener('alpn');
    const httpsPort = await listen(httpsListener, config.httpsPort, config.host, 'https-port');
    opened.push(() => closeServer(httpsListener));
    const mqttPort = await listen(mqttListener, config.mqttPort, config.host, 'mqtt-port');
    opened.push(() => closeServer(mqttListener));
    let plainListener: NetServer | undefined;
    let mqttPlainPort: number | null = null;
    if (config.mqttPlainPort !== undefined) {
      const plainDeps = { ...mqttDeps, authorizer: new PlainListenerAuthorizer(parsePlainAllow(config.mqttPlainAllow)!) };
      const listener = createNetServer({ noDelay: true }, (socket) => {
        serveMqtt(socket, { kind: 'anonymous', sourceIp: socket.remoteAddress ?? '' }, plainDeps);
      });
      mqttPlainPort = await listen(listener, config.mqttPlainPort, config.mqttPlainHost, 'mqtt-plain-port');
      plainListener = listener;
      opened.push(() => closeServer(listener));
    }
    let wsListener: NetServer | undefined;
    let wsPort: number | null = null;
    if (config.wsPort !== undefined) {
      const listener = makeListener('ws');
      wsPort = await listen(listener, config.wsPort, config.host, 'ws-port');
      wsListener = listener;
      opened.push(() => closeServer(listener));
    }
    let alpnPort: number | null = null;
    try {
      alpnPort = await listen(alpnListener, config.alpnPort, config.host, 'alpn-port');
      opened.push(() => closeServer(alpnListener));
    } catch (err) {
      // AWS clients mostly use 8443/8883; a missing 443 (no privileges) should not stop a laptop setup.
      warnings.push(`warning: ${(err as Error).message}; ALPN clients (x-amzn-http-ca, x-amzn-mqtt-ca, MQTT over WSS) cannot connect. To serve them: another port, \`--alpn-port 8444\`${(err as Error).message.includes('permission denied') ? ', or let node bind port 443: `sudo setcap cap_net_bind_service=+ep $(command -v node)`' : ''}`);
    }

    const control = await createControlPlane({
      registry, caRegistry, accessKeys: store.accessKeys, accessKeyRegistry, endpoint: config.endpoint, region: config.region, accountId,
      authorize: ({ accessKeyId, action, resource, sourceIp }) => authorizer.allowsControl(accessKeyId, action, resource, sourceIp),
      // fastify logs each listen at info; the banner already says it, so at the default level the
      // control plane speaks from warn up.
      logger: log.child({ part: 'control' }, { level: config.logLevel === 'info' ? 'warn' : config.logLevel }),
    });
    let controlPort: number;
    try {
      await control.listen({ port: config.controlPort, host: config.controlHost });
      const address = control.server.address();
      controlPort = typeof address === 'object' && address ? address.port : config.controlPort;
    } catch (err) {
      await control.close();
      const code = (err as NodeJS.ErrnoException).code;
      throw new TopicdError('InvalidRequestException',
        `cannot listen on port ${config.controlPort} (--control-port): ${code === 'EADDRINUSE' ? 'address already in use' : (err as Error).message}`, { cause: err });
    }
    opened.push(() => control.close());

    const controlHostForUrl = config.controlHost.includes(':') ? `[${config.controlHost}]` : config.controlHost;
    const controlUrl = `http://${controlHostForUrl}:${controlPort}`;
    const ports: ListenerPorts = { https: httpsPort, mqtt: mqttPort, alpn: alpnPort, control: controlPort, mqttPlain: mqttPlainPort, ws: wsPort };
    const caPath = join(config.dataDir, ROOT_CA_FILE);
    const runtimePath = join(config.dataDir, RUNTIME_FILE);
    const runtime: RuntimeInfo = {
      pid: process.pid, endpoint: config.endpoint, region: config.region, accountId, controlUrl,
      httpsPort, mqttPort, alpnPort, mqttPlainPort, wsPort,
    };
    writeFileSync(runtimePath, `${JSON.stringify(runtime, null, 2)}\n`, { mode: 0o600 });
    for (const w of warnings) log.warn(w);

    let closing: Promise<void> | undefined;
    return {
      config, accountId, ports, controlUrl, caPath, warnings,
      credentialsPath: credentials.path,
      banner: () => banner(config, describeProfile(profile), ports, controlUrl, caPath, credentials.path),
      close: () => (closing ??= (async () => {
        rmSync(runtimePath, { force: true });
        // Stop accepting first; then end idle keep-alive sockets and let in-flight requests finish.
        const stops = [httpsListener, mqttListener, alpnListener, plainListener, wsListener].map((s) => (s?.listening ? closeServer(s) : Promise.resolve()));
        const httpServers = [https, httpsAlpn, webSocketOnly];
        // HTTPS requests in flight finish (and their messages reach subscribers that are still
        // connected); keep-alive sockets are closed as they fall idle. Bounded, so a client that
        // never finishes its body cannot hold the shutdown.
        const deadline = Date.now() + 5_000;
        do {
          for (const s of httpServers) s.closeIdleConnections();
          if (requestsInFlight(https) + requestsInFlight(httpsAlpn) === 0) break;
          await new Promise((r) => setTimeout(r, 20));
        } while (Date.now() < deadline);
        // Then MQTT and WebSocket clients are told (v5: DISCONNECT 0x8B) and closed.
        connections.closeEverything('shutdown');
        await Promise.race([Promise.all(stops), new Promise((r) => setTimeout(r, 2_000).unref())]);
        for (const s of httpServers) s.closeAllConnections();
        await control.close();
        await store.close();
        log.flush();
      })()),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function banner(config: Config, profile: string, ports: ListenerPorts, controlUrl: string, caPath: string, credentialsPath: string): string {
  const host = config.endpoint;
  const lines = [
    'topicd is ready',
    `  Profile         ${profile}   (--profile)`,
    `  HTTPS publish   https://${host}:${ports.https}/topics/{topic}?qos=1   (mutual TLS)`,
    `  MQTT            mqtts://${host}:${ports.mqtt}   (mutual TLS)`,
    ports.alpn === null
      ? '  ALPN port       not listening (see the warning above)'
      : `  ALPN            ${host}:${ports.alpn}   (x-amzn-http-ca: HTTPS, x-amzn-mqtt-ca: MQTT)`,
    ...(ports.alpn === null ? [] : [
      `  MQTT over WSS   wss://${host}:${ports.alpn}/mqtt   (subprotocol mqtt; client certificate or SigV4-presigned URL)`]),
    ...(ports.ws === null ? [] : [
      `  MQTT over WSS   wss://${host}:${ports.ws}/mqtt   (--ws-port; client certificate or SigV4-presigned URL)`]),
    ...(ports.mqttPlain === null ? [] : [
      `  MQTT (plain)    mqtt://${config.mqttPlainHost}:${ports.mqttPlain}   (no TLS, anonymous; may: ${config.mqttPlainAllow}; for development only)`]),
    `  Control plane   ${controlUrl}   (AWS IoT API, SigV4; credentials: ${credentialsPath})`,
    `  Root CA         ${caPath}`,
    '',
    'Next: create a device and its certificate files:',
    `  npx topicd thing create my-device --out ./my-device${config.dataDir === process.cwd() + '/data' ? '' : ` --data-dir ${config.dataDir}`}`,
  ];
  return lines.join('\n');
}
