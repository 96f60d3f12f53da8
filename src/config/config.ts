/**
 * @module config
 * The one typed configuration. Each setting has a default, a key in the optional JSON config file,
 * an env var `TOPICD_<NAME>` and a flag `--<name>`; later sources win: defaults < file < env < flags.
 * This is the only module that reads the config file.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { TopicdError } from '../errors.js';

export interface Config {
  /** Where the database, the CA, the server certificate and the credentials live. */
  dataDir: string;
  /** The data host name devices connect to; the server certificate names it. */
  endpoint: string;
  /** Interface for the data-plane listeners; undefined means every interface. */
  host: string | undefined;
  httpsPort: number;
  mqttPort: number;
  alpnPort: number;
  controlPort: number;
  /** The control plane speaks plain HTTP, so it stays on loopback unless told otherwise. */
  controlHost: string;
  /** Plain-TCP MQTT listener for local development, tests and benchmarks; undefined means off. */
  mqttPlainPort: number | undefined;
  /** Its interface: loopback unless told otherwise, since its clients are anonymous. */
  mqttPlainHost: string;
  /** What its anonymous clients may do: `all`, `none`, or a comma list of `publish`, `subscribe`. */
  mqttPlainAllow: string;
  /**
   * A TLS port that serves MQTT over WebSocket only (`wss://host:port/mqtt`), on `host`; undefined means
   * off. The ALPN port serves the same for clients that offer `http/1.1` or no ALPN.
   */
  wsPort: number | undefined;
  /** 12 digits; undefined means the one created at the first start (kept in the data dir). */
  accountId: string | undefined;
  region: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `aws` (AWS IoT Core's behaviour and limits) or `mqtt` (the OASIS standards in full). */
  profile: 'aws' | 'mqtt';
  // Single switches and limits over the profile's (broker/profile.ts); undefined keeps the profile's.
  qos2: boolean | undefined;
  retainedToWildcards: boolean | undefined;
  hashMatchesParent: boolean | undefined;
  subscriptionIdentifiers: boolean | undefined;
  outboundTopicAliases: boolean | undefined;
  keepAliveClamp: boolean | undefined;
  reasonStrings: boolean | undefined;
  willOnWebSocketClose: boolean | undefined;
  maxClientIdBytes: number | undefined;
  keepAliveMin: number | undefined;
  keepAliveMax: number | undefined;
  maxFiltersPerSubscribe: number | undefined;
  maxSubscriptions: number | undefined;
  maxPayloadBytes: number | undefined;
  maxTopicBytes: number | undefined;
  maxTopicSlashes: number | undefined;
  maxInflight: number | undefined;
  topicAliasMaximum: number | undefined;
  defaultSessionExpiry: number | undefined;
  maxSessionExpiry: number | undefined;
  maxQueuedMessages: number | undefined;
  /** Rate quotas, 0 = off (the default in both profiles). */
  publishRate: number | undefined;
  subscribeRate: number | undefined;
  connectRate: number | undefined;
  /** Device Shadow requests per thing: in flight at once (AWS: 10) and per second (AWS: 20); 0 = no limit. */
  shadowInFlight: number;
  shadowRate: number;
  /** Seconds a QoS 1 publisher's acknowledgement waits for other nodes' durable copies (a cluster). */
  clusterAckTimeout: number;
  // Bounds on every socket (docs/security.md, limits and timeouts); seconds unless named otherwise.
  tlsHandshakeTimeout: number;
  httpHeadersTimeout: number;
  httpRequestTimeout: number;
  httpKeepAliveTimeout: number;
  /** Connections each data-plane listener holds at once; past it new ones are refused. */
  maxConnections: number;
  /** Connections each data-plane listener holds before they are authenticated (TLS handshake, or no certificate yet). */
  maxUnauthenticated: number;
  /** `postgres://USER@HOST:PORT/DB` (a cluster's shared store); undefined: SQLite in the data dir. */
  store: string | undefined;
  /** `nats://HOST:PORT` (the bus between a cluster's nodes); undefined: in-process, one node. */
  bus: string | undefined;
  /** This node's name in a cluster; undefined: derived from the host name and the ports. */
  nodeId: string | undefined;
}

