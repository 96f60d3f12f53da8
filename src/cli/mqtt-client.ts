/**
 * @module cli/mqtt-client
 * What `topicd sub` and `topicd pub` do: a terminal MQTT test client (like the AWS console's) that
 * connects with MQTT.js over mutual TLS using the files `topicd thing create` wrote. Loaded only when
 * one of them runs (cli/mqtt-commands defines them).
 *
 * It needs no data dir: the certificate folder holds the CA, and the server is --endpoint, else the
 * running topicd's (DATA/runtime.json, ./data found up the tree too), else localhost:8883; so it works
 * from inside the folder (`cd my-device && topicd pub ... --certs .`) and on another machine. Every way a message can fail to be accepted ends in
 * one line on stderr and exit 1: a refusal at connect (TLS or CONNACK), by PUBACK reason code (v5), or
 * by the server closing the connection (how a 3.1.1 client is refused), each named.
 */
import { isUtf8 } from 'node:buffer';
import { X509Certificate, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { IClientOptions, IPublishPacket, MqttClient, Packet } from 'mqtt';
import { RC } from '../protocol/reason-codes.js';
import { MQTT_TOPIC_LIMITS, validateTopicName } from '../protocol/topics.js';
import { THING_NAME } from '../registry/validation.js';
import { DATA_FILES, noRunningTopicd, readRuntime, resolveDataDir, type GlobalOptions } from './context.js';
import { DEVICE_CA_FILE, DEVICE_CERT_FILE, DEVICE_KEY_FILE } from './device-setup.js';
import { CliError } from './errors.js';
import { DEFAULT_ENDPOINT, DEFAULT_MQTT_PORT, type ConnectOptions, type PubOptions, type SubOptions } from './mqtt-options.js';
import { stderrLine } from './output.js';

const CONNECT_TIMEOUT_MS = 10_000;
/** node's codes for a server certificate that does not verify against the CA we were given. */
const SERVER_NOT_TRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const PUBLISH_TIMEOUT_MS = 10_000;

/** What the server last said before it closed the connection, so the error line can name it. */
interface LastWord {
  disconnect?: { reasonCode: number; reasonString?: string };
}

interface Connected {
  client: MqttClient;
  url: string;
  lastWord: LastWord;
}

/** `HOST`, `HOST:PORT`, `[IPV6]`, `[IPV6]:PORT`, or a bare IPv6 address. */
export function parseEndpoint(value: string): { host: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  const hostPort = /^([^:[\]]+):(\d+)$/.exec(value);
  const [host, portText] = bracketed ? [bracketed[1], bracketed[2]] : hostPort ? [hostPort[1], hostPort[2]] : [value, undefined];
  if (host === undefined || host === '') throw new CliError(`--endpoint must be HOST or HOST:PORT, got "${value}"`);
  if (portText === undefined) return { host };
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CliError(`--endpoint's port must be 1-65535, got "${value}"`);
  return { host, port };
}

/**
 * Where to connect and which CA to trust. The default data dir (./data) without a running topicd is
 * no error, since the command may run anywhere (inside the device folder, on another machine); a data
 * dir the user named is, since then its topicd was meant.
 */
function serverOf(options: ConnectOptions, globals: GlobalOptions): { host: string; port: number; dataDir: string | undefined } {
  const given: { host?: string; port?: number } = options.endpoint === undefined ? {} : parseEndpoint(options.endpoint);
  let host = given.host;
  let port = given.port ?? options.port;
  if (host !== undefined && port !== undefined) return { host, port, dataDir: undefined };
  const dataDir = resolveDataDir(globals.dataDir);
  const runtime = readRuntime(dataDir);
  if (runtime === undefined && host === undefined && dataDir !== resolve('data')) {
    throw new CliError(`${noRunningTopicd(dataDir).message}; or give --endpoint HOST:PORT`);
  }
  host ??= runtime?.endpoint ?? DEFAULT_ENDPOINT;
  port ??= runtime?.mqttPort ?? DEFAULT_MQTT_PORT;
  return { host, port, dataDir: runtime === undefined ? undefined : dataDir };
}

function readCertFile(path: string, dir: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new CliError(`cannot read ${path}: ${why} (\`topicd thing create NAME --out ${dir}\` writes it)`);
  }
}

