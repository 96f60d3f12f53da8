/**
 * @module cli/context
 * How a CLI command finds the topicd it talks to: the data dir (global `--data-dir`, TOPICD_DATA_DIR,
 * the config file's data-dir, or ./data here or up the tree), DATA/runtime.json (control URL, endpoint, ports, region) that a
 * running topicd writes, and DATA/credentials (the admin access key). Every failure here is a CliError
 * whose message is one line a user can act on.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DEFAULTS, loadConfig } from '../config/config.js';
import { CREDENTIALS_FILE, ROOT_CA_FILE, RUNTIME_FILE, type RuntimeInfo } from '../config/data-files.js';
import type { AccessKey, ControlClient } from './control-client.js';
import { CliError } from './errors.js';

/** The data dir's files the CLI reads (config/data-files is tiny: importing it loads nothing of the server). */
export const DATA_FILES = { runtime: RUNTIME_FILE, credentials: CREDENTIALS_FILE, rootCa: ROOT_CA_FILE } as const;

/** The default data dir's folder name (`./data`), the one looked for up the tree. */
const DEFAULT_DATA_FOLDER = basename(DEFAULTS.dataDir);

/** The global options every command sees (commander's optsWithGlobals). */
export interface GlobalOptions {
  dataDir?: string;
  controlUrl?: string;
}

export interface CommandContext {
  dataDir: string;
  /** undefined when no topicd is running in dataDir (only possible with --control-url). */
  runtime: RuntimeInfo | undefined;
  region: string;
}

/**
 * The data dir the same way `topicd start` resolves it: flag < env < config file < default, so a
 * topicd started with `--config` is found by the other commands given the same TOPICD_CONFIG. The
 * default, ./data, is looked for up the tree as well (as git looks for .git): from a folder inside
 * the checkout (README's `cd my-device`), the commands find the topicd `npm start` runs there.
 */
export function resolveDataDir(flag: string | undefined): string {
  if (flag !== undefined) return resolve(flag);
  let configured: string;
  try {
    configured = resolve(loadConfig({}).dataDir);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const fallback = resolve(DEFAULTS.dataDir);
  if (configured !== fallback) return configured;
  return nearestRunningDataDir(process.cwd()) ?? fallback;
}

/** The nearest `data/` from `from` up to the root that holds a running topicd's runtime.json. */
function nearestRunningDataDir(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, DEFAULT_DATA_FOLDER);
    if (existsSync(join(candidate, DATA_FILES.runtime))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Reads DATA/runtime.json; undefined when there is none. */
export function readRuntime(dataDir: string): RuntimeInfo | undefined {
  const path = join(dataDir, DATA_FILES.runtime);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    const info = JSON.parse(text) as Partial<RuntimeInfo>;
    if (typeof info.controlUrl !== 'string' || typeof info.endpoint !== 'string' || typeof info.mqttPort !== 'number') {
      throw new Error('missing controlUrl, endpoint or mqttPort');
    }
    return info as RuntimeInfo;
  } catch (err) {
    throw new CliError(`${path} is damaged (${(err as Error).message}); restart topicd to rewrite it`);
  }
}

export function noRunningTopicd(dataDir: string): CliError {
  return new CliError(`no running topicd found in ${dataDir} (start it with \`npm start\` or \`topicd start --data-dir ${dataDir}\`)`);
}

export function commandContext(options: GlobalOptions, needsRuntime: boolean): CommandContext {
  const dataDir = resolveDataDir(options.dataDir);
  const runtime = readRuntime(dataDir);
  if (!runtime && needsRuntime) throw noRunningTopicd(dataDir);
  return { dataDir, runtime, region: runtime?.region ?? process.env.TOPICD_REGION ?? 'us-east-1' };
}

/** Reads profile `default` of an AWS shared-credentials file. */
export function readAccessKey(path: string): AccessKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new CliError(`cannot read the credentials file ${path}: ${why}`);
  }
  let profile = '';
  const values: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (header) {
      profile = header[1] ?? '';
      continue;
    }
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (kv && profile === 'default') values[kv[1]?.toLowerCase() ?? ''] = kv[2] ?? '';
  }
  const accessKeyId = values.aws_access_key_id;
  const secretAccessKey = values.aws_secret_access_key;
  if (!accessKeyId || !secretAccessKey) {
    throw new CliError(`${path} has no aws_access_key_id / aws_secret_access_key in profile [default]`);
  }
  return { accessKeyId, secretAccessKey };
}

/** A control-plane client for the topicd of the data dir, or of --control-url. */
export async function controlClient(options: GlobalOptions): Promise<{ client: ControlClient; context: CommandContext }> {
  const context = commandContext(options, options.controlUrl === undefined);
  const url = options.controlUrl ?? context.runtime?.controlUrl;
  if (url === undefined) throw noRunningTopicd(context.dataDir);
  try {
    new URL(url);
  } catch {
    throw new CliError(`--control-url must be a URL such as http://127.0.0.1:9000, got "${url}"`);
  }
  const credentials = readAccessKey(join(context.dataDir, DATA_FILES.credentials));
  // Loaded here, not at the top: `sub` and `pub` never need the SigV4 libraries.
  const { ControlClient } = await import('./control-client.js');
  return { client: new ControlClient({ url, region: context.region, credentials }), context };
}