interface Setting {
  key: keyof Config;
  /** Flag name, kebab-case; env var is TOPICD_ + upper snake of it. */
  flag: string;
  kind: 'string' | 'port' | 'optional-port' | 'optional-string' | 'int' | 'optional-int' | 'optional-bool';
  describe: string;
}

export const SETTINGS: readonly Setting[] = [
  { key: 'dataDir', flag: 'data-dir', kind: 'string', describe: 'data directory (database, CA, credentials)' },
  { key: 'endpoint', flag: 'endpoint', kind: 'string', describe: 'data endpoint host name devices connect to' },
  { key: 'host', flag: 'host', kind: 'optional-string', describe: 'interface the data-plane listeners bind (default: all)' },
  { key: 'httpsPort', flag: 'https-port', kind: 'port', describe: 'HTTPS publish port (mutual TLS)' },
  { key: 'mqttPort', flag: 'mqtt-port', kind: 'port', describe: 'MQTT over TLS port (mutual TLS)' },
  { key: 'alpnPort', flag: 'alpn-port', kind: 'port', describe: 'ALPN port: x-amzn-http-ca to HTTPS, x-amzn-mqtt-ca to MQTT' },
  { key: 'controlPort', flag: 'control-port', kind: 'port', describe: 'control-plane API port (AWS IoT REST, SigV4)' },
  { key: 'controlHost', flag: 'control-host', kind: 'string', describe: 'interface the control plane binds' },
  { key: 'mqttPlainPort', flag: 'mqtt-plain-port', kind: 'optional-port', describe: 'plain-TCP MQTT port for development (anonymous clients; off unless set)' },
  { key: 'mqttPlainHost', flag: 'mqtt-plain-host', kind: 'string', describe: 'interface of the plain-TCP MQTT listener' },
  { key: 'mqttPlainAllow', flag: 'mqtt-plain-allow', kind: 'string', describe: 'what plain-TCP clients may do: all, none, or publish,subscribe' },
  { key: 'wsPort', flag: 'ws-port', kind: 'optional-port', describe: 'MQTT over WebSocket port, wss://HOST:PORT/mqtt: client certificate or SigV4-presigned URL (off unless set)' },
  { key: 'accountId', flag: 'account-id', kind: 'optional-string', describe: 'AWS account id used in ARNs (12 digits)' },
  { key: 'region', flag: 'region', kind: 'string', describe: 'AWS region used in ARNs and SigV4' },
  { key: 'logLevel', flag: 'log-level', kind: 'string', describe: 'log level: fatal, error, warn, info, debug, trace, silent' },
  { key: 'profile', flag: 'profile', kind: 'string', describe: 'aws (AWS IoT Core behaviour and limits) or mqtt (the OASIS MQTT standards in full)' },
  { key: 'qos2', flag: 'qos2', kind: 'optional-bool', describe: 'QoS 2 both ways (profile aws: false, mqtt: true)' },
  { key: 'retainedToWildcards', flag: 'retained-to-wildcards', kind: 'optional-bool', describe: 'retained messages go to wildcard subscriptions too (aws: false, mqtt: true)' },
  { key: 'hashMatchesParent', flag: 'hash-matches-parent', kind: 'optional-bool', describe: 'a/# also matches a (aws: false, mqtt: true)' },
  { key: 'subscriptionIdentifiers', flag: 'subscription-identifiers', kind: 'optional-bool', describe: 'MQTT 5 subscription identifiers (aws: false, mqtt: true)' },
  { key: 'outboundTopicAliases', flag: 'outbound-topic-aliases', kind: 'optional-bool', describe: 'the server sets topic aliases on messages to v5 clients (aws: false, mqtt: true)' },
  { key: 'keepAliveClamp', flag: 'keep-alive-clamp', kind: 'optional-bool', describe: 'clamp keep-alive into keep-alive-min..keep-alive-max (aws: true, mqtt: false)' },
  { key: 'reasonStrings', flag: 'reason-strings', kind: 'optional-bool', describe: 'MQTT 5 reason strings on refusals and disconnects (aws: false, mqtt: true)' },
  { key: 'willOnWebSocketClose', flag: 'will-on-websocket-close', kind: 'optional-bool', describe: 'a client\'s WebSocket close without DISCONNECT sends its will (aws: false, mqtt: true)' },
  { key: 'maxClientIdBytes', flag: 'max-client-id-bytes', kind: 'optional-int', describe: 'longest client id in bytes (aws: 128, mqtt: 65535)' },
  { key: 'keepAliveMin', flag: 'keep-alive-min', kind: 'optional-int', describe: 'smallest keep-alive in seconds when clamped (aws: 30)' },
  { key: 'keepAliveMax', flag: 'keep-alive-max', kind: 'optional-int', describe: 'largest keep-alive in seconds when clamped (aws: 1200)' },
  { key: 'maxFiltersPerSubscribe', flag: 'max-filters-per-subscribe', kind: 'optional-int', describe: 'filters in one SUBSCRIBE (aws: 8, mqtt: no limit)' },
  { key: 'maxSubscriptions', flag: 'max-subscriptions', kind: 'optional-int', describe: 'subscriptions per connection (aws: 50, mqtt: no limit)' },
  { key: 'maxPayloadBytes', flag: 'max-payload-bytes', kind: 'optional-int', describe: 'largest PUBLISH payload in bytes (aws: 131072, mqtt: 1048576)' },
  { key: 'maxTopicBytes', flag: 'max-topic-bytes', kind: 'optional-int', describe: 'longest topic in bytes (aws: 256, mqtt: 65535)' },
  { key: 'maxTopicSlashes', flag: 'max-topic-slashes', kind: 'optional-int', describe: 'most slashes in a topic (aws: 7, mqtt: no limit)' },
  { key: 'maxInflight', flag: 'max-inflight', kind: 'optional-int', describe: 'unacknowledged QoS 1/2 messages each way, the Receive Maximum (both: 100)' },
  { key: 'topicAliasMaximum', flag: 'topic-alias-maximum', kind: 'optional-int', describe: 'topic aliases a v5 client may set (aws: 8, mqtt: 65535)' },
  { key: 'defaultSessionExpiry', flag: 'default-session-expiry', kind: 'optional-int', describe: 'expiry of a 3.1.1 persistent session in seconds (both: 3600)' },
  { key: 'maxSessionExpiry', flag: 'max-session-expiry', kind: 'optional-int', describe: 'longest session expiry granted in seconds (aws: 604800, mqtt: 4294967295)' },
  { key: 'maxQueuedMessages', flag: 'max-queued-messages', kind: 'optional-int', describe: 'messages queued per session behind its window; newer ones are dropped past it (both: 1000)' },
  { key: 'publishRate', flag: 'publish-rate', kind: 'optional-int', describe: 'inbound PUBLISH per second per connection, 0 = no quota (AWS: 100; default 0)' },
  { key: 'subscribeRate', flag: 'subscribe-rate', kind: 'optional-int', describe: 'SUBSCRIBE per second per connection, 0 = no quota (default 0)' },
  { key: 'connectRate', flag: 'connect-rate', kind: 'optional-int', describe: 'CONNECT per second per client id, 0 = no quota (AWS: 1; default 0)' },
  { key: 'shadowInFlight', flag: 'shadow-in-flight', kind: 'int', describe: 'Device Shadow requests of one thing worked on at once, more get 429; 0 = no limit (AWS: 10; default 10)' },
  { key: 'shadowRate', flag: 'shadow-rate', kind: 'int', describe: 'Device Shadow requests per second per thing, more get 429; 0 = no quota (AWS: 20; default 0)' },
  { key: 'tlsHandshakeTimeout', flag: 'tls-handshake-timeout', kind: 'int', describe: 'seconds a client has to finish the TLS handshake (default 10)' },
  { key: 'httpHeadersTimeout', flag: 'http-headers-timeout', kind: 'int', describe: 'seconds an HTTPS client has to send a request\'s headers (default 10)' },
  { key: 'httpRequestTimeout', flag: 'http-request-timeout', kind: 'int', describe: 'seconds an HTTPS client has to send a whole request, body included (default 30)' },
  { key: 'httpKeepAliveTimeout', flag: 'http-keep-alive-timeout', kind: 'int', describe: 'seconds an idle HTTPS keep-alive connection is kept open (default 60)' },
  { key: 'maxConnections', flag: 'max-connections', kind: 'int', describe: 'connections each data-plane listener holds at once (default 20000)' },
  { key: 'maxUnauthenticated', flag: 'max-unauthenticated', kind: 'int', describe: 'connections each data-plane listener holds before they are authenticated (default 1000)' },
  { key: 'store', flag: 'store', kind: 'optional-string', describe: 'postgres://USER@HOST:PORT/DB to share a store in a cluster (default: SQLite in the data dir)' },
  { key: 'clusterAckTimeout', flag: 'cluster-ack-timeout', kind: 'int', describe: 'seconds a QoS 1 acknowledgement waits for the other nodes\' durable copies before it is refused (default 5)' },
  { key: 'bus', flag: 'bus', kind: 'optional-string', describe: 'nats://HOST:PORT to join a cluster\'s nodes (default: in-process, one node)' },
  { key: 'nodeId', flag: 'node-id', kind: 'optional-string', describe: 'this node\'s name in a cluster (default: from the host name and ports)' },
];

