/**
 * @module test/helpers/tools
 * Running the third-party clients tests drive topicd with: curl, Python, and topicd's own CLI.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { fileURLToPath } from 'node:url';
import type { RuntimeInfo } from '../../src/config/data-files.js';

/** The repository root, from dist/test/helpers. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = `${REPO_ROOT}dist/src/cli/main.js`;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(command, args, {
      cwd: options.cwd, env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 20_000, maxBuffer: 16 * 1024 * 1024,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : (child.exitCode ?? 1)) : 0;
      resolve({ code, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** stderr is exactly one line `topicd: ...` matching `pattern`, and the exit code is non-zero. */
export function assertOneLineError(result: Run, pattern: RegExp): void {
  assert.notEqual(result.code, 0, `expected a failure; stdout: ${result.stdout}`);
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line on stderr, got: ${result.stderr}`);
  assert.match(lines[0] ?? '', /^topicd: /);
  assert.match(lines[0] ?? '', pattern);
}

let python: string | undefined;
/**
 * A python3 whose `requests` runs the AWS page's sample as printed. The sample passes
 * `cert=[cert, key]` as a list, which requests 2.32+ rejects ("unhashable type: 'list'",
 * psf/requests#6751); Debian 12's python3-requests (2.28, which .ci/run installs) accepts it.
 */
export function pythonForSamples(): string {
  if (python) return python;
  const check = 'import requests,sys; v=tuple(int(x) for x in requests.__version__.split(".")[:2]); sys.exit(0 if v < (2, 32) else 3)';
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(candidate, ['-c', check], { stdio: 'ignore' }).status === 0) return (python = candidate);
  }
  throw new Error('no python3 with requests < 2.32: install Debian\'s python3-requests (.ci/run does)');
}

export interface Spawned {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stdout or stderr (as chosen) contains `text`; rejects if the process exits first. */
  waitFor(stream: 'stdout' | 'stderr', text: string, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the built CLI as a child process (TOPICD_CONFIG cleared so a user's config cannot leak in). */
export function spawnCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Spawned {
  return spawnCommand('node', [CLI, ...args], options);
}

/** Runs a command as a child process whose output a test can wait for (TOPICD_CONFIG cleared). */
export function spawnCommand(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Spawned {
  const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, TOPICD_CONFIG: '', ...options.env } });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const poke = (): void => {
    for (const w of [...waiters]) w();
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; poke(); });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; poke(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => { resolve({ code, signal }); poke(); });
  });
  let hasExited = false;
  void exited.then(() => { hasExited = true; });
  return {
    child, exited,
    stdout: () => out,
    stderr: () => err,
    waitFor(stream, text, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`timed out waiting for "${text}" on ${stream}; stdout: ${out}; stderr: ${err}`)); }, timeoutMs);
        const check = (): void => {
          if ((stream === 'stdout' ? out : err).includes(text)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          } else if (hasExited || child.exitCode !== null) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`exited (${child.exitCode}) before "${text}" on ${stream}; stdout: ${out}; stderr: ${err}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** `topicd start` flags for ephemeral ports and quiet logs. */
export const EPHEMERAL = ['--https-port', '0', '--mqtt-port', '0', '--alpn-port', '0', '--control-port', '0', '--log-level', 'warn'];

/** Completes a TLS handshake (or not) and reports whether the server kept the connection, and the ALPN chosen. */
export function tlsHandshake(port: number, options: ConnectionOptions): Promise<{ ok: boolean; alpn: string | false | null; error?: string }> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: 'localhost', port, servername: 'localhost', ...options });
    socket.once('secureConnect', () => {
      // TLS 1.3 reports a refused client certificate only after the handshake: wait for a read.
      socket.once('data', () => undefined);
      setTimeout(() => {
        const alive = !socket.destroyed;
        const alpn = socket.alpnProtocol ?? null;
        socket.destroy();
        resolve({ ok: alive, alpn });
      }, 150);
    });
    socket.once('error', (err) => resolve({ ok: false, alpn: null, error: err.message }));
  });
}

/** A policy allowing every data-plane action everywhere: for tests about something other than policies. */
export const ALLOW_ALL_DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }],
});

/**
 * `topicd thing create NAME --out DIR` through the CLI, with a policy allowing everything (made on
 * first use) instead of the default thing policy, for tests whose topics are not `things/NAME/...`.
 */
export async function createThingAllowingAll(dataDir: string, name: string, outDir: string): Promise<Run> {
  await run('node', [CLI, 'policy', 'create', 'allow-all', '--document', ALLOW_ALL_DOCUMENT, '--data-dir', dataDir]);
  return run('node', [CLI, 'thing', 'create', name, '--out', outDir, '--policy', 'allow-all', '--data-dir', dataDir]);
}

/**
 * A `topicd start` child process on its own data dir that a test may kill and start again (the restart
 * tests): the data dir, a device dir for `createThingAllowingAll`, and the device's files.
 */
export class RestartableTopicd {
  readonly root: string;
  readonly dataDir: string;
  readonly deviceDir: string;
  server: Spawned | undefined;

  constructor(prefix: string, private readonly startArgs: readonly string[] = []) {
    this.root = mkdtempSync(join(tmpdir(), prefix));
    this.dataDir = join(this.root, 'data');
    this.deviceDir = join(this.root, 'device');
  }

  /** Starts topicd and resolves with its runtime.json once the banner says it is ready. */
  async start(): Promise<RuntimeInfo> {
    this.server = spawnCli(['start', '--data-dir', this.dataDir, ...this.startArgs, ...EPHEMERAL]);
    await this.server.waitFor('stdout', 'topicd is ready');
    return JSON.parse(readFileSync(join(this.dataDir, 'runtime.json'), 'utf8')) as RuntimeInfo;
  }

  /** The device's TLS files, as `thing create` wrote them. */
  files(): { ca: string; cert: string; key: string } {
    const read = (name: string): string => readFileSync(join(this.deviceDir, name), 'utf8');
    return { ca: read('root-CA.pem'), cert: read('device.pem.crt'), key: read('private.pem.key') };
  }

  /** Kills what still runs and removes the directory (a test file's `after`). */
  cleanup(): void {
    this.server?.child.kill('SIGKILL');
    rmSync(this.root, { recursive: true, force: true });
  }
}
