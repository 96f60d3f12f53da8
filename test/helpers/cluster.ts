/**
 * @module test/helpers/cluster
 * A real cluster for a test: topicd nodes in this process on ephemeral ports, sharing a PostgreSQL
 * schema of the test's own (dropped by `stop`) and a nats-server of the test's own, the nodes sharing
 * one CA as an operator's nodes do (its two files copied into each node's data dir).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { ROOT_CA_FILE, ROOT_KEY_FILE } from '../../src/pki/certificate-authority.js';
import { dropSchemas, freshSchema, PG_URL } from '../unit/pg-schemas.js';
import { startNats, type TestNats } from './nats-server.js';
import { startTestTopicd, tempDir, type Device, type TestTopicd } from './topicd.js';
import { RestartableTopicd } from './tools.js';

export interface TestCluster {
  readonly nats: TestNats;
  readonly storeUrl: string;
  readonly nodes: TestTopicd[];
  /** Starts one more node (named `id`) in the cluster. */
  addNode(id: string, flags?: Record<string, unknown>): Promise<TestTopicd>;
  /** Stops every node still running, NATS, and drops the schema. */
  stop(): Promise<void>;
}

export async function startCluster(size: number, flags: Record<string, unknown> = {}): Promise<TestCluster> {
  const nats = await startNats();
  const storeUrl = `${PG_URL}?schema=${freshSchema()}`;
  const nodes: TestTopicd[] = [];
  const stopped = new Set<TestTopicd>();
  const addNode = async (id: string, more: Record<string, unknown> = {}): Promise<TestTopicd> => {
    const dataDir = tempDir('topicd-node-');
    const first = nodes[0];
    if (first !== undefined) {
      shareCa(first.dataDir, dataDir);
    }
    const node = await startTestTopicd({ dataDir, store: storeUrl, bus: nats.url, nodeId: id, ...flags, ...more });
    const stop = node.stop.bind(node);
    node.stop = async () => {
      if (stopped.has(node)) return;
      stopped.add(node);
      await stop();
    };
    nodes.push(node);
    return node;
  };
  for (let i = 0; i < size; i++) await addNode(`node-${i + 1}`);
  return {
    nats, storeUrl, nodes, addNode,
    async stop() {
      for (const node of nodes) await node.stop();
      await nats.stop();
      await dropSchemas();
    },
  };
}

/**
 * One more node of `cluster` as a `topicd start` child process (so a test can SIGSTOP or SIGKILL it),
 * named `nodeId`, with the cluster's CA in its data dir; started by the caller (`rig.start()`).
 */
export function childNode(cluster: TestCluster, prefix: string, nodeId: string, extraArgs: string[] = []): RestartableTopicd {
  const rig = new RestartableTopicd(prefix, ['--store', cluster.storeUrl, '--bus', cluster.nats.url, '--node-id', nodeId, ...extraArgs]);
  mkdirSync(rig.dataDir, { recursive: true });
  shareCa(cluster.nodes[0]!.dataDir, rig.dataDir);
  return rig;
}

/** The cluster's CA (certificate and key) into another node's data dir, as an operator copies it. */
function shareCa(fromDataDir: string, toDataDir: string): void {
  for (const file of [ROOT_CA_FILE, ROOT_KEY_FILE]) copyFileSync(join(fromDataDir, file), join(toDataDir, file));
}

/** MQTT clients over mutual TLS with a device's certificate, on any node's port, ended together after a test. */
export class DeviceClients {
  private readonly all: MqttClient[] = [];

  /** `device` is asked at each open: tests create theirs in `before`. */
  constructor(private readonly device: () => Device) {}

  async open(port: number, options: IClientOptions): Promise<MqttClient> {
    const { ca, cert, key } = this.device();
    return this.add(await mqtt.connectAsync(`mqtts://localhost:${port}`, { ca, cert, key, reconnectPeriod: 0, ...options }));
  }

  /** A client opened another way, ended with the others. */
  add(client: MqttClient): MqttClient {
    this.all.push(client);
    return client;
  }

  endAll(): void {
    for (const c of this.all) c.end(true);
  }
}