/** The device's files; the CA from the folder, else (a folder without one) the running topicd's. */
function readDeviceFiles(certs: string, dataDir: () => string | undefined): { ca: Buffer; cert: Buffer; key: Buffer } {
  let caPath = join(certs, DEVICE_CA_FILE);
  if (!existsSync(caPath)) {
    const data = dataDir();
    if (data !== undefined && existsSync(join(data, DATA_FILES.rootCa))) caPath = join(data, DATA_FILES.rootCa);
  }
  return {
    ca: readCertFile(caPath, certs),
    cert: readCertFile(join(certs, DEVICE_CERT_FILE), certs),
    key: readCertFile(join(certs, DEVICE_KEY_FILE), certs),
  };
}

/**
 * A certificate from `topicd thing create` names its thing in the CN, and the default thing policy
 * lets it connect as `<thing>` or `<thing>.<anything>`: the CLI takes the second form so it never
 * takes over the device's own session. Other certificates get a random id.
 */
function defaultClientId(commonName: string | undefined): string {
  const suffix = randomBytes(6).toString('hex');
  return commonName !== undefined && THING_NAME.test(commonName) ? `${commonName}.cli-${suffix}` : `topicd-cli-${suffix}`;
}

/** `0x87 not authorized` for a v5 reason code. */
export function reasonName(code: number): string {
  const name = Object.entries(RC).find(([, value]) => value === code)?.[0];
  const hex = `0x${code.toString(16).padStart(2, '0')}`;
  return name === undefined ? hex : `${hex} ${name.toLowerCase().replace(/_/g, ' ')}`;
}

const withReason = (text: string, reasonString: string | undefined): string => (reasonString ? `${text}: ${reasonString}` : text);

/** Why the connection closed: the v5 DISCONNECT's reason when one came, else the bare fact. */
function closedBecause(lastWord: LastWord): string {
  const d = lastWord.disconnect;
  if (d) return withReason(`the server sent DISCONNECT ${reasonName(d.reasonCode)}`, d.reasonString);
  return 'the server closed the connection';
}

/** Connects and resolves on CONNACK; rejects with a CliError whose message is one line. */
async function connect(options: ConnectOptions, globals: GlobalOptions): Promise<Connected> {
  // Files first: a missing certificate is the likeliest mistake and needs no server to report.
  let server: ReturnType<typeof serverOf> | undefined;
  const files = readDeviceFiles(options.certs, () => (server ??= serverOf(options, globals)).dataDir);
  let commonName: string | undefined;
  try {
    createSecureContext(files);
    commonName = /^CN=(.*)$/m.exec(new X509Certificate(files.cert).subject)?.[1];
  } catch (err) {
    throw new CliError(`the files in ${options.certs} are not a usable certificate, key and CA: ${(err as Error).message}`);
  }
  const { host, port } = (server ??= serverOf(options, globals));

  const url = `mqtts://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const clientOptions: IClientOptions = {
    ...files,
    // SNI must name the endpoint (AWS routes on it); an IP address is not a valid SNI name.
    ...(isIP(host) === 0 ? { servername: host } : {}),
    clientId: options.clientId ?? defaultClientId(commonName),
    protocolVersion: options.mqttVersion,
    reconnectPeriod: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    clean: true,
  };
  const { default: mqtt } = await import('mqtt');
  const client = mqtt.connect(url, clientOptions);
  const lastWord: LastWord = {};
  let connack: Packet | undefined;
  client.on('packetreceive', (packet: Packet) => {
    if (packet.cmd === 'connack') connack = packet;
    if (packet.cmd === 'disconnect') lastWord.disconnect = { reasonCode: packet.reasonCode ?? 0, reasonString: packet.properties?.reasonString };
  });
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string): void => {
      cleanup();
      client.end(true);
      reject(new CliError(`cannot connect to ${url}: ${why}`));
    };
    const onConnect = (): void => {
      cleanup();
      resolve();
    };
    const onError = (err: Error): void => {
      const reasonString = connack?.cmd === 'connack' ? connack.properties?.reasonString : undefined;
      fail(withReason(describeConnectError(err, clientOptions.clientId), reasonString));
    };
    // No CONNACK and no error: topicd (as AWS) ends the TLS connection of a certificate it does not know.
    const onClose = (): void => fail(`${closedBecause(lastWord)} before CONNACK (the certificate was not accepted: is it registered with this topicd, or issued by a CA registered with it?)`);
    const timer = setTimeout(() => fail(`no CONNACK within ${CONNECT_TIMEOUT_MS / 1000}s`), CONNECT_TIMEOUT_MS + 1_000);
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off('connect', onConnect).off('error', onError).off('close', onClose);
    };
    client.on('connect', onConnect).on('error', onError).on('close', onClose);
  });
  return { client, url, lastWord };
}

function describeConnectError(err: Error, clientId: string | undefined): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused (is topicd running, and is this its MQTT port? --endpoint HOST:PORT names another)';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'the server ended the TLS handshake (is the certificate ACTIVE and issued by a CA this server trusts?)';
  if (typeof code === 'string' && code.startsWith('ERR_SSL_')) return `TLS refused: ${err.message.split('\n')[0] ?? code}`;
  if (typeof code === 'string' && SERVER_NOT_TRUSTED.has(code)) {
    return `TLS: the server's certificate is not trusted: ${err.message.split('\n')[0] ?? code} (is root-CA.pem this server's root CA, and --endpoint its name?)`;
  }
  if (typeof code === 'number') {
    // MQTT.js: "Connection refused: Not authorized"; a v5 code is named as the spec names it.
    const what = code >= 0x80 ? `CONNACK ${reasonName(code)}` : `CONNACK return code ${code} (${err.message.replace(/^Connection refused: /, '').toLowerCase()})`;
    const hint = code === RC.NOT_AUTHORIZED || code === 5 || code === RC.CLIENT_IDENTIFIER_NOT_VALID || code === 2
      ? ` (is the certificate ACTIVE, and may it connect as ${clientId ?? 'this client id'}? \`topicd policy test --action connect\` tells)` : '';
    return `refused with ${what}${hint}`;
  }
  if (err.message === 'connack timeout') return `no CONNACK within ${CONNECT_TIMEOUT_MS / 1000}s (is this an MQTT port?)`;
  return err.message.split('\n')[0] ?? String(err);
}

