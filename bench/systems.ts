/**
 * @module bench/systems
 * Starting and stopping the systems under test, each a fresh process pinned to CPU 0 with taskset
 * and a raised open-files limit: topicd (its own CLI), Mosquitto (the Debian binary with a config we
 * write, on ports we pick, never the system instance on 1883), Aedes and the bare node HTTPS server
 * (bench/aedes-server.ts, bench/bare-https-server.ts). Every child is tracked so that it is killed
 * when the bench ends, also on an error or Ctrl-C.
 */
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { SecureContext } from 'node:tls';
import type * as IotSdk from '@aws-sdk/client-iot';
import { clientContext, makeCsr, makeKey, type ClientKeyKind, type PeerCerts, type TlsFiles } from './certs.js';
import type { SystemId } from './kit.js';
import { sleep } from './measure.js';

const execFileAsync = promisify(execFile);

export const MOSQUITTO = '/usr/sbin/mosquitto';
/** dist/bench/ -> the repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where the servers' code is run from: the repository, or a snapshot of its build (see snapshotBuild). */
let appRoot = ROOT;
/** Where topicd is run from: the same build, or another checkout's (`--topicd-dir`), snapshotted likewise. */
let topicdRoot = ROOT;
const topicdCli = (): string => join(topicdRoot, 'dist/src/cli/main.js');
const benchScript = (name: string): string => join(appRoot, 'dist/bench', name);

function copyBuild(from: string, dir: string): void {
  mkdirSync(dir, { recursive: true });
  cpSync(join(from, 'dist'), join(dir, 'dist'), { recursive: true });
  copyFileSync(join(from, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(from, 'node_modules'), join(dir, 'node_modules'));
}

/**
 * Copies dist/ (and package.json, and a link to node_modules) into `dir` and runs every server
 * from there: the checkout is shared, and a rebuild or `rm -rf dist` by someone else in the middle
 * of a run must neither break it nor change the code being measured. `topicdDir` (another checkout,
 * built) runs topicd from that build instead, with this bench and the same peers: before/after lines
 * compare two topicd builds under one generator.
 */
export function snapshotBuild(dir: string, topicdDir?: string): void {
  copyBuild(ROOT, dir);
  appRoot = dir;
  topicdRoot = dir;
  if (topicdDir !== undefined) {
    if (!existsSync(join(topicdDir, 'dist/src/cli/main.js'))) throw new Error(`--topicd-dir ${topicdDir}: no dist/src/cli/main.js there (run npm run build in it)`);
    topicdRoot = `${dir}-topicd`;
    copyBuild(topicdDir, topicdRoot);
  }
}

/** Open files each server may hold: idle-connection runs keep 20,000 sockets open. */
export const OPEN_FILES = 65_536;

export interface RunningSystem {
  id: SystemId;
  pid: number;
  /** MQTT over plain TCP, MQTT over mutual TLS, HTTPS publish over mutual TLS; absent where not served. */
  mqttTcp: number | undefined;
  mqttTls: number | undefined;
  https: number | undefined;
  /** The generator's TLS context for this server, and the name its certificate holds. */
  secureContext: SecureContext;
  servername: string;
  stop(): Promise<void>;
}

// ---- child processes ----

const children = new Set<ChildProcess>();

/** The last lines a child printed, for the error message when it fails to start. */
const outputOf = new WeakMap<ChildProcess, string[]>();

function keepTail(child: ChildProcess): void {
  const lines: string[] = [];
  outputOf.set(child, lines);
  const take = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line);
      if (lines.length > 20) lines.shift();
    }
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
}

export function tailOf(child: ChildProcess): string {
  return (outputOf.get(child) ?? []).slice(-4).join(' | ');
}

/**
 * Runs `argv` on one CPU (taskset) with OPEN_FILES open files allowed. bash raises the limit
 * (root may raise the hard limit too) and then execs, so the child's pid is the server's own.
 */
export function spawnPinned(cpu: number | undefined, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const script = `ulimit -n ${OPEN_FILES} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`;
  const command = cpu === undefined ? [...argv] : ['taskset', '-c', String(cpu), ...argv];
  const child = spawn('bash', ['-c', script, 'bench', ...command], { stdio: ['ignore', 'pipe', 'pipe'], env });
  children.add(child);
  child.on('exit', () => children.delete(child));
  keepTail(child);
  return child;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM, then SIGKILL if it has not gone within 3 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await gone;
  clearTimeout(timer);
}

