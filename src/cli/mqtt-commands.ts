/**
 * @module cli/mqtt-commands
 * `topicd sub` and `topicd pub`: a terminal MQTT test client (like the AWS console's) that connects
 * with MQTT.js over mutual TLS using the files `topicd thing create` wrote. The host and port come
 * from DATA/runtime.json unless --endpoint and --port say otherwise. Connection trouble of any kind
 * ends in one line on stderr and exit 1; a SIGINT/SIGTERM while subscribed disconnects and exits 0.
 */
import { isUtf8 } from 'node:buffer';
import { X509Certificate, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import { commandContext, type GlobalOptions } from './context.js';
import { CliError } from './errors.js';
import { stderrLine } from './output.js';
import { THING_NAME } from '../registry/validation.js';
import { DEVICE_CA_FILE, DEVICE_CERT_FILE, DEVICE_KEY_FILE } from './thing-commands.js';

interface ConnectOptions {
  certs: string;
  endpoint?: string;
  port?: number;
  clientId?: string;
  qos: 0 | 1;
}

interface SubOptions extends ConnectOptions {
  json?: boolean;
  count?: number;
}

interface PubOptions extends ConnectOptions {
  retain?: boolean;
}

const CONNECT_TIMEOUT_MS = 10_000;
const PUBLISH_TIMEOUT_MS = 10_000;

const parseQos = (value: string): 0 | 1 => {
  if (value !== '0' && value !== '1') throw new InvalidArgumentError('must be 0 or 1');
  return Number(value) as 0 | 1;
};

const parsePositive = (what: string) => (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`must be a ${what}`);
  return n;
};

const parsePort = (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new InvalidArgumentError('must be a port number 1-65535');
  return n;
};

/** The options sub and pub share. */
function connectionOptions(command: Command): Command {
  return command
    .requiredOption('--certs <dir>', `directory holding ${DEVICE_CERT_FILE}, ${DEVICE_KEY_FILE} and ${DEVICE_CA_FILE} (from \`topicd thing create\`)`)
    .addOption(new Option('--qos <qos>', 'QoS 0 or 1').argParser(parseQos).default(0 as const, '0'))
    .option('--client-id <id>', 'MQTT client id (default: topicd-cli-<random>)')
    .option('--endpoint <host>', 'host to connect to and TLS server name (default: the endpoint in DATA/runtime.json)')
    .option('--port <port>', 'MQTT port (default: the MQTT port in DATA/runtime.json)', parsePort);
}

export function registerMqttCommands(program: Command): void {
  connectionOptions(program.command('sub'))
    .description('subscribe over MQTT (mutual TLS) and print each message as `TOPIC PAYLOAD`')
    .argument('<filter...>', 'topic filters; + and # are wildcards (quote # in a shell)')
    .option('--json', 'print one JSON object per line: {"topic","payload","qos","retain"} (+ "payloadBase64" when the payload is not UTF-8)')
    .option('--count <n>', 'exit after n messages', parsePositive('positive whole number'))
    .action(async (filters: string[], options: SubOptions, command: Command) => {
      await subscribe(filters, options, command.optsWithGlobals<GlobalOptions>());
    });

  connectionOptions(program.command('pub'))
    .description('publish one message over MQTT (mutual TLS); at QoS 1 waits for the PUBACK')
    .argument('<topic>', 'topic name (no wildcards)')
    .argument('<message>', 'payload, sent as UTF-8')
    .option('--retain', 'set the RETAIN flag')
    .action(async (topic: string, message: string, options: PubOptions, command: Command) => {
      await publish(topic, message, options, command.optsWithGlobals<GlobalOptions>());
    });
}

