/**
 * @module main
 * Composition only: builds the store, the registries, the broker core, the authorizer, the data-plane
 * listeners and the control plane from one Config, and hands back a handle. `topicd start` (src/cli)
 * and the tests call startTopicd; nothing else names a concrete backend.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { iotArnPrefix } from './auth/policy/index.js';
import { nodeIdOf, openBus, openStore } from './backends.js';
import { banner } from './banner.js';
import { publishCertificateRegistered } from './broker/certificate-events.js';
import { SYSTEM_CLOCK } from './broker/clock.js';
import { startBrokerCore } from './broker/core.js';
import { describeProfile, resolveProfile } from './broker/profile.js';
import { parsePlainAllow, type Config } from './config/config.js';
import { ROOT_CA_FILE, writeRuntime } from './config/data-files.js';
import { listenControlPlane } from './control/listen.js';
import { createBrokerConsoleData } from './console/broker-console-data.js';
import { createControlPlane } from './control/server.js';
import { denialLogger } from './observe/denial-log.js';
import { rateLimitedErrorLog } from './observe/error-log.js';
import { createLogger } from './observe/logger.js';
import { observeNode } from './observe/node-observer.js';
import { CertificateAuthority } from './pki/certificate-authority.js';
import { syncRegistries } from './registry/cluster-sync.js';
import { openRegistries } from './registry/registries.js';
import { attachShadowService } from './services/shadow/index.js';
import type { ListenerPorts, RunningTopicd } from './running.js';
import { startDataPlane } from './transports/data-plane.js';
import { watchRevocations } from './transports/revocations.js';

export { CREDENTIALS_FILE, ROOT_CA_FILE, RUNTIME_FILE, type RuntimeInfo } from './config/data-files.js';

export type { ListenerPorts, RunningTopicd } from './running.js';

export async function startTopicd(config: Config): Promise<RunningTopicd> {
  const log = createLogger(config.logLevel);
  // Errors met on behalf of clients: rate-limited per kind, so no client can flood the log.
  const onError = rateLimitedErrorLog(log);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const nodeId = nodeIdOf(config);
  const store = await openStore(config, nodeId, onError);
  const closers: Array<() => Promise<void>> = [() => store.close()];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) await close().catch((err: unknown) => onError(err, 'shutdown'));
  };
  try {
    const bus = await openBus(config, nodeId, log, onError);
    closers.push(() => bus.close());
    const ca = await CertificateAuthority.loadOrCreate(config.dataDir);
    const server = await ca.ensureServerCertificate(config.endpoint);
    const regs = await openRegistries({ store, ca, dataDir: config.dataDir, region: config.region, accountId: config.accountId, onError });
    const { registry, caRegistry, keys, credentials, accountId } = regs;
    // A cluster: a registry write through any node reaches every node's live connections.
    const registrySync = syncRegistries(regs, bus, onError);
    const profile = resolveProfile(config.profile, config);
    const core = await startBrokerCore(profile, { store, clock: SYSTEM_CLOCK, onStoreError: onError, bus, durability: store, leases: store.leases,
      ackTimeoutMs: Math.max(1, config.clusterAckTimeout) * 1000,
    });
    closers.push(async () => core.close());
    // Metrics, readiness, the connection log: observe/node-observer.ts.
    const observer = observeNode({ broker: core.broker, lifecycle: core.lifecycle, store, log, bus });
    // A 403 is counted, and explained in the log (at most once a minute per principal, action and resource).
    const authorizer = regs.authorizer(observer.denials(denialLogger(log.child({ part: 'auth' }))));
    const connections = watchRevocations(registry, regs.accessKeys);
    // AWS: the Device Shadow service answers on `$aws/things/{thing}/shadow/...` (MQTT) and over iot-data REST.
    const shadows = attachShadowService(core.gate, {
      shadows: store.shadows, now: () => core.clock.now(), limits: { maxInFlightPerThing: config.shadowInFlight, requestsPerSecondPerThing: config.shadowRate },
    }, onError);

    // A cluster: an acknowledgement waits for the other nodes' durable copies too (broker/cluster-acks.ts).
    const door = { gate: core.gate, authorizer, connections, durability: core.broker.acks ?? store, onError };
    const dataPlane = await startDataPlane({ ...config, mqttPlainAllow: parsePlainAllow(config.mqttPlainAllow)! }, {
      mqtt: { ...door, broker: core.broker, wills: core.wills, limits: profile.limits, clock: core.clock, lifecycle: core.lifecycle },
      // The iot-data REST API: HTTPS publish, shadows and retained messages, for certificates and SigV4 callers.
      https: { ...door, shadows, retained: core.broker.retained, lookupSecret: keys.lookupSecret, region: config.region, arnPrefix: iotArnPrefix(config.region, accountId) },
      // Client certificates verify against topicd's root and every ACTIVE registered CA (bring your own CA).
      material: () => ({ cert: server.certPem, key: server.keyPem, ca: [ca.rootCertificatePem, ...caRegistry.activeCaPems()] }),
      trust: caRegistry,
      lookupSecret: keys.lookupSecret,
    });
    closers.push(() => dataPlane.close());
    observer.readiness.register('listeners', () => dataPlane.listening() || 'a data-plane listener is not bound');
    caRegistry.onTrustChange(() => dataPlane.retrust());
    // AWS: just-in-time registration announces the new PENDING_ACTIVATION certificate (and a cluster's other nodes reload).
    caRegistry.onCertificateRegistered((event) => { publishCertificateRegistered(core.gate, event); registrySync.changed('JustInTimeRegistration'); });

    const control = await createControlPlane({
      registry, caRegistry, accessKeys: store.accessKeys, accessKeyRegistry: regs.accessKeys, endpoint: config.endpoint, region: config.region, accountId,
      onWrite: (operation) => registrySync.changed(operation),
      authorize: ({ accessKeyId, action, resource, sourceIp }) => authorizer.allowsControl(accessKeyId, action, resource, sourceIp),
      // The web console: the same operations with a session cookie; its MQTT test client is an ordinary MQTT-over-WebSocket client.
      console: {
        data: createBrokerConsoleData({ broker: core.broker, gate: core.gate, counters: observer.totals }),
        rootCaPem: ca.rootCertificatePem, shadows,
        mqttUpgrade: (req, socket, head, principal) => dataPlane.webSocket.upgradeAs(req, socket, head, principal),
      },
      // fastify logs each listen at info; the banner already says it, so at the default level it speaks from warn up.
      logger: log.child({ part: 'control' }, { level: config.logLevel === 'info' ? 'warn' : config.logLevel }),
      routes: observer.routes,
    });
    const { port: controlPort, url: controlUrl } = await listenControlPlane(control, config.controlPort, config.controlHost);
    closers.push(() => control.close());

    const ports: ListenerPorts = { ...dataPlane.ports, control: controlPort };
    const caPath = join(config.dataDir, ROOT_CA_FILE);
    closers.push(writeRuntime(config.dataDir, { pid: process.pid, endpoint: config.endpoint, region: config.region, accountId, controlUrl,
      httpsPort: ports.https, mqttPort: ports.mqtt, alpnPort: ports.alpn, mqttPlainPort: ports.mqttPlain, wsPort: ports.ws }));
    for (const w of dataPlane.warnings) log.warn(w);

    let closing: Promise<void> | undefined;
    return {
      config, accountId, ports, controlUrl, caPath, warnings: dataPlane.warnings, credentialsPath: credentials.path, cluster: bus, readiness: observer.readiness,
      banner: () => banner(config, describeProfile(profile), ports, controlUrl, caPath, credentials.path),
      close: () => (closing ??= closeAll().then(() => log.flush())),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
