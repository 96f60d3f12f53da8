/**
 * The iot-data API through real command-line clients: the AWS CLI v2 (`aws iot-data ...`, Debian's
 * /usr/bin/aws, SigV4 on the ALPN port with the admin credentials and `--ca-bundle root-CA.pem`, as a
 * backend calls AWS IoT), mosquitto_sub watching `$aws/things/+/shadow/update/delta` over TLS while a
 * shadow is updated over REST, and a shadow update that survives SIGKILL.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ControlClient } from '../../src/cli/control-client.js';
import { createDevice, readCredentials, startTestTopicd, type Device, type TestTopicd } from '../helpers/topicd.js';
import { RestartableTopicd, createThingAllowingAll, run, spawnCommand, type Run } from '../helpers/tools.js';

/** Debian's AWS CLI v2; a v1 `aws` may come first on PATH, so it is called by path. */
const AWS = '/usr/bin/aws';
const HAVE_AWS = existsSync(AWS);
if (!HAVE_AWS) process.stderr.write(`\n*** iot-data cli: ${AWS} is missing: the AWS CLI tests are SKIPPED (apt-get install awscli; CI installs it) ***\n\n`);

describe('iot-data cli - the AWS CLI v2, mosquitto_sub and SIGKILL', () => {
  let topicd: TestTopicd;
  let device: Device;
  let out: string;
  let env: NodeJS.ProcessEnv;

  const aws = (args: readonly string[], credentials?: { accessKeyId: string; secretAccessKey: string }): Promise<Run> => run(AWS, [
    'iot-data', ...args, '--endpoint-url', `https://localhost:${topicd.running.ports.alpn}`, '--ca-bundle', device.caPath,
    '--region', topicd.running.config.region, '--output', 'json', '--cli-binary-format', 'raw-in-base64-out',
  ], {
    env: credentials ? { ...env, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey } : env,
    timeoutMs: 30_000,
  });
  const ok = (r: Run): Run => {
    assert.equal(r.code, 0, `aws failed: ${r.stderr}`);
    return r;
  };
  const file = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(out, name), 'utf8')) as Record<string, unknown>;

  before(async () => {
    topicd = await startTestTopicd();
    device = await createDevice(topicd, 'cli-device');
    out = mkdtempSync(join(tmpdir(), 'topicd-aws-cli-'));
    const admin = readCredentials(topicd.running.credentialsPath);
    // Nothing of the machine's AWS setup may leak in: only these credentials, no config files.
    env = {
      PATH: process.env.PATH, HOME: out, AWS_ACCESS_KEY_ID: admin.accessKeyId, AWS_SECRET_ACCESS_KEY: admin.secretAccessKey,
      AWS_CONFIG_FILE: join(out, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(out, 'none'), AWS_PAGER: '',
    };
  });
  after(async () => {
    await topicd.stop();
    rmSync(out, { recursive: true, force: true });
  });

  it('iot-data cli - aws iot-data publish, get-retained-message and list-retained-messages', { skip: !HAVE_AWS && `${AWS} missing` }, async () => {
    ok(await aws(['publish', '--topic', 'cli/retained', '--qos', '1', '--retain', '--payload', '{"temp":21}']));
    const got = JSON.parse(ok(await aws(['get-retained-message', '--topic', 'cli/retained'])).stdout) as Record<string, unknown>;
    assert.equal(got.topic, 'cli/retained');
    assert.equal(Buffer.from(String(got.payload), 'base64').toString(), '{"temp":21}');
    assert.equal(got.qos, 1);
    const listed = JSON.parse(ok(await aws(['list-retained-messages'])).stdout) as { retainedTopics: Array<{ topic: string; payloadSize: number }> };
    assert.deepEqual(listed.retainedTopics.map((t) => [t.topic, t.payloadSize]), [['cli/retained', 11]]);
    const missing = await aws(['get-retained-message', '--topic', 'cli/none']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /ResourceNotFoundException/);
  });

  it('iot-data cli - aws iot-data update-, get-, delete-thing-shadow and list-named-shadows-for-thing', { skip: !HAVE_AWS && `${AWS} missing` }, async () => {
    ok(await aws(['update-thing-shadow', '--thing-name', 'cli-lamp', '--payload', '{"state":{"desired":{"on":true}}}', join(out, 'updated.json')]));
    assert.equal(file('updated.json').version, 1);
    ok(await aws(['update-thing-shadow', '--thing-name', 'cli-lamp', '--shadow-name', 'night', '--payload', '{"state":{"reported":{"dim":3}}}', join(out, 'named.json')]));
    ok(await aws(['get-thing-shadow', '--thing-name', 'cli-lamp', join(out, 'got.json')]));
    assert.deepEqual(file('got.json').state, { desired: { on: true }, delta: { on: true } });
    const named = JSON.parse(ok(await aws(['list-named-shadows-for-thing', '--thing-name', 'cli-lamp'])).stdout) as { results: string[] };
    assert.deepEqual(named.results, ['night']);
    ok(await aws(['delete-thing-shadow', '--thing-name', 'cli-lamp', join(out, 'deleted.json')]));
    assert.equal(file('deleted.json').version, 1);
    const gone = await aws(['get-thing-shadow', '--thing-name', 'cli-lamp', join(out, 'gone.json')]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /ResourceNotFoundException.*No shadow exists with name: 'cli-lamp'/);
  });

  it('iot-data cli - aws iot-data publish with a restricted access key is refused 403', { skip: !HAVE_AWS && `${AWS} missing` }, async () => {
    const admin = new ControlClient({ url: topicd.running.controlUrl, region: topicd.running.config.region, credentials: readCredentials(topicd.running.credentialsPath) });
    const key = await admin.request<{ accessKeyId: string; secretAccessKey: string }>('POST', '/topicd/access-keys');
    const refused = await aws(['publish', '--topic', 'cli/denied', '--payload', 'x'], key);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /ForbiddenException/);
  });

  it('iot-data cli - mosquitto_sub on $aws/things/+/shadow/update/delta sees the delta of a REST update', async () => {
    const sub = spawnCommand('/usr/bin/mosquitto_sub', [
      '-h', 'localhost', '-p', String(topicd.running.ports.mqtt), '--cafile', device.caPath, '--cert', device.certPath, '--key', device.keyPath,
      '-i', 'delta-watcher', '-V', 'mqttv311', '-q', '1', '-t', '$aws/things/+/shadow/update/delta', '-C', '1', '-v',
    ]);
    try {
      // The subscription is in place once the session shows up with it; a REST update before would be missed.
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const r = await run('curl', ['-sS', '--cacert', device.caPath, '--cert', device.certPath, '--key', device.keyPath, '-X', 'POST',
          '--data', `{"state":{"desired":{"mode":"eco-${Date.now()}"}}}`, `https://localhost:${topicd.running.ports.https}/things/mosq-thing/shadow`]);
        assert.match(r.stdout, /"version"/, r.stdout + r.stderr);
        if (sub.stdout().includes('update/delta')) break;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      await sub.waitFor('stdout', '$aws/things/mosq-thing/shadow/update/delta');
      const line = sub.stdout().trim();
      const json = JSON.parse(line.slice(line.indexOf(' ') + 1)) as { state: { mode: string }; version: number };
      assert.match(json.state.mode, /^eco-/);
      assert.ok(json.version >= 1);
    } finally {
      sub.child.kill('SIGTERM');
    }
  });
});

