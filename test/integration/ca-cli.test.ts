/**
 * `topicd ca ...` and `topicd cert register` as a user runs them: the built CLI as child processes
 * against a `topicd start` child, with a CA and device certificates made by the openssl CLI. The
 * registered device then publishes over HTTPS with curl.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeCa, makeSigned } from '../helpers/openssl.js';
import { tempDir } from '../helpers/topicd.js';
import { ALLOW_ALL_DOCUMENT, CLI, EPHEMERAL, run, spawnCli, type Run, type Spawned } from '../helpers/tools.js';

/** stderr is one line `topicd: ...` matching `pattern`, and the exit code is non-zero. */
function assertOneLineError(result: Run, pattern: RegExp): void {
  assert.notEqual(result.code, 0, `expected a failure; stdout: ${result.stdout}`);
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line on stderr, got: ${result.stderr}`);
  assert.match(lines[0] ?? '', /^topicd: /);
  assert.match(lines[0] ?? '', pattern);
}

describe('ca-cli - topicd ca and cert register against a running topicd', () => {
  const root = tempDir('topicd-ca-cli-');
  const dataDir = join(root, 'data');
  let server: Spawned;
  let httpsPort = 0;

  const cli = (...args: string[]): Promise<Run> => run('node', [CLI, ...args, '--data-dir', dataDir], { env: { TOPICD_CONFIG: '' } });
  const ok = async (...args: string[]): Promise<string> => {
    const result = await cli(...args);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  };
  const publish = async (certPath: string, keyPath: string): Promise<string> => (await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}',
    '--cacert', join(dataDir, 'root-CA.pem'), '--cert', certPath, '--key', keyPath, '--data', 'x', `https://localhost:${httpsPort}/topics/ca-cli`])).stdout;

  before(async () => {
    server = spawnCli(['start', '--data-dir', dataDir, ...EPHEMERAL]);
    await server.waitFor('stdout', 'topicd is ready', 30_000);
    httpsPort = (JSON.parse(readFileSync(join(dataDir, 'runtime.json'), 'utf8')) as { httpsPort: number }).httpsPort;
  });

  after(async () => {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('ca-cli - registration-code prints the code alone (and as JSON with --json)', async () => {
    const code = (await ok('ca', 'registration-code')).trim();
    assert.match(code, /^[0-9a-f]{64}$/);
    assert.deepEqual(JSON.parse(await ok('ca', 'registration-code', '--json')), { registrationCode: code });
  });

  it('ca-cli - ca register, ca list, cert register --ca-cert --active: the device then publishes', async () => {
    const code = (await ok('ca', 'registration-code')).trim();
    const ca = makeCa(root, 'cli-ca');
    const verification = makeSigned(root, ca, 'cli-verification', code);
    const device = makeSigned(root, ca, 'cli-device');
    assert.equal(await publish(device.certPath, device.keyPath), '000');

    assertOneLineError(await cli('ca', 'register', '--ca-cert', ca.certPath), /--verification-cert is required/);
    assertOneLineError(await cli('ca', 'register', '--ca-cert', join(root, 'missing.pem'), '--sni-only'), /cannot read --ca-cert .*no such file/);
    const wrong = makeSigned(root, ca, 'cli-wrong', 'not-the-code');
    assertOneLineError(await cli('ca', 'register', '--ca-cert', ca.certPath, '--verification-cert', wrong.certPath), /^topicd: RegistrationCodeValidationException: /);

    const registered = JSON.parse(await ok('ca', 'register', '--ca-cert', ca.certPath, '--verification-cert', verification.certPath,
      '--set-as-active')) as { certificateId: string; certificateArn: string };
    assert.match(registered.certificateArn, /:cacert\/[0-9a-f]{64}$/);
    assert.match(await ok('ca', 'list'), new RegExp(`${registered.certificateId}\\s+ACTIVE`));
    const listed = JSON.parse(await ok('ca', 'list', '--json')) as { certificates: Array<{ certificateId: string }> };
    assert.deepEqual(listed.certificates.map((c) => c.certificateId), [registered.certificateId]);

    const cert = JSON.parse(await ok('cert', 'register', '--cert', device.certPath, '--ca-cert', ca.certPath, '--active')) as { certificateId: string };
    assert.match(cert.certificateId, /^[0-9a-f]{64}$/);
    assertOneLineError(await cli('cert', 'register', '--cert', device.certPath), /^topicd: ResourceAlreadyExistsException: /);
    // ACTIVE, without a policy: the handshake passes, the publish is not allowed.
    assert.equal(await publish(device.certPath, device.keyPath), '403');
    await ok('policy', 'create', 'allow-all', '--document', ALLOW_ALL_DOCUMENT);
    await ok('policy', 'attach', 'allow-all', '--cert', cert.certificateId);
    assert.equal(await publish(device.certPath, device.keyPath), '200');

    assert.equal(await ok('ca', 'set-status', registered.certificateId, 'inactive'), `CA certificate ${registered.certificateId} is now INACTIVE\n`);
    assert.equal(await publish(device.certPath, device.keyPath), '000');
    assertOneLineError(await cli('ca', 'set-status', registered.certificateId, 'REVOKED'), /must be one of ACTIVE, INACTIVE/);
    assertOneLineError(await cli('ca', 'set-status', 'f'.repeat(64), 'ACTIVE'), /^topicd: ResourceNotFoundException: /);
  });

  it('ca-cli - cert register --without-ca --active: a certificate of an unknown CA publishes', async () => {
    const ca = makeCa(root, 'cli-unknown-ca');
    const device = makeSigned(root, ca, 'cli-sni-device');
    assertOneLineError(await cli('cert', 'register', '--cert', device.certPath, '--active'), /^topicd: CertificateValidationException: /);
    assertOneLineError(await cli('cert', 'register', '--cert', device.certPath, '--without-ca', '--ca-cert', ca.certPath), /exclude each other/);
    const cert = JSON.parse(await ok('cert', 'register', '--cert', device.certPath, '--without-ca', '--active')) as { certificateId: string };
    await ok('policy', 'attach', 'allow-all', '--cert', cert.certificateId);
    assert.equal(await publish(device.certPath, device.keyPath), '200');
  });
});
