/**
 * The Device Shadow over MQTT under AWS IoT policies (reference §6, §8), with MQTT.js over mutual TLS:
 * a device whose policy is AWS's usual shadow policy (iot:Publish, iot:Subscribe and iot:Receive on its
 * own thing's shadow topics, through `${iot:Connection.Thing.ThingName}`) uses its shadow; another
 * thing's shadow topics are refused at SUBSCRIBE (0x80) and at PUBLISH (the connection is closed, as
 * AWS closes it), and the shadow of that other thing is left untouched.
 */
import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { GetThingShadowCommand, IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { MqttClient } from 'mqtt';
import { collect, connectMqtt, createDevice, endClient, readCredentials, startTestTopicd, type Device, type TestTopicd } from '../helpers/topicd.js';

const OWN_SHADOW_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:*:*:client/${iot:Connection.Thing.ThingName}' },
    { Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/$aws/things/${iot:Connection.Thing.ThingName}/shadow/*' },
    { Effect: 'Allow', Action: 'iot:Subscribe', Resource: 'arn:aws:iot:*:*:topicfilter/$aws/things/${iot:Connection.Thing.ThingName}/shadow/*' },
    { Effect: 'Allow', Action: 'iot:Receive', Resource: 'arn:aws:iot:*:*:topic/$aws/things/${iot:Connection.Thing.ThingName}/shadow/*' },
  ],
});

describe('shadow mqtt policies - a device on its own shadow only', () => {
  let topicd: TestTopicd;
  let device: Device;

  before(async () => {
    topicd = await startTestTopicd();
    device = await createDevice(topicd, 'thermostat', { name: 'own-shadow', document: OWN_SHADOW_POLICY });
  });
  after(() => topicd.stop());

  it('shadow mqtt policies - own shadow: subscribe, update, accepted and delta; another thing\'s: SUBACK 0x80, PUBLISH closes the connection', async () => {
    const client = await connectMqtt(topicd, device, { clientId: 'thermostat', protocolVersion: 4 });
    const got = collect(client);
    const granted = await suback(client, ['$aws/things/thermostat/shadow/update/accepted', '$aws/things/thermostat/shadow/update/delta', '$aws/things/other/shadow/update/accepted']);
    assert.deepEqual(granted, [1, 1, 128]);
    await client.publishAsync('$aws/things/thermostat/shadow/update', JSON.stringify({ state: { desired: { temp: 20 } }, clientToken: 'p1' }), { qos: 1 });
    const accepted = JSON.parse((await got.waitForTopic('$aws/things/thermostat/shadow/update/accepted')).payload.toString()) as { version: number; clientToken: string };
    assert.equal(accepted.version, 1);
    assert.equal(accepted.clientToken, 'p1');
    const delta = JSON.parse((await got.waitForTopic('$aws/things/thermostat/shadow/update/delta')).payload.toString()) as { state: unknown };
    assert.deepEqual(delta.state, { temp: 20 });

    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('$aws/things/other/shadow/update', JSON.stringify({ state: { desired: { temp: 99 } } }), { qos: 1 });
    await closed;
    client.end(true);
    // The other thing's shadow was never written.
    assert.equal((await fetchShadow(topicd, device, 'other')).status, 404);
  });

  it('shadow mqtt policies - a client with a wildcard subscription on $aws/things/+/shadow/# is judged by its policy (0x80 here)', async () => {
    const client = await connectMqtt(topicd, device, { clientId: 'thermostat', protocolVersion: 4 });
    try {
      assert.deepEqual(await suback(client, ['$aws/things/+/shadow/#']), [128]);
    } finally {
      await endClient(client);
    }
  });
});

/** The SUBACK's return codes (MQTT.js reports a refusal as an error that carries the packet). */
function suback(client: MqttClient, filters: string[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    client.subscribe(filters, { qos: 1 }, (err, granted) => {
      const packet = (err as (Error & { packet?: { granted?: Array<number | { qos: number }> } }) | null)?.packet;
      if (packet?.granted) return resolve(packet.granted.map((g) => (typeof g === 'number' ? g : g.qos)));
      if (err) return reject(err);
      resolve((granted ?? []).map((g) => g.qos));
    });
  });
}

/** GetThingShadow with the admin key (the device's own policy allows no REST call). */
async function fetchShadow(topicd: TestTopicd, device: Device, thingName: string): Promise<{ status: number; body: string }> {
  const sdk = new IoTDataPlaneClient({
    endpoint: `https://localhost:${topicd.running.ports.alpn}`, region: topicd.running.config.region, maxAttempts: 1,
    credentials: readCredentials(topicd.running.credentialsPath), requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: device.ca }) }),
  });
  try {
    const out = await sdk.send(new GetThingShadowCommand({ thingName }));
    return { status: 200, body: Buffer.from(out.payload ?? []).toString() };
  } catch (err) {
    return { status: (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0, body: (err as Error).message };
  } finally {
    sdk.destroy();
  }
}
