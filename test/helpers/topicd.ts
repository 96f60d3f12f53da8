/**
 * @module test/helpers/topicd
 * Starts a real topicd for a test (temp data dir, ephemeral ports, real TLS) and provisions devices
 * through the control plane with the AWS SDK, as a user would. Nothing of topicd is mocked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  IoTClient,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-iot';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { loadConfig } from '../../src/config/config.js';
import { startTopicd, type RunningTopicd } from '../../src/main.js';
import { ALLOW_ALL_DOCUMENT } from './tools.js';

export interface TestTopicd {
  running: RunningTopicd;
  dataDir: string;
  iot: IoTClient;
  stop(): Promise<void>;
}

export function tempDir(prefix = 'topicd-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Reads the access key the server wrote to DATA/credentials. */
export function readCredentials(path: string): { accessKeyId: string; secretAccessKey: string } {
  const text = readFileSync(path, 'utf8');
  const id = /aws_access_key_id\s*=\s*(\S+)/.exec(text)?.[1];
  const secret = /aws_secret_access_key\s*=\s*(\S+)/.exec(text)?.[1];
  if (!id || !secret) throw new Error(`no credentials in ${path}`);
  return { accessKeyId: id, secretAccessKey: secret };
}

export async function startTestTopicd(flags: Record<string, unknown> = {}): Promise<TestTopicd> {
  const dataDir = typeof flags['dataDir'] === 'string' ? flags['dataDir'] : tempDir();
  const config = loadConfig({
    env: {},
    flags: { dataDir, httpsPort: 0, mqttPort: 0, alpnPort: 0, controlPort: 0, logLevel: 'error', ...flags },
  });
  const running = await startTopicd(config);
  const iot = new IoTClient({
    endpoint: running.controlUrl,
    region: config.region,
    credentials: readCredentials(running.credentialsPath),
    maxAttempts: 1,
  });
  return {
    running,
    dataDir,
    iot,
    async stop() {
      iot.destroy();
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Device {
  thingName: string;
  certificateId: string;
  certificateArn: string;
  dir: string;
  certPath: string;
  keyPath: string;
  caPath: string;
  cert: string;
  key: string;
  ca: string;
}

/** The policy test devices get unless a test says otherwise: every data-plane action, everywhere. */
export const ALLOW_ALL_POLICY = 'test-allow-all';

/** Creates (once) and attaches a policy to a certificate. */
export async function attachPolicy(topicd: TestTopicd, certificateArn: string, policyName: string, document?: string): Promise<void> {
  if (document !== undefined) {
    try {
      await topicd.iot.send(new CreatePolicyCommand({ policyName, policyDocument: document }));
    } catch (err) {
      if (!(err instanceof ResourceAlreadyExistsException)) throw err;
    }
  }
  await topicd.iot.send(new AttachPolicyCommand({ policyName, target: certificateArn }));
}

/**
 * Creates a thing with an ACTIVE certificate attached and writes its files, as `topicd thing create`
 * does. The certificate gets `policy` (a name and document; default: allow everything), or none
 * when `policy` is null.
 */
export async function createDevice(
  topicd: TestTopicd,
  thingName: string,
  policy: { name: string; document: string } | null = { name: ALLOW_ALL_POLICY, document: ALLOW_ALL_DOCUMENT },
): Promise<Device> {
  const { iot, running } = topicd;
  await iot.send(new CreateThingCommand({ thingName }));
  const created = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
  await iot.send(new AttachThingPrincipalCommand({ thingName, principal: created.certificateArn! }));
  if (policy) await attachPolicy(topicd, created.certificateArn!, policy.name, policy.document);
  const dir = join(topicd.dataDir, 'devices', thingName);
  mkdirSync(dir, { recursive: true });
  const cert = created.certificatePem!;
  const key = created.keyPair!.PrivateKey!;
  const ca = readFileSync(running.caPath, 'utf8');
  const certPath = join(dir, 'device.pem.crt');
  const keyPath = join(dir, 'private.pem.key');
  const caPath = join(dir, 'root-CA.pem');
  writeFileSync(certPath, cert);
  writeFileSync(keyPath, key, { mode: 0o600 });
  writeFileSync(caPath, ca);
  return {
    thingName, certificateId: created.certificateId!, certificateArn: created.certificateArn!,
    dir, certPath, keyPath, caPath, cert, key, ca,
  };
}

/** A presigned `wss://localhost:PORT/mqtt` URL, as the AWS IoT WebSocket recipe makes it (admin key unless `credentials`). */
export async function presignedMqttUrl(
  topicd: TestTopicd,
  port: number,
  opts: { service?: string; region?: string; credentials?: { accessKeyId: string; secretAccessKey: string } } = {},
): Promise<string> {
  const signer = new SignatureV4({
    service: opts.service ?? 'iotdevicegateway',
    region: opts.region ?? topicd.running.config.region,
    credentials: opts.credentials ?? readCredentials(topicd.running.credentialsPath),
    sha256: Hash.bind(null, 'sha256'),
  });
  const host = `localhost:${port}`;
  const signed = await signer.presign(new HttpRequest({
    method: 'GET', protocol: 'wss:', hostname: 'localhost', port, path: '/mqtt', headers: { host },
  }), { expiresIn: 300 });
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return `wss://${host}/mqtt?${query}`;
}

/** An MQTT.js client over mutual TLS, connected. */
export async function connectMqtt(
  topicd: TestTopicd,
  device: Device,
  options: IClientOptions = {},
  port: number = topicd.running.ports.mqtt,
): Promise<MqttClient> {
  const client = mqtt.connect(`mqtts://localhost:${port}`, {
    ca: device.ca, cert: device.cert, key: device.key,
    reconnectPeriod: 0, connectTimeout: 5_000,
    clientId: `${device.thingName}-${Math.random().toString(16).slice(2, 10)}`,
    ...options,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
  return client;
}

export interface Received {
  topic: string;
  payload: Buffer;
  packet: mqtt.IPublishPacket;
}

/** Collects every message a client receives, and waits for a count of them. */
export interface Collector {
  messages: Received[];
  /** Resolves with the first `n` messages once they have arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
  /** Resolves with the first message on `topic` (arrived already or to come). */
  waitForTopic(topic: string, timeoutMs?: number): Promise<Received>;
}

export function collect(client: MqttClient): Collector {
  const messages: Received[] = [];
  const waiters: Array<() => void> = [];
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload, packet });
    for (const w of waiters.splice(0)) w();
  });
  return {
    messages,
    waitFor(n, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`expected ${n} messages, got ${messages.length}`)), timeoutMs);
        const check = (): void => {
          if (messages.length >= n) {
            clearTimeout(timer);
            resolve(messages.slice(0, n));
          } else waiters.push(check);
        };
        check();
      });
    },
    waitForTopic(topic, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no message on ${topic}; got ${messages.map((m) => m.topic).join(', ')}`)), timeoutMs);
        const check = (): void => {
          const found = messages.find((m) => m.topic === topic);
          if (found) {
            clearTimeout(timer);
            resolve(found);
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}

export function endClient(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.end(false, {}, () => resolve()));
}

/**
 * Asserts an AWS SDK call fails with this error type, and this HTTP status when given; returns the
 * error for further checks of its message.
 */
export async function rejectsWith(
  call: Promise<unknown>, name: string, status?: number, message?: RegExp,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  let caught: unknown;
  await assert.rejects(call, (err: unknown) => {
    caught = err;
    return true;
  });
  const err = caught as Error & { $metadata?: { httpStatusCode?: number } };
  assert.equal(err.name, name, `error type (message: ${err.message})`);
  if (status !== undefined) assert.equal(err.$metadata?.httpStatusCode, status, 'HTTP status');
  if (message) assert.match(err.message, message);
  return err;
}

/** MQTT.js over wss, connected; `url` is used exactly as given (query string and all). */
export async function connectWebSocket(url: string, options: IClientOptions): Promise<MqttClient> {
  const client = mqtt.connect(url, {
    reconnectPeriod: 0, connectTimeout: 5_000,
    clientId: `wss-${Math.random().toString(16).slice(2, 10)}`,
    transformWsUrl: () => url,
    ...options,
  });
  await new Promise<void>((resolve, reject) => {
    let failure: Error | undefined;
    client.once('connect', () => resolve());
    client.on('error', (err) => { failure = err; });
    client.once('close', () => setImmediate(() => reject(failure ?? new Error('closed before CONNACK'))));
  });
  return client;
}

export interface HttpsReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTPS request (POST unless `method` says otherwise) to the data plane with the device's certificate (`path` as sent, e.g.
 * `/topics/a%2Fb?qos=1`); `agent` keeps the connection alive between calls, else it is closed.
 */
export function httpsPost(
  topicd: TestTopicd, device: Pick<Device, 'ca' | 'cert' | 'key'>, path: string, body: Buffer | string = 'x',
  options: { headers?: Record<string, string>; agent?: HttpsAgent; method?: string } = {},
): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: 'localhost', port: topicd.running.ports.https, path, method: options.method ?? 'POST', headers: options.headers,
      ca: device.ca, cert: device.cert, key: device.key, agent: options.agent ?? false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
