/**
 * Cluster failover (issue 12): a node of a real cluster (a `topicd start` child process on the shared
 * PostgreSQL and NATS) is killed with SIGKILL; its persistent client reconnects to another node and
 * resumes its session with what it was owed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { childNode, DeviceClients, startCluster, type TestCluster } from '../helpers/cluster.js';
import { collect, createDevice, type Device } from '../helpers/topicd.js';
import type { RestartableTopicd } from '../helpers/tools.js';

const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('cluster failover', () => {
  let cluster: TestCluster;
  let device: Device;
  let rig: RestartableTopicd;
  const clients = new DeviceClients(() => device);
  const open = (port: number, options: IClientOptions): Promise<MqttClient> => clients.open(port, options);

  before(async () => {
    cluster = await startCluster(1);
    device = await createDevice(cluster.nodes[0]!, 'failover-device');
    rig = childNode(cluster, 'topicd-failover-', 'doomed');
  });
  after(async () => {
    clients.endAll();
    rig.cleanup();
    await cluster.stop();
  });

  it('cluster failover - a node killed with SIGKILL: its persistent client resumes on another node with every acknowledged message; within seconds the cluster sends its clients\' wills and disconnected events', async () => {
    const doomed = await rig.start();
    const watcher = await open(cluster.nodes[0]!.running.ports.mqtt, { clientId: `watcher-${Date.now()}` });
    const seen = collect(watcher);
    await watcher.subscribeAsync(['wills/+', '$aws/events/presence/disconnected/+'], { qos: 1 });
    const willClientId = `willer-${Date.now()}`;
    await open(doomed.mqttPort, { clientId: willClientId, will: { topic: 'wills/doomed', payload: Buffer.from('gone'), qos: 1, retain: false } });
    const clientId = `failover-${Date.now()}`;
    const sub = await open(doomed.mqttPort, { clientId, clean: false, protocolVersion: 4 });
    await sub.subscribeAsync('failover/#', { qos: 1 });
    // It takes the first three and then stops acknowledging: the rest stay owed.
    let taken = 0;
    const handle = sub.handleMessage.bind(sub);
    sub.handleMessage = (packet, done) => {
      if (++taken <= 3) handle(packet, done);
    };
    await settle();
    const pub = await open(cluster.nodes[0]!.running.ports.mqtt, { clientId: `pub-${Date.now()}` });
    for (let i = 0; i < 10; i++) await pub.publishAsync(`failover/${i}`, String(i), { qos: 1 });
    await settle(800);
    rig.server!.child.kill('SIGKILL');
    assert.equal((await rig.server!.exited).signal, 'SIGKILL');
    const killedAt = Date.now();
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
    const owed = await got.waitFor(7, 5000);
    assert.deepEqual(owed.map((m) => m.payload.toString()), ['3', '4', '5', '6', '7', '8', '9']);
    // The dead node's lease runs out; one live node sends what the dead one would have.
    const will = await seen.waitForTopic('wills/doomed', 10_000);
    assert.equal(will.payload.toString(), 'gone');
    const event = await seen.waitForTopic(`$aws/events/presence/disconnected/${willClientId}`, 10_000);
    assert.equal((JSON.parse(event.payload.toString()) as { disconnectReason: string }).disconnectReason, 'CONNECTION_LOST');
    assert.ok(Date.now() - killedAt < 8000, `noticed after ${Date.now() - killedAt} ms`);
    await settle(1500);
    assert.equal(seen.messages.filter((m) => m.topic === 'wills/doomed').length, 1, 'sent once');
    // Its subscription came along. (Published once the dead node is noticed: until then a QoS 1
    // publish to its persistent subscribers' filters waits for it, and is refused at the timeout.)
    await pub.publishAsync('failover/after', 'after', { qos: 1 });
    assert.equal((await got.waitForTopic('failover/after')).payload.toString(), 'after');
  });
});
