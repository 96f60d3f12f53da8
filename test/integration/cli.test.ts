/**
 * The `topicd` CLI as a user runs it: the built dist/src/cli/main.js as child processes, against a
 * `topicd start` child on ephemeral ports. Covers every command, the one-line errors and exit codes,
 * and a clean SIGTERM.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, EPHEMERAL, assertOneLineError, run, spawnCli, type Run, type Spawned } from '../helpers/tools.js';

interface Runtime {
  controlUrl: string;
  endpoint: string;
  httpsPort: number;
  mqttPort: number;
}


describe('cli - the topicd command against a running topicd', () => {
  const root = mkdtempSync(join(tmpdir(), 'topicd-cli-'));
  const dataDir = join(root, 'data');
  const deviceDir = join(root, 'device');
  let server: Spawned;
  let runtime: Runtime;
  let certificateId = '';
  let certificateArn = '';

  const cli = (...args: string[]): Promise<Run> => run('node', [CLI, ...args, '--data-dir', dataDir], { env: { TOPICD_CONFIG: '' } });

  before(async () => {
    server = spawnCli(['start', '--data-dir', dataDir, ...EPHEMERAL]);
    await server.waitFor('stdout', 'topicd is ready', 30_000);
    runtime = JSON.parse(readFileSync(join(dataDir, 'runtime.json'), 'utf8')) as Runtime;
  });

  after(async () => {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('cli - start prints the banner with every listener and the next command', () => {
    const banner = server.stdout();
    assert.match(banner, new RegExp(`https://localhost:${runtime.httpsPort}/topics/`));
    assert.match(banner, new RegExp(`mqtts://localhost:${runtime.mqttPort}`));
    assert.match(banner, /root-CA\.pem/);
    assert.match(banner, /thing create/);
  });

  it('cli - describe-endpoint prints {"endpointAddress"} as the AWS CLI does', async () => {
    for (const args of [[], ['--endpoint-type', 'iot:Data-ATS']]) {
      const result = await cli('describe-endpoint', ...args);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `${JSON.stringify({ endpointAddress: 'localhost' }, null, 4)}\n`);
    }
  });

  it('cli - thing create writes the three files and a curl line that works', async () => {
    const result = await cli('thing', 'create', 'cli-device', '--out', deviceDir);
    assert.equal(result.code, 0, result.stderr);
    const id = /certificate id\s+([0-9a-f]{64})/.exec(result.stdout)?.[1];
    const arn = /certificate arn\s+(arn:aws:iot:\S+:cert\/[0-9a-f]{64})/.exec(result.stdout)?.[1];
    assert.ok(id && arn, result.stdout);
    certificateId = id;
    certificateArn = arn;
    assert.match(result.stdout, /created thing cli-device/);
    const cert = join(deviceDir, 'device.pem.crt');
    const key = join(deviceDir, 'private.pem.key');
    const ca = join(deviceDir, 'root-CA.pem');
    for (const f of [cert, key, ca]) assert.ok(result.stdout.includes(f), `prints ${f}`);
    assert.match(readFileSync(cert, 'utf8'), /BEGIN CERTIFICATE/);
    assert.match(readFileSync(key, 'utf8'), /PRIVATE KEY/);
    assert.equal(statSync(key).mode & 0o777, 0o600, 'private key is mode 0600');
    assert.equal(readFileSync(ca, 'utf8'), readFileSync(join(dataDir, 'root-CA.pem'), 'utf8'));

    const curl = result.stdout.split('\n').map((l) => l.trim()).find((l) => l.startsWith('curl '));
    assert.ok(curl, 'prints a curl line');
    assert.ok(curl.includes(`https://localhost:${runtime.httpsPort}/topics/things/cli-device/hello?qos=1`), curl);
    const published = await run('sh', ['-c', curl]);
    assert.equal(published.code, 0, published.stderr);
    assert.match(published.stdout, /^\{"message":"OK","traceId":"[0-9a-f-]{36}"\}$/);
  });

  it('cli - thing create refuses to overwrite existing files unless --force', async () => {
    const before = readFileSync(join(deviceDir, 'device.pem.crt'), 'utf8');
    const refused = await cli('thing', 'create', 'cli-device', '--out', deviceDir);
    assertOneLineError(refused, /already exist.*--force/);
    assert.equal(readFileSync(join(deviceDir, 'device.pem.crt'), 'utf8'), before, 'files untouched');

    const forcedDir = join(root, 'forced');
    assert.equal((await cli('thing', 'create', 'cli-forced', '--out', forcedDir)).code, 0);
    const forced = await cli('thing', 'create', 'cli-forced', '--out', forcedDir, '--force', '--json');
    assert.equal(forced.code, 0, forced.stderr);
    const out = JSON.parse(forced.stdout) as { thingName: string; certificateId: string; files: Record<string, string> };
    assert.equal(out.thingName, 'cli-forced');
    assert.match(readFileSync(join(forcedDir, 'device.pem.crt'), 'utf8'), /BEGIN CERTIFICATE/);
    assert.equal(statSync(join(forcedDir, 'private.pem.key')).mode & 0o777, 0o600);
  });

  it('cli - thing list and describe', async () => {
    const table = await cli('thing', 'list');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^THING NAME/);
    assert.match(table.stdout, /\ncli-device\s/);
    assert.match(table.stdout, /\ncli-forced\s/);

    const json = await cli('thing', 'list', '--json');
    assert.equal(json.code, 0, json.stderr);
    const names = (JSON.parse(json.stdout) as { things: Array<{ thingName: string }> }).things.map((t) => t.thingName).sort();
    assert.deepEqual(names, ['cli-device', 'cli-forced']);
    assert.ok(json.stdout.includes('\n    "things"'), '4-space indent like aws');

    const described = await cli('thing', 'describe', 'cli-device');
    assert.equal(described.code, 0, described.stderr);
    const thing = JSON.parse(described.stdout) as { thingName: string; thingArn: string };
    assert.equal(thing.thingName, 'cli-device');
    assert.match(thing.thingArn, /^arn:aws:iot:us-east-1:\d{12}:thing\/cli-device$/);
  });

  it('cli - cert list, describe and set-status', async () => {
    const table = await cli('cert', 'list');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^CERTIFICATE ID\s+STATUS/);
    assert.match(table.stdout, new RegExp(`\\n${certificateId}\\s+ACTIVE\\s`));

    const listed = JSON.parse((await cli('cert', 'list', '--json')).stdout) as { certificates: Array<{ certificateId: string; certificateArn: string }> };
    assert.equal(listed.certificates.find((c) => c.certificateId === certificateId)?.certificateArn, certificateArn);

    const status = async (): Promise<string> => {
      const described = await cli('cert', 'describe', certificateId);
      assert.equal(described.code, 0, described.stderr);
      return (JSON.parse(described.stdout) as { certificateDescription: { status: string } }).certificateDescription.status;
    };
    assert.equal(await status(), 'ACTIVE');
    const inactive = await cli('cert', 'set-status', certificateId, 'INACTIVE');
    assert.equal(inactive.code, 0, inactive.stderr);
    assert.match(inactive.stdout, /is now INACTIVE/);
    assert.equal(await status(), 'INACTIVE');
    assert.equal((await cli('cert', 'set-status', certificateId, 'active')).code, 0, 'status is case-insensitive');
    assert.equal(await status(), 'ACTIVE');

    assertOneLineError(await cli('cert', 'set-status', certificateId, 'BROKEN'), /ACTIVE, INACTIVE, REVOKED/);
    assertOneLineError(await cli('cert', 'describe', 'f'.repeat(64)), /^topicd: ResourceNotFoundException: /);
  });

  it('cli - sub --count receives pub messages byte for byte (text and --json)', async () => {
    const payload = 'héllo wörld ✓ {"quoted": "yes"}  two  spaces';
    const json = spawnCli(['sub', 'things/cli-device/cli/#', 'things/cli-device/other/+', '--certs', deviceDir, '--json', '--qos', '1', '--count', '2', '--data-dir', dataDir]);
    const text = spawnCli(['sub', 'things/cli-device/cli/text', '--certs', deviceDir, '--count', '1', '--data-dir', dataDir]);
    await json.waitFor('stderr', 'subscribed to things/cli-device/cli/#, things/cli-device/other/+');
    await text.waitFor('stderr', 'subscribed to things/cli-device/cli/text');

    const pub1 = await cli('pub', 'things/cli-device/cli/text', payload, '--certs', deviceDir, '--qos', '1');
    assert.equal(pub1.code, 0, pub1.stderr);
    assert.equal(pub1.stdout, '');
    const pub0 = await cli('pub', 'things/cli-device/other/zero', 'qos zero', '--certs', deviceDir, '--qos', '0', '--client-id', 'cli-device.publisher');
    assert.equal(pub0.code, 0, pub0.stderr);

    assert.deepEqual(await text.exited, { code: 0, signal: null });
    assert.equal(text.stdout(), `things/cli-device/cli/text ${payload}\n`);
    assert.deepEqual(await json.exited, { code: 0, signal: null });
    const lines = json.stdout().trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines, [
      { topic: 'things/cli-device/cli/text', payload, qos: 1, retain: false },
      { topic: 'things/cli-device/other/zero', payload: 'qos zero', qos: 0, retain: false },
    ]);
    assert.deepEqual(Buffer.from(lines[0]?.payload as string, 'utf8'), Buffer.from(payload, 'utf8'), 'byte for byte');
  });

  it('cli - the default thing policy: things/NAME/... only, and the thing\'s client ids', async () => {
    assertOneLineError(await cli('sub', '#', '--certs', deviceDir, '--count', '1'), /^topicd: subscription refused for # \(.*iot:Subscribe/);
    assertOneLineError(await cli('pub', 'elsewhere/x', 'm', '--certs', deviceDir, '--qos', '1'), /^topicd: cannot publish to elsewhere\/x on /);
    assertOneLineError(await cli('pub', 'things/other-device/x', 'm', '--certs', deviceDir, '--qos', '1'), /^topicd: cannot publish to things\/other-device\/x/);
    assertOneLineError(await cli('pub', 'things/cli-device/x', 'm', '--certs', deviceDir, '--client-id', 'someone-else'), /not authorized|refused|cannot connect/i);
    assert.equal((await cli('pub', 'things/cli-device/x', 'm', '--certs', deviceDir, '--client-id', 'cli-device')).code, 0, 'its own name');
  });

  it('cli - sub --json adds payloadBase64 for a payload that is not UTF-8', async () => {
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x41, 0x0a, 0xc3]);
    const file = join(root, 'binary.bin');
    writeFileSync(file, bytes);
    const sub = spawnCli(['sub', 'things/cli-device/bin/#', '--certs', deviceDir, '--json', '--count', '1', '--data-dir', dataDir]);
    await sub.waitFor('stderr', 'subscribed to things/cli-device/bin/#');
    const curl = await run('curl', ['-sS', '--cacert', join(deviceDir, 'root-CA.pem'), '--cert', join(deviceDir, 'device.pem.crt'),
      '--key', join(deviceDir, 'private.pem.key'), '--data-binary', `@${file}`, `https://localhost:${runtime.httpsPort}/topics/things/cli-device/bin/raw?qos=1`]);
    assert.equal(curl.code, 0, curl.stderr);
    assert.deepEqual(await sub.exited, { code: 0, signal: null });
    const line = JSON.parse(sub.stdout()) as { topic: string; payloadBase64: string };
    assert.equal(line.topic, 'things/cli-device/bin/raw');
    assert.deepEqual(Buffer.from(line.payloadBase64, 'base64'), bytes);
  });

  it('cli - pub with --retain is delivered retained to a later subscriber', async () => {
    assert.equal((await cli('pub', 'things/cli-device/cli/retained', 'kept', '--certs', deviceDir, '--qos', '1', '--retain')).code, 0);
    const sub = spawnCli(['sub', 'things/cli-device/cli/retained', '--certs', deviceDir, '--json', '--count', '1', '--data-dir', dataDir]);
    assert.deepEqual(await sub.exited, { code: 0, signal: null });
    assert.deepEqual(JSON.parse(sub.stdout()), { topic: 'things/cli-device/cli/retained', payload: 'kept', qos: 0, retain: true });
    await cli('pub', 'things/cli-device/cli/retained', '', '--certs', deviceDir, '--qos', '1', '--retain');
  });

  it('cli - thing delete detaches the certificates, then deletes the thing', async () => {
    const made = JSON.parse((await cli('thing', 'create', 'cli-doomed', '--out', join(root, 'doomed'), '--json')).stdout) as { certificateArn: string };
    const result = await cli('thing', 'delete', 'cli-doomed');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`detached ${made.certificateArn.replace(/[/]/g, '\\/')} from cli-doomed`));
    assert.match(result.stdout, /deleted thing cli-doomed/);
    assertOneLineError(await cli('thing', 'describe', 'cli-doomed'), /^topicd: ResourceNotFoundException: /);
  });

  it('cli - an unknown thing is exit 1 and one line naming ResourceNotFoundException', async () => {
    for (const args of [['thing', 'describe', 'no-such-thing'], ['thing', 'delete', 'no-such-thing']]) {
      const result = await cli(...args);
      assert.equal(result.code, 1);
      assertOneLineError(result, /^topicd: ResourceNotFoundException: \S/);
    }
  });

  it('cli - missing certificate files and bad flags are one line', async () => {
    const missing = await cli('pub', 't', 'm', '--certs', join(root, 'nowhere'));
    assertOneLineError(missing, /cannot read .*nowhere.*(root-CA|device)\.pem(\.crt)?: no such file/);
    assertOneLineError(await cli('pub', 't', 'm', '--certs', deviceDir, '--qos', '2'), /--qos/);
    assertOneLineError(await cli('thing', 'create', 'x'), /--out/);
  });

  it('cli - without a running topicd: the clear line, and connection refused', async () => {
    const empty = join(root, 'empty');
    const none = await run('node', [CLI, 'thing', 'list', '--data-dir', empty], { env: { TOPICD_CONFIG: '' } });
    assert.equal(none.code, 1);
    assert.equal(none.stderr, `topicd: no running topicd found in ${empty} (start it with \`npm start\` or \`topicd start --data-dir ${empty}\`)\n`);
    assertOneLineError(await run('node', [CLI, 'sub', '#', '--certs', deviceDir, '--data-dir', empty]), /no running topicd found/);

    // A port nobody listens on: a closed server's.
    const closed = await freePort();
    assertOneLineError(await cli('thing', 'list', '--control-url', `http://127.0.0.1:${closed}`), /cannot reach the control plane at http:\/\/127\.0\.0\.1:\d+: connection refused/);
    assertOneLineError(await cli('pub', 't', 'm', '--certs', deviceDir, '--port', String(closed)), /cannot connect to mqtts:\/\/localhost:\d+: connection refused/);
  });

  it('cli - topicd start on a port already in use exits 1 with one line naming the port and the flag', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await run('node', [CLI, 'start', '--data-dir', join(root, 'busy'), ...EPHEMERAL, '--https-port', String(port)], { env: { TOPICD_CONFIG: '' } });
      assert.equal(result.code, 1, result.stdout);
      assertOneLineError(result, new RegExp(`port ${port}.*--https-port`));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('cli - SIGTERM stops topicd cleanly: exit 0 and runtime.json removed', async () => {
    assert.ok(existsSync(join(dataDir, 'runtime.json')));
    server.child.kill('SIGTERM');
    const { code, signal } = await server.exited;
    assert.equal(signal, null);
    assert.equal(code, 0, server.stderr());
    assert.equal(existsSync(join(dataDir, 'runtime.json')), false);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