function endClient(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.end(false, {}, () => resolve()));
}

export async function subscribe(filters: string[], options: SubOptions, globals: GlobalOptions): Promise<void> {
  const { client, url, lastWord } = await connect(options, globals);
  let received = 0;
  let done = false;
  const finished = new Promise<void>((resolve, reject) => {
    const stop = (): void => {
      if (done) return;
      done = true;
      process.off('SIGINT', stop).off('SIGTERM', stop);
      // Let MQTT.js send the PUBACK of the last message before the DISCONNECT.
      setImmediate(() => void endClient(client).then(resolve));
    };
    process.on('SIGINT', stop).on('SIGTERM', stop);
    client.on('message', (topic: string, payload: Buffer, packet: IPublishPacket) => {
      if (done) return;
      process.stdout.write(formatMessage(topic, payload, packet, options.json === true));
      received += 1;
      if (options.count !== undefined && received >= options.count) stop();
    });
    const lost = (why: string): void => {
      if (done) return;
      done = true;
      process.off('SIGINT', stop).off('SIGTERM', stop);
      client.end(true);
      reject(new CliError(`connection to ${url} lost: ${why}`));
    };
    client.on('error', (err) => lost(describeConnectError(err, undefined)));
    client.on('close', () => lost(closedBecause(lastWord)));
  });
  // It may reject before anyone awaits it (a refused SUBSCRIBE ends the connection); mark it handled.
  finished.catch(() => undefined);

  let granted: Awaited<ReturnType<MqttClient['subscribeAsync']>>;
  try {
    granted = await client.subscribeAsync(filters, { qos: options.qos });
  } catch (err) {
    done = true;
    client.end(true);
    // MQTT.js rejects the whole SUBSCRIBE when the SUBACK refuses a filter (0x80, or v5's reason).
    const refusal = /^Subscribe error: (.*)$/.exec((err as Error).message);
    if (refusal) throw new CliError(`subscription refused for ${filters.join(', ')} (${refusal[1] ?? ''}; does the certificate's policy allow iot:Subscribe on it? \`topicd policy test\` tells)`);
    throw new CliError(`cannot subscribe: ${(err as Error).message}`);
  }
  // [MQTT-3.9.3] a SUBACK return code of 0x80 (v3.1.1) or >= 0x80 (v5) refuses that filter.
  const refused = granted.filter((g) => g.qos >= 0x80).map((g) => g.topic);
  if (refused.length > 0) {
    done = true;
    client.end(true);
    throw new CliError(`subscription refused for ${refused.join(', ')}`);
  }
  stderrLine(`subscribed to ${filters.join(', ')}`);
  await finished;
}