function readCertFile(dir: string, name: string): Buffer {
  const path = join(dir, name);
  try {
    return readFileSync(path);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new CliError(`cannot read ${path}: ${why} (\`topicd thing create NAME --out ${dir}\` writes it)`);
  }
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

/** Connects and resolves on CONNACK; rejects with a CliError whose message is one line. */
async function connect(options: ConnectOptions, globals: GlobalOptions): Promise<{ client: MqttClient; url: string }> {
  // Files first: a missing certificate is the likeliest mistake and needs no server to report.
  const ca = readCertFile(options.certs, DEVICE_CA_FILE);
  const cert = readCertFile(options.certs, DEVICE_CERT_FILE);
  const key = readCertFile(options.certs, DEVICE_KEY_FILE);
  let commonName: string | undefined;
  try {
    createSecureContext({ ca, cert, key });
    commonName = /^CN=(.*)$/m.exec(new X509Certificate(cert).subject)?.[1];
  } catch (err) {
    throw new CliError(`the files in ${options.certs} are not a usable certificate, key and CA: ${(err as Error).message}`);
  }

  let host = options.endpoint;
  let port = options.port;
  if (host === undefined || port === undefined) {
    const { runtime } = commandContext(globals, true);
    host ??= runtime?.endpoint;
    port ??= runtime?.mqttPort;
  }
  if (host === undefined || port === undefined) throw new CliError('no endpoint and port known: give --endpoint and --port');

  const url = `mqtts://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const clientOptions: IClientOptions = {
    ca, cert, key,
    // SNI must name the endpoint (AWS routes on it); an IP address is not a valid SNI name.
    ...(isIP(host) === 0 ? { servername: host } : {}),
    clientId: options.clientId ?? defaultClientId(commonName),
    reconnectPeriod: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    clean: true,
  };
  // Loaded on use: MQTT.js is the heaviest import, and only sub and pub need it.
  const { default: mqtt } = await import('mqtt');
  const client = mqtt.connect(url, clientOptions);
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
    const onError = (err: Error): void => fail(describeMqttError(err));
    const onClose = (): void => fail('the server closed the connection (is the certificate ACTIVE?)');
    const timer = setTimeout(() => fail(`no CONNACK within ${CONNECT_TIMEOUT_MS / 1000}s`), CONNECT_TIMEOUT_MS + 1_000);
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off('connect', onConnect).off('error', onError).off('close', onClose);
    };
    client.on('connect', onConnect).on('error', onError).on('close', onClose);
  });
  return { client, url };
}

function describeMqttError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused (is topicd running, and is this its MQTT port?)';
  if (code === 'ECONNRESET') return 'connection reset by the server (is the certificate ACTIVE and issued by this topicd?)';
  if (typeof code === 'number') return `CONNACK refused: ${err.message}`;
  if (err.message === 'connack timeout') return `no CONNACK within ${CONNECT_TIMEOUT_MS / 1000}s (is this an MQTT port?)`;
  return err.message.split('\n')[0] ?? String(err);
}

function endClient(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.end(false, {}, () => resolve()));
}

async function subscribe(filters: string[], options: SubOptions, globals: GlobalOptions): Promise<void> {
  const { client, url } = await connect(options, globals);
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
    client.on('error', (err) => lost(describeMqttError(err)));
    client.on('disconnect', (packet) => lost(`the server sent DISCONNECT (reason ${packet.reasonCode ?? 0})`));
    client.on('close', () => lost('closed by the server'));
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
    if (refusal) throw new CliError(`subscription refused for ${filters.join(', ')} (${refusal[1] ?? ''}; does the certificate's policy allow iot:Subscribe on it?)`);
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

async function publish(topic: string, message: string, options: PubOptions, globals: GlobalOptions): Promise<void> {
  const { client, url } = await connect(options, globals);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no PUBACK within ${PUBLISH_TIMEOUT_MS / 1000}s`)), PUBLISH_TIMEOUT_MS);
      const onClose = (): void => reject(new Error('the server closed the connection (is publishing to this topic allowed?)'));
      client.once('close', onClose);
      client.publish(topic, Buffer.from(message, 'utf8'), { qos: options.qos, retain: options.retain === true }, (err) => {
        clearTimeout(timer);
        client.off('close', onClose);
        if (err) reject(err);
        else resolve();
      });
    });
  } catch (err) {
    client.end(true);
    throw new CliError(`cannot publish to ${topic} on ${url}: ${(err as Error).message}`);
  }
  await endClient(client);
}
