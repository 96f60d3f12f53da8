/**
 * aws-iot-device-sdk-v2 against topicd: its `mqtt` (3.1.1) and `mqtt5` clients connect with mutual
 * TLS as they do to AWS IoT (ALPN x-amzn-mqtt-ca on 443, a metrics username), subscribe and round-trip
 * publishes byte for byte, and an HTTPS publish reaches them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { iot, mqtt, mqtt5 } from 'aws-iot-device-sdk-v2';
import { createDevice, startTestTopicd, type Device, type TestTopicd } from '../helpers/topicd.js';
import { run } from '../helpers/tools.js';

function waitFor<T>(register: (resolve: (value: T) => void) => void, what: string, timeoutMs = 5_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

describe('aws device sdk v2 - real AWS device clients', () => {
  let topicd: TestTopicd;
  let device: Device;

  before(async () => {
    topicd = await startTestTopicd();
    device = await createDevice(topicd, 'sdk-device');
  });
  after(() => topicd.stop());

  const curlPublish = (topic: string, body: string) => run('curl', ['-sS', '--cacert', device.caPath, '--cert', device.certPath, '--key', device.keyPath,
    '--data-binary', body, `https://localhost:${topicd.running.ports.https}/topics/${encodeURIComponent(topic)}?qos=1`]);

  for (const port of ['mqtt', 'alpn'] as const) {
    it(`aws device sdk v2 - mqtt (3.1.1) client on the ${port} port: subscribe, publish, receive`, async () => {
      const config = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder_from_path(device.certPath, device.keyPath)
        .with_certificate_authority_from_path(undefined, device.caPath)
        .with_endpoint('localhost')
        .with_port(topicd.running.ports[port]!)
        .with_client_id(`sdk-v4-${port}`)
        .with_clean_session(true)
        .build();
      const connection = new mqtt.MqttClient().new_connection(config);
      await connection.connect();
      try {
        const got: Array<{ topic: string; payload: Buffer }> = [];
        await connection.subscribe(`sdk/${port}/#`, mqtt.QoS.AtLeastOnce, (topic, payload) => {
          got.push({ topic, payload: Buffer.from(payload) });
        });
        const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff]);
        await connection.publish(`sdk/${port}/bin`, bytes, mqtt.QoS.AtLeastOnce);
        assert.match((await curlPublish(`sdk/${port}/https`, 'from curl')).stdout, /"OK"/);
        const deadline = Date.now() + 5_000;
        while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        assert.deepEqual(got.map((g) => g.topic).sort(), [`sdk/${port}/bin`, `sdk/${port}/https`]);
        assert.deepEqual(got.find((g) => g.topic.endsWith('/bin'))?.payload, bytes);
        assert.equal(got.find((g) => g.topic.endsWith('/https'))?.payload.toString(), 'from curl');
      } finally {
        await connection.disconnect();
      }
    });
  }

  for (const port of ['mqtt', 'alpn'] as const) {
    it(`aws device sdk v2 - mqtt5 client on the ${port} port: subscribe, publish, receive`, async () => {
      const config = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromPath('localhost', device.certPath, device.keyPath)
        .withCertificateAuthorityFromPath(undefined, device.caPath)
        .withPort(topicd.running.ports[port]!)
        .withConnectProperties({ clientId: `sdk-v5-${port}`, keepAliveIntervalSeconds: 60 })
        .build();
      const client = new mqtt5.Mqtt5Client(config);
      const received: Array<{ topic: string; payload: Buffer; userProperties: unknown }> = [];
      client.on('messageReceived', (event) => {
        const p = event.message;
        received.push({ topic: p.topicName, payload: Buffer.from(p.payload as ArrayBuffer), userProperties: p.userProperties });
      });
      const connected = waitFor<void>((resolve) => client.once('connectionSuccess', () => resolve()), 'connectionSuccess');
      client.start();
      await connected;
      try {
        const suback = await client.subscribe({ subscriptions: [{ topicFilter: `sdk5/${port}/#`, qos: mqtt5.QoS.AtLeastOnce }] });
        assert.equal(suback.reasonCodes[0], mqtt5.SubackReasonCode.GrantedQoS1);
        const puback = await client.publish({
          topicName: `sdk5/${port}/t`, qos: mqtt5.QoS.AtLeastOnce, payload: Buffer.from('hello from mqtt5'),
          userProperties: [{ name: 'deviceName', value: 'alpha' }],
        });
        assert.equal((puback as mqtt5.PublishCompletionResult & { reasonCode?: number })?.reasonCode ?? 0, 0);
        const deadline = Date.now() + 5_000;
        while (received.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        assert.equal(received[0]?.topic, `sdk5/${port}/t`);
        assert.equal(received[0]?.payload.toString(), 'hello from mqtt5');
        assert.deepEqual(received[0]?.userProperties, [{ name: 'deviceName', value: 'alpha' }]);
      } finally {
        const stopped = waitFor<void>((resolve) => client.once('stopped', () => resolve()), 'stopped');
        client.stop();
        await stopped;
        client.close();
      }
    });
  }
});
