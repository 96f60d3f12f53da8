/**
 * Cluster (issue 12): topicd nodes sharing a real PostgreSQL and a real NATS. Devices are provisioned
 * through one node's control plane with the AWS SDK and connect to others with MQTT.js over mutual
 * TLS; HTTPS publishes are real HTTPS requests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DescribeThingCommand, DetachPolicyCommand, UpdateCertificateCommand } from '@aws-sdk/client-iot';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { attachPolicy, collect, connectMqtt, createDevice, endClient, httpsPost, type Collector, type Device } from '../helpers/topicd.js';
import { ALLOW_ALL_DOCUMENT } from '../helpers/tools.js';

const subscribe = (client: MqttClient, filter: string, qos: 0 | 1 = 1): Promise<void> =>
  new Promise((resolve, reject) => client.subscribe(filter, { qos }, (err) => (err ? reject(err) : resolve())));
const publish = (client: MqttClient, topic: string, payload: string, opts: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> =>
  new Promise((resolve, reject) => client.publish(topic, payload, { qos: opts.qos ?? 1, retain: opts.retain ?? false }, (err) => (err ? reject(err) : resolve())));
const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));
const closed = (client: MqttClient): Promise<number> => {
  const started = Date.now();
  return new Promise((resolve) => client.once('close', () => resolve(Date.now() - started)));
};

describe('cluster', () => {
  let cluster: TestCluster;
  let device: Device;
  const clients: MqttClient[] = [];
  const connect = async (node: number, options: Parameters<typeof connectMqtt>[2] = {}, who: Device = device): Promise<MqttClient> => {
    const client = await connectMqtt(cluster.nodes[node]!, who, options);
    clients.push(client);
    return client;
  };

  /** Connects with its collector listening from the start: what a resumed session is owed comes right behind CONNACK. */
  const connectCollecting = async (node: number, options: IClientOptions): Promise<{ client: MqttClient; got: Collector }> => {
    const client = mqtt.connect(`mqtts://localhost:${cluster.nodes[node]!.running.ports.mqtt}`, {
      ca: device.ca, cert: device.cert, key: device.key, reconnectPeriod: 0, connectTimeout: 5_000, ...options,
    });
    clients.push(client);
    const got = collect(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    return { client, got };
  };

  before(async () => {
    cluster = await startCluster(3);
    device = await createDevice(cluster.nodes[0]!, 'cluster-device');
  });
  after(async () => {
    for (const c of clients) c.end(true);
    await cluster.stop();
  });

  it('cluster - a device made through one node connects to every node, and every node\'s control plane describes it', async () => {
    for (const node of [0, 1, 2]) await endClient(await connect(node));
    for (const node of cluster.nodes) {
      assert.equal((await node.iot.send(new DescribeThingCommand({ thingName: 'cluster-device' }))).thingName, 'cluster-device');
    }
  });

  it('cluster - a message published on any node (MQTT, HTTPS) reaches every node\'s subscribers once per subscription, in order', async () => {
    const subB = await connect(1);
    const subB2 = await connect(1);
    const subC = await connect(2);
    const gotB = collect(subB);
    const gotB2 = collect(subB2);
    const gotC = collect(subC);
    await subscribe(subB, 'order/+');
    await subscribe(subB2, 'order/#');
    await subscribe(subC, 'order/1');
    await settle();
    const pub = await connect(0);
    for (let i = 0; i < 100; i++) await publish(pub, 'order/1', String(i), { qos: i % 2 === 0 ? 1 : 0 });
    const reply = await httpsPost(cluster.nodes[0]!, device, '/topics/order%2F1?qos=1', 'https');
    assert.equal(reply.status, 200);
    const expected = [...Array.from({ length: 100 }, (_, i) => String(i)), 'https'];
    // Node 2 has two subscriptions that match (one per client): each gets every message once, in order.
    for (const got of [gotB, gotB2, gotC]) assert.deepEqual((await got.waitFor(101, 10_000)).map((m) => m.payload.toString()), expected);
    await settle();
    for (const got of [gotB, gotB2, gotC]) assert.equal(got.messages.length, 101, 'no duplicates');
  });

  it('cluster - a message published over HTTPS on one node reaches an MQTT subscriber on another', async () => {
    const sub = await connect(2);
    const got = collect(sub);
    await subscribe(sub, 'https/in');
    await settle();
    const reply = await httpsPost(cluster.nodes[1]!, device, '/topics/https%2Fin?qos=1', '{"n":1}');
    assert.equal(reply.status, 200);
    assert.equal((await got.waitForTopic('https/in')).payload.toString(), '{"n":1}');
  });

  it('cluster - a retained message is seen from every node, and its deletion too', async () => {
    const pub = await connect(0);
    await publish(pub, 'retained/one', 'kept', { retain: true });
    await settle();
    for (const node of [1, 2]) {
      const sub = await connect(node);
      const got = collect(sub);
      await subscribe(sub, 'retained/one');
      const m = await got.waitForTopic('retained/one');
      assert.equal(m.payload.toString(), 'kept');
      assert.equal(m.packet.retain, true);
    }
    await publish(pub, 'retained/one', '', { retain: true });
    await settle();
    const late = await connect(2);
    const got = collect(late);
    await subscribe(late, 'retained/one');
    await settle();
    assert.equal(got.messages.length, 0, 'the deletion reached node 3 too');
  });

  it('cluster - a shared subscription gets each message once across the cluster', async () => {
    const members = [await connect(0), await connect(1), await connect(2)];
    const got = members.map((m) => collect(m));
    for (const m of members) await subscribe(m, '$share/workers/jobs/+');
    await settle();
    const pub = await connect(1);
    for (let i = 0; i < 60; i++) await publish(pub, `jobs/${i}`, String(i));
    await settle(800);
    const all = got.flatMap((g) => g.messages.map((m) => Number(m.payload.toString()))).sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: 60 }, (_, i) => i));
    assert.ok(got.filter((g) => g.messages.length > 0).length >= 2, 'shared across nodes');
  });

  it('cluster - the same client id on another node takes the session over: old connection closed within a second, subscriptions and owed messages move', async () => {
    const clientId = `takeover-${Date.now()}`;
    const first = await connect(0, { clientId, clean: false });
    await subscribe(first, 'owed/#');
    // The first connection stops acknowledging: what it is sent stays owed.
    first.handleMessage = () => undefined;
    const pub = await connect(2);
    for (let i = 0; i < 5; i++) await publish(pub, `owed/${i}`, String(i));
    await settle();
    const wasClosed = closed(first);
    const { got } = await connectCollecting(1, { clientId, clean: false });
    assert.ok((await wasClosed) < 1000, 'the old connection closed within a second');
    const owed = await got.waitFor(5, 5000);
    assert.deepEqual(owed.map((m) => m.payload.toString()), ['0', '1', '2', '3', '4']);
    // Its subscription moved: new messages reach it on node 2 without subscribing again.
    await publish(pub, 'owed/new', 'new');
    assert.equal((await got.waitForTopic('owed/new')).payload.toString(), 'new');
  });

  it('cluster - a certificate revoked through one node closes its connections on the others within a second', async () => {
    const victim = await createDevice(cluster.nodes[0]!, 'cluster-victim');
    const onB = await connect(1, {}, victim);
    const onC = await connect(2, {}, victim);
    const closes = [closed(onB), closed(onC)];
    await cluster.nodes[0]!.iot.send(new UpdateCertificateCommand({ certificateId: victim.certificateId, newStatus: 'REVOKED' }));
    for (const ms of await Promise.all(closes)) assert.ok(ms < 1000, `closed after ${ms} ms`);
    await assert.rejects(connectMqtt(cluster.nodes[2]!, victim));
  });

  it('cluster - a policy detached through one node applies to live connections on the others within a second', async () => {
    const held = await createDevice(cluster.nodes[0]!, 'cluster-policy', null);
    await attachPolicy(cluster.nodes[0]!, held.certificateArn, 'cluster-only-policy', ALLOW_ALL_DOCUMENT);
    await settle();
    const onC = await connect(2, {}, held);
    const wasClosed = closed(onC);
    await cluster.nodes[1]!.iot.send(new DetachPolicyCommand({ policyName: 'cluster-only-policy', target: held.certificateArn }));
    const ms = await wasClosed;
    assert.ok(ms < 1000, `closed after ${ms} ms`);
  });
});
