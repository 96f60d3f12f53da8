/**
 * @module config/data-files
 * The names of the files topicd keeps in its data dir, and the shape of runtime.json, in one small
 * module that the server and the CLI both import (the CLI without loading the server).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from './private-files.js';

export const ROOT_CA_FILE = 'root-CA.pem';
export const ROOT_KEY_FILE = 'root-CA.key';
export const SERVER_CERT_FILE = 'server.pem.crt';
export const SERVER_KEY_FILE = 'server.private.pem.key';
export const DATABASE_FILE = 'topicd.db';
/** The key that seals the access keys' secrets in the database (AES-256-GCM), kept beside it; without it they cannot be read. */
export const SECRETS_KEY_FILE = 'secrets.key';
/** The admin access key, as an AWS shared-credentials file. */
export const CREDENTIALS_FILE = 'credentials';
/** Written while topicd runs, removed when it stops: how the CLI finds it. */
export const RUNTIME_FILE = 'runtime.json';

/** What DATA/runtime.json holds. */
export interface RuntimeInfo {
  pid: number;
  endpoint: string;
  region: string;
  accountId: string;
  controlUrl: string;
  httpsPort: number;
  mqttPort: number;
  alpnPort: number | null;
  /** null unless the plain-TCP development listener is on. */
  mqttPlainPort: number | null;
  /** null unless --ws-port was given. */
  wsPort: number | null;
}

/** Writes DATA/runtime.json (0600: it names the control plane) and returns what removes it. */
export function writeRuntime(dataDir: string, info: RuntimeInfo): () => Promise<void> {
  const path = join(dataDir, RUNTIME_FILE);
  writePrivateFile(path, `${JSON.stringify(info, null, 2)}\n`);
  return async () => rmSync(path, { force: true });
}
