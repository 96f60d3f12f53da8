/**
 * The seed path end to end: the AWS HTTPS page's three samples and `topicd pub` publish to topicd,
 * and MQTT.js subscribers on `#` (3.1.1 and 5) receive each message byte for byte.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import { collect, connectMqtt, createDevice, endClient, startTestTopicd, type Device, type TestTopicd } from '../helpers/topicd.js';
import { CLI, REPO_ROOT, pythonForSamples, run } from '../helpers/tools.js';

const SAMPLES = join(REPO_ROOT, 'test', 'samples');
const sample = (name: string): string => readFileSync(join(SAMPLES, name), 'utf8');
const OK = /^\{"message":"OK","traceId":"[0-9a-f-]{36}"\}$/;

describe('aws samples - HTTPS publish reaches MQTT subscribers on #', () => {
  let topicd: TestTopicd;
  let device: Device;
  /** The samples' device, with only the policy docs/policies/aws-samples.json (docs/security.md shows it). */
  let samples: Device;
  let sub4: MqttClient;
  let sub5: MqttClient;
  let got4: ReturnType<typeof collect>;
  let got5: ReturnType<typeof collect>;

  before(async () => {
    topicd = await startTestTopicd();
    device = await createDevice(topicd, 'sample-device');
    samples = await createDevice(topicd, 'aws-samples-device', { name: 'aws-samples', document: readFileSync(join(REPO_ROOT, 'docs', 'policies', 'aws-samples.json'), 'utf8') });
    const watcher = await createDevice(topicd, 'watcher');
    sub4 = await connectMqtt(topicd, watcher, { protocolVersion: 4 });
    sub5 = await connectMqtt(topicd, watcher, { protocolVersion: 5 });
    got4 = collect(sub4);
    got5 = collect(sub5);
    await sub4.subscribeAsync('#', { qos: 1 });
    await sub5.subscribeAsync('#', { qos: 1 });
  });

  after(async () => {
    await endClient(sub4);
    await endClient(sub5);
    await topicd.stop();
  });

  /** Both subscribers receive a message on this topic with exactly these bytes. */
  async function expectDelivered(topic: string, payload: Buffer): Promise<void> {
    for (const got of [got4, got5]) {
      const m = await got.waitForTopic(topic);
      assert.deepEqual(m.payload, payload, 'payload byte for byte');
    }
  }

  it('aws samples - the page\'s curl command', async () => {
    const script = sample('publish-curl.sh')
      .replace('Amazon-root-CA-1.pem', 'root-CA.pem')
      .replace('IoT_data_endpoint:8443', `localhost:${topicd.running.ports.https}`);
    const result = await run('bash', ['-c', script], { cwd: samples.dir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, OK);
    await expectDelivered('topic', Buffer.from('{ "message": "Hello, world" }'));
  });

  it('aws samples - the page\'s Python requests sample (CA through REQUESTS_CA_BUNDLE)', async () => {
    const script = join(samples.dir, 'publish-requests.py');
    writeFileSync(script, sample('publish-requests.py').replace("':8443/topics/'", `':${topicd.running.ports.https}/topics/'`));
    const result = await run(pythonForSamples(), [script,
      '--endpoint', 'localhost', '--cert', samples.certPath, '--key', samples.keyPath,
      '--topic', 'test/topic', '--message', 'Hello from requests ✓'],
    { env: { REQUESTS_CA_BUNDLE: samples.caPath } });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Response status: {2}200\nResponse body: \{"message":"OK","traceId":"[0-9a-f-]{36}"\}\n$/);
    await expectDelivered('test/topic', Buffer.from('Hello from requests ✓'));
  });

  it('aws samples - the page\'s Python http.client sample with ALPN x-amzn-http-ca on the ALPN port', async () => {
    const alpnPort = topicd.running.ports.alpn;
    assert.ok(alpnPort, 'the ALPN port is listening');
    const script = join(samples.dir, 'publish-alpn.py');
    writeFileSync(script, sample('publish-http-client-alpn.py')
      .replace('./<root_certificate>', './root-CA.pem')
      .replace('./<certificate_in_PEM_Format>', './device.pem.crt')
      .replace('<private_key_in_PEM_format>', 'private.pem.key')
      .replace("'<the ats IoT endpoint>', 443", `'localhost', ${alpnPort}`)
      .replace("'Hello, I'm using", "'Hello, I\\'m using"));
    const result = await run(pythonForSamples(), [script], { cwd: samples.dir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout.trim(), OK);
    await expectDelivered('device/message', Buffer.from(JSON.stringify({ data: "Hello, I'm using TLS Client authentication!" }).replace(/":"/, '": "')));
  });

  it('aws samples - the samples\' policy allows their topics and nothing else', async () => {
    const refused = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', samples.caPath, '--cert', samples.certPath,
      '--key', samples.keyPath, '--data', 'x', `https://localhost:${topicd.running.ports.https}/topics/elsewhere?qos=1`]);
    assert.equal(refused.stdout, '403');
  });

  it('aws samples - topicd pub', async () => {
    const result = await run('node', [CLI, 'pub', 'things/sample-device/hello', 'héllo from the CLI', '--certs', device.dir, '--qos', '1', '--data-dir', topicd.dataDir]);
    assert.equal(result.code, 0, result.stderr);
    await expectDelivered('things/sample-device/hello', Buffer.from('héllo from the CLI'));
  });

  it('aws samples - binary bodies pass through untouched whatever the Content-Type', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const file = join(device.dir, 'bytes.bin');
    writeFileSync(file, bytes);
    const result = await run('curl', ['-sS', '--cacert', device.caPath, '--cert', device.certPath, '--key', device.keyPath,
      '-H', 'Content-Type: text/plain', '--data-binary', `@${file}`,
      `https://localhost:${topicd.running.ports.https}/topics/bin%2Fdata?qos=0`]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, OK);
    await expectDelivered('bin/data', bytes);
  });

  for (const protocolVersion of [4, 5] as const) {
    for (const qos of [0, 1] as const) {
      it(`aws samples - MQTT.js v${protocolVersion === 4 ? '3.1.1' : '5'} publish at QoS ${qos} reaches the subscribers`, async () => {
        const pub = await connectMqtt(topicd, device, { protocolVersion });
        const payload = Buffer.from(`mqtt v${protocolVersion} qos ${qos} \u0000\u00ff`, 'latin1');
        await pub.publishAsync(`mqtt/v${protocolVersion}/q${qos}`, payload, { qos });
        await expectDelivered(`mqtt/v${protocolVersion}/q${qos}`, payload);
        await endClient(pub);
      });
    }
  }
});
