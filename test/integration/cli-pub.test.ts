/**
 * `topicd pub` and `topicd sub` as a new user meets them: the built CLI as child processes against a
 * `topicd start` child on ephemeral ports. pub exits 0 only for a message the server accepted, and
 * otherwise prints one line naming the refusal (PUBACK, CONNACK, DISCONNECT reason, a 3.1.1 close,
 * TLS on either side); both work from inside the certificate folder without a data dir; and
 * `thing create` keeps the folder's private key out of git.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RuntimeInfo } from '../../src/config/data-files.js';
import { makeCa, makeSigned } from '../helpers/openssl.js';
import { CLI, EPHEMERAL, assertOneLineError, run, spawnCli, type Run, type Spawned } from '../helpers/tools.js';

describe('cli pub - acceptance is seen, refusals are named', () => {
  const root = mkdtempSync(join(tmpdir(), 'topicd-cli-pub-'));
  const dataDir = join(root, 'data');
  const device = join(root, 'dev');
  let server: Spawned;
  let runtime: RuntimeInfo;
  let certificateId = '';
  /** The CLI with no data dir of its own: the folder it runs in has none, and the env names none. */
  const bare = { TOPICD_CONFIG: '', TOPICD_DATA_DIR: '' };

  const cli = (...args: string[]): Promise<Run> => run('node', [CLI, ...args, '--data-dir', dataDir], { env: bare });
  const pub = (topic: string, ...args: string[]): Promise<Run> => cli('pub', topic, 'm', '--certs', device, ...args);

  before(async () => {
    server = spawnCli(['start', '--data-dir', dataDir, ...EPHEMERAL]);
    await server.waitFor('stdout', 'topicd is ready', 30_000);
    runtime = JSON.parse(readFileSync(join(dataDir, 'runtime.json'), 'utf8')) as RuntimeInfo;
    const made = await cli('thing', 'create', 'dev', '--out', device, '--json');
    assert.equal(made.code, 0, made.stderr);
    certificateId = (JSON.parse(made.stdout) as { certificateId: string }).certificateId;
  });

  after(async () => {
    server.child.kill('SIGKILL');
    await server.exited;
    rmSync(root, { recursive: true, force: true });
  });

  it('cli pub - the default is QoS 1 over MQTT 5: exit 0 once PUBACKed, delivered at QoS 1', async () => {
    const sub = spawnCli(['sub', 'things/dev/in', '--certs', device, '--qos', '1', '--json', '--count', '1', '--data-dir', dataDir]);
    await sub.waitFor('stderr', 'subscribed to things/dev/in');
    const result = await pub('things/dev/in');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.deepEqual(await sub.exited, { code: 0, signal: null });
    assert.equal((JSON.parse(sub.stdout()) as { qos: number }).qos, 1);
  });

  it('cli pub - refused by policy: v5 PUBACK 0x87, 3.1.1 a closed connection, QoS 0 on 3.1.1 too', async () => {
    assertOneLineError(await pub('elsewhere/x'),
      /^topicd: cannot publish to elsewhere\/x on mqtts:\/\/localhost:\d+: refused with PUBACK 0x87 not authorized \(may this certificate publish to elsewhere\/x\? `topicd policy test --action publish` tells\)$/);
    assertOneLineError(await pub('elsewhere/x', '--mqtt-version', '3.1.1'),
      /: the server closed the connection \(how MQTT 3\.1\.1 refuses a publish: is the topic valid, and may this certificate publish to elsewhere\/x\?/);
    // At QoS 0 a PINGREQ after the PUBLISH shows whether the server read it and kept the connection.
    assertOneLineError(await pub('elsewhere/x', '--mqtt-version', '3.1.1', '--qos', '0'), /: the server closed the connection/);
    assert.equal((await pub('things/dev/ok', '--mqtt-version', '3.1.1', '--qos', '0')).code, 0);
    // A retained publish needs iot:RetainPublish too; the default thing policy gives it under things/dev/.
    assert.equal((await pub('things/dev/kept', '--retain')).code, 0);
  });

  it('cli pub - [MQTT-3.3.2-2] a wildcard or empty topic is refused before connecting', async () => {
    // The port is closed: the answer comes without a server.
    const closed = ['--endpoint', 'localhost:1'];
    assertOneLineError(await pub('things/dev/+', ...closed), /^topicd: cannot publish to "things\/dev\/\+": topic must not contain the wildcards \+ or # \(wildcards are for `topicd sub`\)$/);
    assertOneLineError(await pub('things/dev/#', ...closed), /wildcards/);
    assertOneLineError(await cli('pub', '', 'm', '--certs', device, ...closed), /topic is empty/);
  });

  it('cli pub - a topic past the profile\'s limits: v5 names DISCONNECT 0x90, 3.1.1 the close', async () => {
    const deep = 'things/dev/1/2/3/4/5/6'; // 7 slashes, AWS's most: one more is too many
    assertOneLineError(await pub(`${deep}/7`), /: the server sent DISCONNECT 0x90 topic name invalid$/);
    assertOneLineError(await pub(`${deep}/7`, '--mqtt-version', '3.1.1'), /: the server closed the connection/);
  });

  it('cli pub - CONNACK refusal: a client id the policy does not allow (v5 0x87, 3.1.1 return code 5)', async () => {
    assertOneLineError(await pub('things/dev/x', '--client-id', 'someone-else'),
      /^topicd: cannot connect to mqtts:\/\/localhost:\d+: refused with CONNACK 0x87 not authorized \(is the certificate ACTIVE, and may it connect as someone-else\?/);
    assertOneLineError(await pub('things/dev/x', '--client-id', 'someone-else', '--mqtt-version', '3.1.1'),
      /refused with CONNACK return code 5 \(not authorized\)/);
  });

  it('cli pub - an INACTIVE certificate is refused at CONNACK; sub says the same', async () => {
    assert.equal((await cli('cert', 'set-status', certificateId, 'INACTIVE')).code, 0);
    try {
      assertOneLineError(await pub('things/dev/x'), /refused with CONNACK 0x87 not authorized \(is the certificate ACTIVE/);
      assertOneLineError(await cli('sub', 'things/dev/#', '--certs', device), /refused with CONNACK 0x87/);
    } finally {
      assert.equal((await cli('cert', 'set-status', certificateId, 'ACTIVE')).code, 0);
    }
  });

  it('cli pub - TLS: a certificate topicd does not know is cut off before CONNACK; a CA that is not the server\'s is named', async () => {
    const stranger = join(root, 'stranger');
    mkdirSync(stranger);
    const ca = makeCa(stranger, 'other-ca');
    const cert = makeSigned(stranger, ca, 'cert', 'stranger');
    copyFileSync(cert.certPath, join(stranger, 'device.pem.crt'));
    copyFileSync(cert.keyPath, join(stranger, 'private.pem.key'));
    copyFileSync(join(device, 'root-CA.pem'), join(stranger, 'root-CA.pem'));
    assertOneLineError(await cli('pub', 'things/dev/x', 'm', '--certs', stranger),
      /: the server closed the connection before CONNACK \(the certificate was not accepted: is it registered with this topicd, or issued by a CA registered with it\?\)$/);

    const wrongCa = join(root, 'wrong-ca');
    mkdirSync(wrongCa);
    for (const f of ['device.pem.crt', 'private.pem.key']) copyFileSync(join(device, f), join(wrongCa, f));
    copyFileSync(ca.certPath, join(wrongCa, 'root-CA.pem'));
    assertOneLineError(await cli('pub', 'things/dev/x', 'm', '--certs', wrongCa), /TLS: the server's certificate is not trusted: .*\(is root-CA\.pem this server's root CA/);
  });

  it('cli pub - from inside the certificate folder (--certs .): --endpoint, the data dir up the tree, or localhost:8883', async () => {
    const inside = { cwd: device, env: bare };
    const endpoint = `localhost:${runtime.mqttPort}`;
    const sub = spawnCli(['sub', 'things/dev/inside', '--certs', '.', '--endpoint', endpoint, '--count', '2'], inside);
    await sub.waitFor('stderr', 'subscribed to things/dev/inside');
    const viaEndpoint = await run('node', [CLI, 'pub', 'things/dev/inside', 'one', '--certs', '.', '--endpoint', endpoint], inside);
    assert.equal(viaEndpoint.code, 0, viaEndpoint.stderr);
    const viaPort = await run('node', [CLI, 'pub', 'things/dev/inside', 'two', '--certs', '.', '--endpoint', 'localhost', '--port', String(runtime.mqttPort)], inside);
    assert.equal(viaPort.code, 0, viaPort.stderr);
    assert.deepEqual(await sub.exited, { code: 0, signal: null });
    assert.equal(sub.stdout(), 'things/dev/inside one\nthings/dev/inside two\n');

    // No --endpoint: the data dir is looked for up the tree, as from README's `cd my-device`.
    const upTree = await run('node', [CLI, 'pub', 'things/dev/inside', 'three', '--certs', '.'], inside);
    assert.equal(upTree.code, 0, upTree.stderr);
    // A data dir named outright, with no topicd running in it, is an error that names it.
    const named = await run('node', [CLI, 'pub', 'things/dev/inside', 'four', '--certs', '.', '--data-dir', join(root, 'none')], inside);
    assertOneLineError(named, /no running topicd found in .*none.*; or give --endpoint HOST:PORT/);

    // A folder with no data dir anywhere up the tree: the default, localhost:8883 (whatever answers there, it is named).
    const away = mkdtempSync(join(tmpdir(), 'topicd-cli-away-'));
    try {
      for (const f of ['device.pem.crt', 'private.pem.key', 'root-CA.pem']) copyFileSync(join(device, f), join(away, f));
      const fallback = await run('node', [CLI, 'pub', 'things/dev/inside', 'five', '--certs', '.'], { cwd: away, env: bare });
      assertOneLineError(fallback, /^topicd: cannot connect to mqtts:\/\/localhost:8883: /);
      const withEndpoint = await run('node', [CLI, 'pub', 'things/dev/inside', 'six', '--certs', '.', '--endpoint', endpoint], { cwd: away, env: bare });
      assert.equal(withEndpoint.code, 0, withEndpoint.stderr);
    } finally {
      rmSync(away, { recursive: true, force: true });
    }
  });

  it('cli pub - --endpoint HOST:PORT forms: [::1]-style brackets, and a bad port is one line', async () => {
    assertOneLineError(await pub('things/dev/x', '--endpoint', 'localhost:99999'), /--endpoint's port must be 1-65535/);
    assertOneLineError(await pub('things/dev/x', '--endpoint', '[::1]:1'), /cannot connect to mqtts:\/\/\[::1\]:1: /);
  });

  it('cli thing create - the device folder stays out of git', async () => {
    const repo = join(root, 'repo');
    mkdirSync(repo);
    assert.equal((await run('git', ['init', '-q', repo])).code, 0);
    const git = async (): Promise<string> => (await run('git', ['-C', repo, 'status', '--porcelain', '--untracked-files=all'])).stdout;

    // A folder thing create makes: ignored whole.
    assert.equal((await cli('thing', 'create', 'git-new', '--out', join(repo, 'my-device'))).code, 0);
    assert.match(readFileSync(join(repo, 'my-device', '.gitignore'), 'utf8'), /^\*$/m);
    assert.equal(await git(), '');

    // An existing folder: its own files stay visible, the key does not.
    mkdirSync(join(repo, 'existing'));
    writeFileSync(join(repo, 'existing', 'notes.txt'), 'mine\n');
    const made = await cli('thing', 'create', 'git-existing', '--out', join(repo, 'existing'));
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /\.gitignore .*keeps the private key out of git/);
    const status = await git();
    assert.match(status, /existing\/notes\.txt/);
    assert.doesNotMatch(status, /private\.pem\.key/);

    // An existing .gitignore is added to, once.
    mkdirSync(join(repo, 'kept'));
    writeFileSync(join(repo, 'kept', '.gitignore'), 'build/');
    assert.equal((await cli('thing', 'create', 'git-kept', '--out', join(repo, 'kept'))).code, 0);
    assert.equal((await cli('thing', 'create', 'git-kept2', '--out', join(repo, 'kept'), '--force')).code, 0);
    const ignore = readFileSync(join(repo, 'kept', '.gitignore'), 'utf8');
    assert.match(ignore, /^build\/\n/);
    assert.equal(ignore.match(/^private\.pem\.key$/gm)?.length, 1);
    assert.doesNotMatch(await git(), /private\.pem\.key/);
    assert.ok(existsSync(join(repo, 'kept', 'private.pem.key')));
  });
});