/** `TOPIC PAYLOAD\n`, or one JSON line; the payload is UTF-8 text, with base64 too when it is not UTF-8. */
export function formatMessage(topic: string, payload: Buffer, packet: Pick<IPublishPacket, 'qos' | 'retain'>, json: boolean): string {
  const text = payload.toString('utf8');
  if (!json) return `${topic} ${text}\n`;
  const line: Record<string, unknown> = { topic, payload: text, qos: packet.qos, retain: packet.retain };
  if (!isUtf8(payload)) line.payloadBase64 = payload.toString('base64');
  return `${JSON.stringify(line)}\n`;
}

/**
 * Publishes and resolves once the server accepted the message: the PUBACK at QoS 1; at QoS 0, a
 * PINGRESP after the PUBLISH (the server reads in order, so a 3.1.1 refusal, which closes the
 * connection, comes first; a v5 server drops a refused QoS 0 message silently, as AWS does).
 */
export async function publish(topic: string, message: string, options: PubOptions, globals: GlobalOptions): Promise<void> {
  // [MQTT-3.3.2-2] a topic name has no wildcards; checked here, where the answer can say so.
  const problem = validateTopicName(topic, MQTT_TOPIC_LIMITS);
  if (problem !== null) throw new CliError(`cannot publish to "${topic}": ${problem}${/[+#]/.test(topic) ? ' (wildcards are for `topicd sub`)' : ''}`);
  const { client, url, lastWord } = await connect(options, globals);
  try {
    await publishAccepted(client, topic, Buffer.from(message, 'utf8'), options, lastWord);
  } catch (err) {
    client.end(true);
    throw new CliError(`cannot publish to ${topic} on ${url}: ${(err as Error).message}`);
  }
  await endClient(client);
}

function publishAccepted(client: MqttClient, topic: string, payload: Buffer, options: PubOptions, lastWord: LastWord): Promise<void> {
  const policyHint = `may this certificate publish${options.retain ? ' retained messages' : ''} to ${topic}? \`topicd policy test --action publish\` tells`;
  return new Promise<void>((resolve, reject) => {
    const settle = (err?: Error): void => {
      clearTimeout(timer);
      client.off('close', onClose).off('packetreceive', onPacket);
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => settle(new Error(`no ${options.qos === 1 ? 'PUBACK' : 'PINGRESP'} within ${PUBLISH_TIMEOUT_MS / 1000}s`)), PUBLISH_TIMEOUT_MS);
    const onClose = (): void => {
      const code = lastWord.disconnect?.reasonCode;
      // A 3.1.1 server refuses a publish by closing the connection, without saying why.
      const hint = code === undefined ? ` (how MQTT 3.1.1 refuses a publish: is the topic valid, and ${policyHint}; --mqtt-version 5 gets a reason code)`
        : code === RC.NOT_AUTHORIZED ? ` (${policyHint})` : '';
      settle(new Error(`${closedBecause(lastWord)}${hint}`));
    };
    const onPacket = (packet: Packet): void => {
      if (packet.cmd === 'pingresp') settle();
    };
    client.on('close', onClose).on('packetreceive', onPacket);
    client.publish(topic, payload, { qos: options.qos, retain: options.retain === true }, (err, packet) => {
      if (err) {
        const code = (err as { code?: unknown }).code;
        const reasonString = packet?.cmd === 'puback' ? packet.properties?.reasonString : undefined;
        // v5: PUBACK with a reason code of 0x80 or more [MQTT-3.4.2.1].
        if (typeof code === 'number') {
          const hint = code === RC.NOT_AUTHORIZED ? ` (${policyHint})` : '';
          return settle(new Error(`${withReason(`refused with PUBACK ${reasonName(code)}`, reasonString)}${hint}`));
        }
        return settle(err);
      }
      if (options.qos === 1) return settle();
      client.sendPing();
    });
  });
}
