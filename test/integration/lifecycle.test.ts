/**
 * AWS lifecycle events over real MQTT.js clients: presence connected/disconnected (with the reason)
 * and subscriptions subscribed/unsubscribed, with AWS's JSON fields; `#` does not see them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { collect, connectMqtt, createDevice, endClient, startTestTopicd, type Collector, type Device, type TestTopicd } from '../helpers/topicd.js';
import type { IClientOptions, MqttClient } from 'mqtt';

type Event = Record<string, unknown>;

describe('lifecycle events - $aws/events as AWS publishes them', () => {
  let topicd: TestTopicd;
  let device: Device;
  let watcher: MqttClient;
  let events: Collector;
  let everything: MqttClient;
  let all: Collector;

  before(async () => {
    topicd = await startTestTopicd();
    device = await createDevice(topicd, 'life-device');
    watcher = await connectMqtt(topicd, device, { clientId: 'watcher' });
    events = collect(watcher);
    await watcher.subscribeAsync('$aws/events/#', { qos: 1 });
    everything = await connectMqtt(topicd, device, { clientId: 'everything' });
    all = collect(everything);
    await everything.subscribeAsync('#', { qos: 1 });
  });
  after(async () => {
    await endClient(watcher);
    await endClient(everything);
    await topicd.stop();
  });

  const event = async (topic: string): Promise<Event> => JSON.parse((await events.waitForTopic(topic)).payload.toString()) as Event;

  it('lifecycle events - AWS: an IPv4 client\'s ipAddress is plain IPv4, not ::ffff:127.0.0.1', async () => {
    // The listener is dual-stack; a client that dials 127.0.0.1 arrives as an IPv4-mapped address.
    const client = await connectMqtt(topicd, device, { clientId: 'life-ipv4', host: '127.0.0.1', servername: 'localhost' } as IClientOptions);
    const connected = await event('$aws/events/presence/connected/life-ipv4');
    assert.equal(connected.ipAddress, '127.0.0.1');
    await endClient(client);
  });

  it('lifecycle events - connected, subscribed, unsubscribed, disconnected for one connection', async () => {
    const client = await connectMqtt(topicd, device, { clientId: 'life-1', protocolVersion: 5 });
    await client.subscribeAsync(['a/b', 'c/#'], { qos: 1 });
    await client.unsubscribeAsync('a/b');
    await endClient(client);

    const connected = await event('$aws/events/presence/connected/life-1');
    assert.deepEqual(Object.keys(connected).sort(), ['clientId', 'eventType', 'ipAddress', 'principalIdentifier', 'sessionIdentifier', 'timestamp', 'versionNumber']);
    assert.equal(connected.eventType, 'connected');
    assert.equal(connected.clientId, 'life-1');
    assert.equal(connected.principalIdentifier, device.certificateId);
    assert.match(String(connected.ipAddress), /^(127\.0\.0\.1|::1)$/, 'never the IPv4-mapped form');
    assert.equal(typeof connected.timestamp, 'number');

    const subscribed = await event('$aws/events/subscriptions/subscribed/life-1');
    assert.equal(subscribed.eventType, 'subscribed');
    assert.deepEqual(subscribed.topics, ['a/b', 'c/#']);
    assert.equal(subscribed.sessionIdentifier, connected.sessionIdentifier);
    const unsubscribed = await event('$aws/events/subscriptions/unsubscribed/life-1');
    assert.deepEqual(unsubscribed.topics, ['a/b']);

    const disconnected = await event('$aws/events/presence/disconnected/life-1');
    assert.equal(disconnected.clientInitiatedDisconnect, true);
    assert.equal(disconnected.disconnectReason, 'CLIENT_INITIATED_DISCONNECT');
    assert.equal(disconnected.sessionIdentifier, connected.sessionIdentifier);
    assert.equal(disconnected.versionNumber, connected.versionNumber);
  });

  it('lifecycle events - a lost connection and a takeover say why', async () => {
    const lost = await connectMqtt(topicd, device, { clientId: 'life-lost' });
    lost.stream.destroy();
    const gone = await event('$aws/events/presence/disconnected/life-lost');
    assert.equal(gone.disconnectReason, 'CONNECTION_LOST');
    assert.equal(gone.clientInitiatedDisconnect, false);
    lost.end(true);

    const first = await connectMqtt(topicd, device, { clientId: 'life-dup' });
    const second = await connectMqtt(topicd, device, { clientId: 'life-dup' });
    const dup = await event('$aws/events/presence/disconnected/life-dup');
    assert.equal(dup.disconnectReason, 'DUPLICATE_CLIENTID');
    first.end(true);
    await endClient(second);
  });

  it('lifecycle events - versionNumber rises with each connection of a client id', async () => {
    for (let i = 0; i < 2; i++) await endClient(await connectMqtt(topicd, device, { clientId: 'life-version' }));
    await events.waitFor(events.messages.length); // settle
    await new Promise((r) => setTimeout(r, 200));
    const versions = events.messages.filter((m) => m.topic === '$aws/events/presence/connected/life-version')
      .map((m) => (JSON.parse(m.payload.toString()) as Event).versionNumber);
    assert.equal(versions.length, 2);
    assert.equal(Number(versions[1]), Number(versions[0]) + 1);
  });

  it('lifecycle events - # does not match them', () => {
    assert.equal(all.messages.filter((m) => m.topic.startsWith('$')).length, 0);
  });
});