describe('iot-data restart - an accepted shadow update survives SIGKILL', () => {
  const rig = new RestartableTopicd('topicd-restart-shadow-');
  after(() => rig.cleanup());

  it('iot-data restart - a shadow update answered 200, then SIGKILL: after a restart the document and version are intact', async () => {
    let runtime = await rig.start();
    assert.equal((await createThingAllowingAll(rig.dataDir, 'kill-device', rig.deviceDir)).code, 0);
    const curl = (port: number, args: readonly string[]): Promise<Run> => run('curl', ['-sS', '--cacert', join(rig.deviceDir, 'root-CA.pem'),
      '--cert', join(rig.deviceDir, 'device.pem.crt'), '--key', join(rig.deviceDir, 'private.pem.key'), ...args, `https://localhost:${port}/things/kill-device/shadow`]);
    let last: Record<string, unknown> = {};
    for (let i = 1; i <= 5; i++) {
      last = JSON.parse((await curl(runtime.httpsPort, ['-X', 'POST', '--data', JSON.stringify({ state: { reported: { n: i } } })])).stdout) as Record<string, unknown>;
    }
    assert.equal(last.version, 5);
    rig.server!.child.kill('SIGKILL');
    await new Promise((resolve) => rig.server!.child.once('exit', resolve));
    runtime = await rig.start();
    const got = JSON.parse((await curl(runtime.httpsPort, [])).stdout) as { state: { reported: { n: number } }; version: number };
    assert.equal(got.version, 5);
    assert.deepEqual(got.state.reported, { n: 5 });
  });
});
