/**
 * @module backends
 * The one place that names the concrete Store and Bus backends, for main.ts: SQLite in the data dir
 * or PostgreSQL (`--store`), the in-process bus or NATS (`--bus`), and this node's name (`--node-id`).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Bus } from './bus/bus.js';
import { LocalBus } from './bus/local-bus.js';
import { NatsBus } from './bus/nats-bus.js';
import type { Config } from './config/config.js';
import { DATABASE_FILE } from './config/data-files.js';
import type { Logger } from './observe/logger.js';
import { openPostgresStore } from './store/postgres/postgres-store.js';
import { SqliteStore } from './store/sqlite/sqlite-store.js';
import type { Store } from './store/store.js';

/** How long a start waits for NATS before it serves locally (and keeps trying). */
const BUS_START_WAIT_MS = 3000;

/** The configured node id, else the host name and the ports (and a random part where the ports are picked at random). */
export function nodeIdOf(config: Config): string {
  if (config.nodeId !== undefined) return config.nodeId;
  const host = hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40);
  const random = config.httpsPort === 0 || config.mqttPort === 0 ? `-${randomBytes(3).toString('hex')}` : '';
  return `${host}-${config.httpsPort}-${config.mqttPort}${random}`;
}

export async function openStore(config: Config, nodeId: string, onError: (err: unknown, context: string) => void): Promise<Store> {
  if (config.store === undefined) return SqliteStore.open(join(config.dataDir, DATABASE_FILE));
  return openPostgresStore({ url: config.store, applicationName: `topicd ${nodeId}`, onError: (err) => onError(err, 'store') });
}

/** The bus; NATS's state changes are logged (a node without NATS serves its own clients only). */
export async function openBus(config: Config, nodeId: string, log: Logger, onError: (err: unknown, context: string) => void): Promise<Bus> {
  if (config.bus === undefined) return new LocalBus(nodeId);
  const bus = new NatsBus({ url: config.bus, nodeId, onError });
  bus.onConnectedChange((connected) => {
    if (connected) log.info({ bus: config.bus, node: nodeId }, 'bus connected: this node is part of the cluster');
    else log.warn({ bus: config.bus, node: nodeId }, 'bus unreachable: serving this node\'s clients only until NATS is back');
  });
  if (!(await bus.ready(BUS_START_WAIT_MS))) log.warn({ bus: config.bus, node: nodeId }, 'bus unreachable at start: serving this node\'s clients only until NATS is back');
  return bus;
}