export const DEFAULTS: Config = {
  dataDir: './data',
  endpoint: 'localhost',
  host: undefined,
  httpsPort: 8443,
  mqttPort: 8883,
  alpnPort: 443,
  controlPort: 9000,
  controlHost: '127.0.0.1',
  mqttPlainPort: undefined,
  mqttPlainHost: '127.0.0.1',
  mqttPlainAllow: 'all',
  wsPort: undefined,
  accountId: undefined,
  region: 'us-east-1',
  logLevel: 'info',
  profile: 'aws',
  qos2: undefined,
  retainedToWildcards: undefined,
  hashMatchesParent: undefined,
  subscriptionIdentifiers: undefined,
  outboundTopicAliases: undefined,
  keepAliveClamp: undefined,
  reasonStrings: undefined,
  willOnWebSocketClose: undefined,
  maxClientIdBytes: undefined,
  keepAliveMin: undefined,
  keepAliveMax: undefined,
  maxFiltersPerSubscribe: undefined,
  maxSubscriptions: undefined,
  maxPayloadBytes: undefined,
  maxTopicBytes: undefined,
  maxTopicSlashes: undefined,
  maxInflight: undefined,
  topicAliasMaximum: undefined,
  defaultSessionExpiry: undefined,
  maxSessionExpiry: undefined,
  maxQueuedMessages: undefined,
  publishRate: undefined,
  subscribeRate: undefined,
  connectRate: undefined,
  shadowInFlight: 10,
  shadowRate: 0,
  clusterAckTimeout: 5,
  tlsHandshakeTimeout: 10,
  httpHeadersTimeout: 10,
  httpRequestTimeout: 30,
  httpKeepAliveTimeout: 60,
  maxConnections: 20_000,
  maxUnauthenticated: 1_000,
  store: undefined,
  bus: undefined,
  nodeId: undefined,
};

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const envName = (flag: string): string => `TOPICD_${flag.replace(/-/g, '_').toUpperCase()}`;
const camel = (flag: string): string => flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

