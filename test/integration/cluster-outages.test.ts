/**
 * Cluster outages (issue 12): NATS stopped under a running cluster (the test's own nats-server), and
 * PostgreSQL cut off from a node (through a TCP proxy the test controls; the machine's server stays up).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { collect, connectMqtt, createDevice, httpsPost, type Device, type TestTopicd } from '../helpers/topicd.js';
import { PG_URL } from '../unit/pg-schemas.js';

const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await settle(50);
  }
}

describe('cluster outages', () => {
  let cluster: TestCluster;
  let device: Device;
  const clients: MqttClient[] = [];
  const connect = async (node: TestTopicd, options: mqtt.IClientOptions = {}): Promise<MqttClient> => {
    const client = await connectMqtt(node, device, options);
    clients.push(client);
    return client;
  };

  before(async () => {
    cluster = await startCluster(2);
    device = await createDevice(cluster.nodes[0]!, 'outage-device');
  });
  after(async () => {
    for (const c of clients) c.end(true);
    await cluster.stop();
  });

  it('cluster outages - NATS unreachable: each node serves its own clients and says so; NATS back: the nodes hear each other again', async () => {
    const [a, b] = cluster.nodes as [TestTopicd, TestTopicd];
    const subA = await connect(a);
    const subB = await connect(b);
    const gotA = collect(subA);
    const gotB = collect(subB);
    await subA.subscribeAsync('outage/+', { qos: 1 });
    await subB.subscribeAsync('outage/+', { qos: 1 });
    const pub = await connect(a);
    const transitions: boolean[] = [];
    a.running.cluster.onConnectedChange((connected) => transitions.push(connected));
    assert.equal(a.running.cluster.connected, true);

    await cluster.nats.stop();
    await until('node 1 notices NATS is gone', () => !a.running.cluster.connected);
    await pub.publishAsync('outage/during', 'local', { qos: 1, retain: true });
    assert.equal((await gotA.waitForTopic('outage/during')).payload.toString(), 'local', 'served locally');

    await cluster.nats.start();
    await until('both nodes are back on NATS', () => a.running.cluster.connected && b.running.cluster.connected, 15_000);
    assert.deepEqual(transitions, [false, true]);
    await settle(500);
    await pub.publishAsync('outage/after', 'cluster', { qos: 1 });
    assert.equal((await gotB.waitForTopic('outage/after')).payload.toString(), 'cluster', 'across nodes again');
    // Node 2 caught up on what node 1 retained while they could not hear each other.
    const late = await connect(b);
    const gotLate = collect(late);
    await late.subscribeAsync('outage/during', { qos: 1 });
    assert.equal((await gotLate.waitForTopic('outage/during')).payload.toString(), 'local');
  });

  it('cluster outages - PostgreSQL unreachable from a node: nothing is acknowledged that was not stored, the client\'s connection ends; back: it serves again', async () => {
    const target = new URL(PG_URL);
    const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const port = await proxy.up();
    const url = new URL(cluster.storeUrl);
    url.port = String(port);
    const node = await cluster.addNode('behind-proxy', { store: url.toString() });
    const pub = await connect(node, { clientId: `pg-${Date.now()}` });
    await pub.publishAsync('pg/ok', 'stored', { qos: 1, retain: true });

    await proxy.down();
    const closed = new Promise<void>((resolve) => pub.once('close', () => resolve()));
    let acknowledged = false;
    pub.publish('pg/lost', 'not stored', { qos: 1, retain: true }, (err) => { if (!err) acknowledged = true; });
    await closed;
    assert.equal(acknowledged, false, 'no PUBACK for a message the store did not keep');
    // The iot-data API says so as AWS does: 503 ServiceUnavailableException, nothing written.
    const shadow = await httpsPost(node, device, '/things/outage-device/shadow', '{"state":{"reported":{"lost":true}}}');
    assert.equal(shadow.status, 503, shadow.body);
    assert.equal(shadow.headers['x-amzn-errortype'], 'ServiceUnavailableException');

    await proxy.up();
    const again = await mqtt.connectAsync(`mqtts://localhost:${node.running.ports.mqtt}`, { ca: device.ca, cert: device.cert, key: device.key, reconnectPeriod: 0 });
    clients.push(again);
    await again.publishAsync('pg/back', 'stored again', { qos: 1, retain: true });
    const read = await httpsPost(node, device, '/things/outage-device/shadow', '', { method: 'GET' });
    assert.ok(read.status === 404 || !read.body.includes('lost'), `the refused update was not kept: ${read.status} ${read.body}`);
    await proxy.down();
  });
});
