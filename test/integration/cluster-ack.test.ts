/**
 * Cluster acknowledgements (issue 12): QoS 1 is acknowledged to the publisher only when every
 * persistent subscriber's copy is durable, on whichever node it lives. Node A runs in this process,
 * node B is a `topicd start` child process (so that it can be stopped with SIGSTOP and killed with
 * SIGKILL), both on the shared PostgreSQL and a nats-server of the test's own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { childNode, DeviceClients, startCluster, type TestCluster } from '../helpers/cluster.js';
import { collect, createDevice, type Device } from '../helpers/topicd.js';
import type { RestartableTopicd } from '../helpers/tools.js';

const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** The acknowledgement timeout the nodes run with (seconds). */
const TIMEOUT_S = 3;

/** The PUBACKs a client receives, by packet id. */
function pubacks(client: MqttClient): number[] {
  const seen: number[] = [];
  client.on('packetreceive', (packet) => {
    if (packet.cmd === 'puback' && packet.messageId !== undefined) seen.push(packet.messageId);
  });
  return seen;
}

/** Publishes at QoS 1 without waiting; resolves with the packet id it went out with. */
function publishNoWait(client: MqttClient, topic: string, payload: string): Promise<number> {
  return new Promise((resolve, reject) => {
    client.once('packetsend', (packet) => {
      if (packet.cmd === 'publish' && packet.messageId !== undefined) resolve(packet.messageId);
      else reject(new Error(`sent ${packet.cmd} first`));
    });
    client.publish(topic, payload, { qos: 1 }, () => undefined);
  });
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await settle(25);
  }
  return check();
}

describe('cluster acknowledgements', () => {
  let cluster: TestCluster;
  let device: Device;
  let rig: RestartableTopicd;
  const clients = new DeviceClients(() => device);
  const open = (port: number, options: IClientOptions): Promise<MqttClient> => clients.open(port, options);

  before(async () => {
    cluster = await startCluster(1, { clusterAckTimeout: TIMEOUT_S });
    device = await createDevice(cluster.nodes[0]!, 'ack-device');
    rig = childNode(cluster, 'topicd-ack-', 'node-b', ['--cluster-ack-timeout', String(TIMEOUT_S)]);
  });
  after(async () => {
    clients.endAll();
    rig.server?.child.kill('SIGCONT');
    rig.cleanup();
    await cluster.stop();
  });

  it('cluster acks - a PUBACK on node A waits for the persistent subscriber\'s copy on node B: none while B is stopped, then it comes; the copy outlives B\'s SIGKILL', { timeout: 60_000 }, async () => {
    const b = await rig.start();
    const clientId = `ack-sub-${Date.now()}`;
    const sub = await open(b.mqttPort, { clientId, clean: false, protocolVersion: 4 });
    await sub.subscribeAsync('ack/#', { qos: 1 });
    await settle(500);
    const pub = await open(cluster.nodes[0]!.running.ports.mqtt, { clientId: `ack-pub-${Date.now()}` });
    const acked = pubacks(pub);
    await pub.publishAsync('ack/0', 'zero', { qos: 1 });

    const child = rig.server!.child;
    child.kill('SIGSTOP');
    const id = await publishNoWait(pub, 'ack/1', 'one');
    await settle(1000);
    assert.ok(!acked.includes(id), 'no PUBACK while the subscriber\'s node is stopped');
    child.kill('SIGCONT');
    assert.ok(await until(() => acked.includes(id), TIMEOUT_S * 1000), 'the PUBACK came once node B answered');

    // The subscriber stops acknowledging: what comes next stays owed in its session.
    sub.handleMessage = () => undefined;
    await pub.publishAsync('ack/2', 'two', { qos: 1 });
    child.kill('SIGKILL');
    assert.equal((await rig.server!.exited).signal, 'SIGKILL');
    sub.end(true);

    const resumed = mqtt.connect(`mqtts://localhost:${cluster.nodes[0]!.running.ports.mqtt}`, {
      ca: device.ca, cert: device.cert, key: device.key, reconnectPeriod: 0, clientId, clean: false, protocolVersion: 4,
    });
    clients.add(resumed);
    const got = collect(resumed);
    const connack = await new Promise<mqtt.IConnackPacket>((resolve, reject) => {
      resumed.once('connect', resolve);
      resumed.once('error', reject);
    });
    assert.equal(connack.sessionPresent, true, 'the session was resumed');
    assert.equal((await got.waitForTopic('ack/2', 5000)).payload.toString(), 'two');
  });

  it('cluster acks - node B stopped past the timeout: the publisher on node A gets no PUBACK, its connection is closed', { timeout: 60_000 }, async () => {
    const b = await rig.start();
    const sub = await open(b.mqttPort, { clientId: `ack-sub2-${Date.now()}`, clean: false, protocolVersion: 4 });
    await sub.subscribeAsync('late/#', { qos: 1 });
    await settle(500);
    const pub = await open(cluster.nodes[0]!.running.ports.mqtt, { clientId: `ack-pub2-${Date.now()}` });
    const acked = pubacks(pub);
    let closedAt = 0;
    pub.once('close', () => { closedAt = Date.now(); });

    const child = rig.server!.child;
    child.kill('SIGSTOP');
    const sentAt = Date.now();
    const id = await publishNoWait(pub, 'late/1', 'never stored');
    assert.ok(await until(() => closedAt > 0, TIMEOUT_S * 1000 + 3000), 'the publisher\'s connection was closed');
    assert.ok(closedAt - sentAt >= TIMEOUT_S * 1000 - 200, `closed after ${closedAt - sentAt} ms, at the timeout`);
    assert.ok(!acked.includes(id), 'never a PUBACK for a copy not stored');
    child.kill('SIGKILL');
    await rig.server!.exited;
  });
});