function coerce(setting: Setting, raw: unknown, source: string): unknown {
  const where = source === 'flag' ? `--${setting.flag}` : `${source} (${setting.flag})`;
  if (setting.kind === 'port' || setting.kind === 'optional-port') {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      throw new TopicdError('InvalidRequestException', `${where} must be a port number 0-65535, got ${JSON.stringify(raw)}`);
    }
    return n;
  }
  if (setting.kind === 'optional-int' || setting.kind === 'int') {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new TopicdError('InvalidRequestException', `${where} must be a whole number 0 or more, got ${JSON.stringify(raw)}`);
    }
    return n;
  }
  if (setting.kind === 'optional-bool') {
    if (raw === true || raw === 'true') return true;
    if (raw === false || raw === 'false') return false;
    throw new TopicdError('InvalidRequestException', `${where} must be true or false, got ${JSON.stringify(raw)}`);
  }
  if (typeof raw !== 'string' || raw === '') {
    throw new TopicdError('InvalidRequestException', `${where} must be a non-empty string, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

export interface ConfigSources {
  /** Values from command-line flags, keyed by Config key (commander gives camelCase). */
  flags?: Partial<Record<keyof Config, unknown>>;
  env?: NodeJS.ProcessEnv;
  /** Path of a JSON config file; also taken from --config / TOPICD_CONFIG by the caller. */
  configFile?: string | undefined;
}

/** Builds the config: defaults < file < env < flags. Throws TopicdError naming the bad setting. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const config: Record<string, unknown> = { ...DEFAULTS };
  const env = sources.env ?? process.env;
  const filePath = sources.configFile ?? env.TOPICD_CONFIG;

  if (filePath) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(filePath, 'utf8'));
    } catch (err) {
      throw new TopicdError('InvalidRequestException', `config file ${filePath}: ${(err as Error).message}`, { cause: err });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new TopicdError('InvalidRequestException', `config file ${filePath}: must hold a JSON object`);
    }
    const known = new Map<string, Setting>();
    for (const s of SETTINGS) {
      known.set(s.flag, s);
      known.set(camel(s.flag), s);
    }
    for (const [name, value] of Object.entries(parsed)) {
      const setting = known.get(name);
      if (!setting) throw new TopicdError('InvalidRequestException', `config file ${filePath}: unknown key "${name}"`);
      config[setting.key] = coerce(setting, value, `config file ${filePath}`);
    }
  }
  for (const s of SETTINGS) {
    const raw = env[envName(s.flag)];
    if (raw !== undefined && raw !== '') config[s.key] = coerce(s, raw, `env ${envName(s.flag)}`);
  }
  for (const s of SETTINGS) {
    const raw = sources.flags?.[s.key];
    if (raw !== undefined) config[s.key] = coerce(s, raw, 'flag');
  }

  const result = config as unknown as Config;
  if (!LOG_LEVELS.has(result.logLevel)) {
    throw new TopicdError('InvalidRequestException', `log-level must be one of ${[...LOG_LEVELS].join(', ')}, got "${result.logLevel}"`);
  }
  if (result.accountId !== undefined && !/^\d{12}$/.test(result.accountId)) {
    throw new TopicdError('InvalidRequestException', `account-id must be 12 digits, got "${result.accountId}"`);
  }
  if (parsePlainAllow(result.mqttPlainAllow) === null) {
    throw new TopicdError('InvalidRequestException', `mqtt-plain-allow must be all, none, or a comma list of publish and subscribe, got "${result.mqttPlainAllow}"`);
  }
  if (result.profile !== 'aws' && result.profile !== 'mqtt') {
    throw new TopicdError('InvalidRequestException', `profile must be aws or mqtt, got "${String(result.profile)}"`);
  }
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(result.region)) {
    throw new TopicdError('InvalidRequestException', `region must look like us-east-1, got "${result.region}"`);
  }
  for (const key of ['tlsHandshakeTimeout', 'httpHeadersTimeout', 'httpRequestTimeout', 'httpKeepAliveTimeout', 'maxConnections', 'maxUnauthenticated'] as const) {
    if (result[key] < 1) throw new TopicdError('InvalidRequestException', `${SETTINGS.find((s) => s.key === key)!.flag} must be 1 or more, got ${result[key]}`);
  }
  checkCluster(result);
  result.dataDir = resolve(result.dataDir);
  return result;
}

/** The cluster settings: a PostgreSQL URL, a NATS URL, a node name that fits in a NATS subject. */
function checkCluster(config: Config): void {
  if (config.store !== undefined && !/^postgres(ql)?:\/\/[^/\s]+\/[^\s]+$/.test(config.store)) {
    throw new TopicdError('InvalidRequestException', `store must be postgres://USER@HOST:PORT/DB, got "${config.store}"`);
  }
  if (config.bus !== undefined && !/^nats:\/\/[^\s/]+(,nats:\/\/[^\s/]+)*$/.test(config.bus)) {
    throw new TopicdError('InvalidRequestException', `bus must be nats://HOST:PORT, got "${config.bus}"`);
  }
  if (config.nodeId !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(config.nodeId)) {
    throw new TopicdError('InvalidRequestException', `node-id must be 1-64 letters, digits, _ or -, got "${config.nodeId}"`);
  }
}

/** The actions plain-TCP clients may take, from the mqtt-plain-allow setting; null when it is malformed. */
export function parsePlainAllow(value: string): { publish: boolean; subscribe: boolean } | null {
  if (value === 'all') return { publish: true, subscribe: true };
  if (value === 'none') return { publish: false, subscribe: false };
  const parts = value.split(',').map((p) => p.trim());
  if (parts.some((p) => p !== 'publish' && p !== 'subscribe')) return null;
  return { publish: parts.includes('publish'), subscribe: parts.includes('subscribe') };
}

export { envName };
