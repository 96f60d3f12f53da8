/**
 * @module main
 * Wiring only: builds the store, registry, CA, broker and listeners from one Config and hands back a
 * handle. `topicd start` (src/cli) and the tests call startTopicd; nothing else names a concrete backend.
 */
import type { Config } from './config/config.js';

export interface ListenerPorts {
  https: number;
  mqtt: number;
  /** null when the ALPN port could not be bound (443 without privileges): a warning, not an error. */
  alpn: number | null;
  control: number;
}

/** What the CLI reads from DATA/runtime.json to find a running topicd. */
export interface RuntimeInfo {
  pid: number;
  endpoint: string;
  region: string;
  accountId: string;
  controlUrl: string;
  httpsPort: number;
  mqttPort: number;
  alpnPort: number | null;
}

export const RUNTIME_FILE = 'runtime.json';
export const CREDENTIALS_FILE = 'credentials';
export const ROOT_CA_FILE = 'root-CA.pem';

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