/** Last resort on the way out: no waiting, nothing left behind. */
export function killAllChildren(): void {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Resolves with the first stdout line that `match` accepts; rejects if the child exits first. */
function waitForLine(child: ChildProcess, match: (line: string) => boolean, timeoutMs: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (match(line)) {
          cleanup();
          resolve(line);
          return;
        }
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`${what} exited (code ${code ?? 'signal'}) before it was ready: ${tailOf(child)}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what} was not ready within ${timeoutMs / 1000} s: ${tailOf(child)}`));
    }, timeoutMs);
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** A port free on 127.0.0.1 right now (for servers that must be told their ports). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port: number, timeoutMs: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (exited(child)) throw new Error(`${what} exited before it was ready: ${tailOf(child)}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(50);
  }
  throw new Error(`${what} did not listen on ${port} within ${timeoutMs / 1000} s: ${tailOf(child)}`);
}

// ---- topicd ----

export interface TopicdDevice {
  dataDir: string;
  files: TlsFiles;
  keyKind: ClientKeyKind;
  /** How the device certificate was made, for the report. */
  how: string;
}

interface RuntimeJson {
  httpsPort: number;
  mqttPort: number;
  /** Present (and not null) when topicd runs its development plain-TCP MQTT listener. */
  mqttPlainPort?: number | null;
  controlUrl: string;
  region: string;
}

let plainListener: boolean | undefined;

/** Whether this topicd has the plain-TCP MQTT listener (`--mqtt-plain-port`, added after the bench). */
export function topicdHasPlainListener(): boolean {
  if (plainListener === undefined) {
    try {
      plainListener = execFileSync(process.execPath, [topicdCli(), 'start', '--help'], { encoding: 'utf8' }).includes('--mqtt-plain-port');
    } catch {
      plainListener = false;
    }
  }
  return plainListener;
}

async function launchTopicd(cpu: number | undefined, dataDir: string, nodeArgs: readonly string[] = []): Promise<{ child: ChildProcess; runtime: RuntimeJson }> {
  const child = spawnPinned(cpu, [
    process.execPath, ...nodeArgs, topicdCli(), 'start', '--data-dir', dataDir,
    '--https-port', '0', '--mqtt-port', '0', '--alpn-port', '0', '--control-port', '0', '--log-level', 'error',
    // Loopback only, anonymous: topicd's development listener, measured like the peers' plain ports.
    ...(topicdHasPlainListener() ? ['--mqtt-plain-port', '0'] : []),
  ]);
  try {
    await waitForLine(child, (line) => line.includes('topicd is ready'), 60_000, 'topicd');
    const runtime = JSON.parse(readFileSync(join(dataDir, 'runtime.json'), 'utf8')) as RuntimeJson;
    return { child, runtime };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

/** The SDK warns that it will drop Node 20 in 2027; topicd targets Node 20, and the bench's output is for numbers. */
function quietSdkNodeWarning(): void {
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).startsWith('NodeVersionSupportWarning')) return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}

/** Reads the `default` profile of an AWS shared-credentials file. */
function readCredentials(path: string): { accessKeyId: string; secretAccessKey: string } {
  const text = readFileSync(path, 'utf8');
  const id = /aws_access_key_id\s*=\s*(\S+)/.exec(text)?.[1];
  const secret = /aws_secret_access_key\s*=\s*(\S+)/.exec(text)?.[1];
  if (id === undefined || secret === undefined) throw new Error(`${path} holds no access key`);
  return { accessKeyId: id, secretAccessKey: secret };
}

/**
 * The bench device's policy. topicd enforces AWS IoT policies (default deny), so the device needs
 * one, and it should make the policy engine do what a fleet's policy makes it do: wildcard resources
 * for Connect, Publish/Receive and Subscribe, scoped to the bench's topics, and an explicit Deny
 * carve-out (every decision must check that no Deny applies). The bench's topics and filters are all
 * under `bench/`; nothing publishes to `bench/admin/`.
 */
export const BENCH_POLICY_NAME = 'topicd-bench-fleet';
export const BENCH_POLICY_DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:*:*:client/*' },
    { Effect: 'Allow', Action: ['iot:Publish', 'iot:RetainPublish', 'iot:Receive'], Resource: 'arn:aws:iot:*:*:topic/bench/*' },
    { Effect: 'Allow', Action: 'iot:Subscribe', Resource: 'arn:aws:iot:*:*:topicfilter/bench/*' },
    { Effect: 'Deny', Action: ['iot:Publish', 'iot:RetainPublish'], Resource: 'arn:aws:iot:*:*:topic/bench/admin/*' },
  ],
});

type IotModule = typeof IotSdk;

/**
 * CreatePolicy + AttachPolicy for the device certificate, through the SDK. A topicd from before
 * policies (an older build under `--topicd-dir`) has no such operation and authorizes every device:
 * the report says which it was.
 */
async function attachBenchPolicy(sdk: IotModule, iot: InstanceType<IotModule['IoTClient']>, certificateArn: string): Promise<string> {
  try {
    await iot.send(new sdk.CreatePolicyCommand({ policyName: BENCH_POLICY_NAME, policyDocument: BENCH_POLICY_DOCUMENT }));
    await iot.send(new sdk.AttachPolicyCommand({ policyName: BENCH_POLICY_NAME, target: certificateArn }));
    return `policy ${BENCH_POLICY_NAME} attached (Connect client/*, Publish/RetainPublish/Receive topic/bench/*, Subscribe topicfilter/bench/*, Deny Publish topic/bench/admin/*)`;
  } catch (err) {
    return `no policy attached (this topicd has no CreatePolicy/AttachPolicy: ${(err as Error).message.slice(0, 80)})`;
  }
}

/**
 * Starts topicd once in a fresh data dir and gives the bench a device certificate with the bench
 * policy attached. An ECDSA P-256 key through CreateCertificateFromCsr comes first: an RSA 2048 key
 * (what `thing create` makes) costs the generator ~1 ms of signing per handshake, which would make
 * the one-shot scenarios measure the generator. `thing create` is the fallback, and the report says
 * which was used.
 */
export async function provisionTopicd(cpu: number | undefined, dataDir: string): Promise<TopicdDevice> {
  mkdirSync(dataDir, { recursive: true });
  const deviceDir = join(dataDir, 'bench-device');
  mkdirSync(deviceDir, { recursive: true });
  const files: TlsFiles = {
    ca: join(deviceDir, 'root-CA.pem'),
    cert: join(deviceDir, 'device.pem.crt'),
    key: join(deviceDir, 'private.pem.key'),
  };
  const { child, runtime } = await launchTopicd(cpu, dataDir);
  quietSdkNodeWarning();
  const sdk = await import('@aws-sdk/client-iot');
  const iot = new sdk.IoTClient({
    region: runtime.region,
    endpoint: runtime.controlUrl,
    credentials: readCredentials(join(dataDir, 'credentials')),
  });
  try {
    try {
      makeKey(deviceDir, files.key, 'ec-p256');
      const csr = makeCsr(deviceDir, files.key, 'bench-device');
      const created = await iot.send(new sdk.CreateCertificateFromCsrCommand({ certificateSigningRequest: csr, setAsActive: true }));
      if (created.certificatePem === undefined || created.certificateArn === undefined) throw new Error('CreateCertificateFromCsr returned no certificatePem');
      writeFileSync(files.cert, created.certificatePem);
      copyFileSync(join(dataDir, 'root-CA.pem'), files.ca);
      const policy = await attachBenchPolicy(sdk, iot, created.certificateArn);
      return { dataDir, files, keyKind: 'ec-p256', how: `ECDSA P-256 key, CreateCertificateFromCsr (setAsActive) through @aws-sdk/client-iot; ${policy}` };
    } catch (csrError) {
      await execFileAsync(process.execPath, [
        topicdCli(), 'thing', 'create', 'bench-device', '--out', deviceDir, '--force', '--data-dir', dataDir,
      ]);
      const principals = await iot.send(new sdk.ListThingPrincipalsCommand({ thingName: 'bench-device' }));
      const arn = principals.principals?.[0];
      const policy = arn === undefined ? 'no policy attached (the thing has no principal)' : await attachBenchPolicy(sdk, iot, arn);
      return {
        dataDir, files, keyKind: 'rsa-2048',
        how: `RSA 2048 key from \`topicd thing create\` (CreateCertificateFromCsr failed: ${(csrError as Error).message.slice(0, 120)}); ${policy}`,
      };
    }
  } finally {
    iot.destroy();
    await stopChild(child);
  }
}

/** `nodeArgs` go to node before topicd's script (bench/profile.ts passes `--cpu-prof`). */
export async function startTopicd(cpu: number | undefined, device: TopicdDevice, nodeArgs: readonly string[] = []): Promise<RunningSystem> {
  const { child, runtime } = await launchTopicd(cpu, device.dataDir, nodeArgs);
  return {
    id: 'topicd',
    pid: child.pid ?? -1,
    mqttTcp: runtime.mqttPlainPort ?? undefined,
    mqttTls: runtime.mqttPort,
    https: runtime.httpsPort,
    secureContext: clientContext(device.files),
    servername: 'localhost',
    stop: () => stopChild(child),
  };
}

// ---- Mosquitto ----

export async function mosquittoVersion(): Promise<string> {
  try {
    // `mosquitto -h` prints its version and exits non-zero.
    const { stdout } = await execFileAsync(MOSQUITTO, ['-h']).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    return /mosquitto version (\S+)/.exec(stdout)?.[1] ?? 'unknown';
  } catch {
    return 'not found';
  }
}

/**
 * Our own Mosquitto on two free ports, in memory (no persistence file). `unlimited` lifts the QoS 1
 * window and queue limits (both 0); the defaults are 20 in flight and 1000 queued per client, past
 * which Mosquitto drops messages it has already acknowledged to their publisher.
 */
export async function startMosquitto(cpu: number | undefined, certs: PeerCerts, dir: string, unlimited: boolean): Promise<RunningSystem> {
  const id: SystemId = unlimited ? 'mosquitto-unlimited' : 'mosquitto';
  const tcp = await freePort();
  const tls = await freePort();
  const config = [
    '# written by topicd bench/systems.ts',
    'per_listener_settings false',
    'allow_anonymous true',
    'persistence false',
    // Stay root: dropping to the mosquitto user would leave it unable to read the keys we wrote.
    'user root',
    'log_dest stderr',
    'log_type error',
    // Nagle's algorithm against the receiver's delayed ACK adds up to 40 ms per message; every
    // latency-minded deployment turns it off, and topicd's comparison should be with those.
    'set_tcp_nodelay true',
    ...(unlimited ? ['max_inflight_messages 0', 'max_queued_messages 0'] : []),
    `listener ${tcp} 127.0.0.1`,
    `listener ${tls} 127.0.0.1`,
    `cafile ${certs.server.ca}`,
    `certfile ${certs.server.cert}`,
    `keyfile ${certs.server.key}`,
    'require_certificate true',
    '',
  ].join('\n');
  const path = join(dir, `${id}.conf`);
  writeFileSync(path, config);
  const child = spawnPinned(cpu, [MOSQUITTO, '-c', path]);
  try {
    await waitForPort(tcp, 10_000, child, id);
    await waitForPort(tls, 10_000, child, id);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return {
    id, pid: child.pid ?? -1, mqttTcp: tcp, mqttTls: tls, https: undefined,
    secureContext: clientContext(certs.client), servername: 'localhost',
    stop: () => stopChild(child),
  };
}

// ---- Aedes and the bare HTTPS server ----

export async function startAedes(cpu: number | undefined, certs: PeerCerts): Promise<RunningSystem> {
  const child = spawnPinned(cpu, [process.execPath, benchScript('aedes-server.js'), JSON.stringify(certs.server)]);
  try {
    const line = await waitForLine(child, (l) => l.startsWith('{'), 20_000, 'aedes');
    const ready = JSON.parse(line) as { tcpPort: number; tlsPort: number };
    return {
      id: 'aedes', pid: child.pid ?? -1, mqttTcp: ready.tcpPort, mqttTls: ready.tlsPort, https: undefined,
      secureContext: clientContext(certs.client), servername: 'localhost',
      stop: () => stopChild(child),
    };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

export async function startBareHttps(cpu: number | undefined, certs: PeerCerts): Promise<RunningSystem> {
  const child = spawnPinned(cpu, [process.execPath, benchScript('bare-https-server.js'), JSON.stringify(certs.server)]);
  try {
    const line = await waitForLine(child, (l) => l.startsWith('{'), 20_000, 'bare-https');
    const ready = JSON.parse(line) as { httpsPort: number };
    return {
      id: 'bare-https', pid: child.pid ?? -1, mqttTcp: undefined, mqttTls: undefined, https: ready.httpsPort,
      secureContext: clientContext(certs.client), servername: 'localhost',
      stop: () => stopChild(child),
    };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}
