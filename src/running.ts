/**
 * @module running
 * The handle `startTopicd` (main.ts) gives back: the config, the bound ports, the paths a user needs,
 * the ready banner and the shutdown.
 */
import type { Config } from './config/config.js';
import type { Readiness } from './observe/health.js';
import type { DataPlanePorts } from './transports/data-plane.js';

export interface ListenerPorts extends DataPlanePorts {
  control: number;
}

export interface RunningTopicd {
  readonly config: Config;
  readonly accountId: string;
  readonly ports: ListenerPorts;
  readonly controlUrl: string;
  /** Absolute paths of DATA/root-CA.pem and DATA/credentials. */
  readonly caPath: string;
  readonly credentialsPath: string;
  /** The checks `GET /readyz` runs; a part started later (a bus) adds its own. */
  readonly readiness: Readiness;
  /** Warnings met while starting (443 not bound, ...), one line each. */
  readonly warnings: readonly string[];
  /** The ready banner: each listener's URL, the CA path, and the next command to run. */
  banner(): string;
  /** This node in its cluster: its name, and whether the bus reaches the other nodes now (a readiness check). */
  readonly cluster: { readonly nodeId: string; readonly clustered: boolean; readonly connected: boolean; onConnectedChange(listener: (connected: boolean) => void): void };
  /** Stops accepting, lets in-flight requests finish, flushes the store, closes everything. */
  close(): Promise<void>;
}
