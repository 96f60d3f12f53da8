/**
 * A 403 explained: curl and `topicd pub` against a `topicd start` child whose log (stderr, JSON lines)
 * is read. The HTTP body stays AWS's; topicd's log names the principal, the action, the resource and
 * what decided, once per (principal, action, resource) within a minute; `topicd policy test` agrees.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, EPHEMERAL, run, spawnCli, type Run, type Spawned } from '../helpers/tools.js';

interface DenialLine {
  event: string;
  level: number;
  principalKind: string;
  principal: string;
  clientId?: string;
  action: string;
  resource: string;
  reason: string;
  statement: string;
  policy?: string;
  statementIndex?: number;
  policies: string[];
  count: number;
  msg: string;
}

describe('denials - a refusal is explained in topicd\'s log', () => {
  const root = mkdtempSync(join(tmpdir(), 'topicd-denials-'));
  const dataDir = join(root, 'data');
  const device = join(root, 'dev');
  let server: Spawned;
  let httpsPort = 0;
  let certificateId = '';
  let arnPrefix = '';

  const cli = (...args: string[]): Promise<Run> => run('node', [CLI, ...args, '--data-dir', dataDir], { env: { TOPICD_CONFIG: '' } });
  const curl = (topic: string): Promise<Run> => run('curl', ['-sS', '-w', '\n%{http_code}', '--cacert', join(device, 'root-CA.pem'),
    '--cert', join(device, 'device.pem.crt'), '--key', join(device, 'private.pem.key'), '--data', 'x',
    `https://localhost:${httpsPort}/topics/${topic}?qos=1`]);
  const denials = (): DenialLine[] => server.stderr().split('\n').filter((l) => l.includes('"authz.denied"')).map((l) => JSON.parse(l) as DenialLine);
  const waitForDenial = async (resource: string): Promise<DenialLine> => {
    await server.waitFor('stderr', `"resource":"${resource}"`);
    const line = denials().find((d) => d.resource === resource);
    assert.ok(line);
    return line;
  };

  before(async () => {
    server = spawnCli(['start', '--data-dir', dataDir, ...EPHEMERAL]);
    await server.waitFor('stdout', 'topicd is ready', 30_000);
    httpsPort = Number(/https:\/\/localhost:(\d+)\/topics/.exec(server.stdout())?.[1]);
    const made = await cli('thing', 'create', 'dev', '--out', device, '--json');
    assert.equal(made.code, 0, made.stderr);
    const created = JSON.parse(made.stdout) as { certificateId: string; certificateArn: string };
    certificateId = created.certificateId;
    arnPrefix = created.certificateArn.replace(/cert\/[0-9a-f]+$/, '');
  });

  after(async () => {
    server.child.kill('SIGKILL');
    await server.exited;
    rmSync(root, { recursive: true, force: true });
  });

  it('denials - HTTPS 403: the body stays AWS\'s; the log names principal, action, resource and "no statement allows it"', async () => {
    const reply = await curl('elsewhere/x');
    const [body = '', status] = reply.stdout.split('\n');
    assert.equal(status, '403', reply.stdout);
    assert.deepEqual(Object.keys(JSON.parse(body) as object).sort(), ['message', 'traceId']);

    const line = await waitForDenial(`${arnPrefix}topic/elsewhere/x`);
    assert.equal(line.level, 40, 'warn');
    assert.deepEqual(
      [line.principalKind, line.principal, line.action, line.reason, line.statement, line.policies, line.count, 'clientId' in line],
      ['certificate', certificateId, 'iot:Publish', 'implicit-deny', 'no statement allows it', ['topicd-thing-default'], 1, false],
    );
    assert.match(line.msg, /^denied iot:Publish on arn:aws:iot:\S+:topic\/elsewhere\/x: no statement allows it \(`topicd policy test` shows the decision\)$/);

    // What the log says, `topicd policy test` says too.
    const test = await cli('policy', 'test', '--cert', certificateId, '--client-id', 'dev', '--action', 'publish', '--resource', 'elsewhere/x');
    assert.equal(test.code, 0, test.stderr);
    assert.match(test.stdout, /no statement allowed it \(implicit deny\); policies evaluated: topicd-thing-default/);
  });

  it('denials - the same refusal again within the minute is not logged again; another resource is', async () => {
    for (let i = 0; i < 3; i++) assert.match((await curl('elsewhere/x')).stdout, /\n403$/);
    await curl('elsewhere/y');
    await waitForDenial(`${arnPrefix}topic/elsewhere/y`);
    // Lines come in order: the retries, had they been logged, would stand before the one for y.
    assert.equal(denials().filter((d) => d.resource === `${arnPrefix}topic/elsewhere/x`).length, 1);
  });

  it('denials - an explicit Deny names its policy and statement; an MQTT refusal names the client id', async () => {
    const document = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/things/dev/secret' }],
    });
    assert.equal((await cli('policy', 'create', 'no-secrets', '--document', document)).code, 0);
    assert.equal((await cli('policy', 'attach', 'no-secrets', '--cert', certificateId)).code, 0);
    assert.match((await curl('things/dev/secret')).stdout, /\n403$/);
    const line = await waitForDenial(`${arnPrefix}topic/things/dev/secret`);
    assert.deepEqual([line.reason, line.policy, line.statementIndex, line.statement], ['explicit-deny', 'no-secrets', 0, 'Deny by policy no-secrets, statement 0']);

    const pub = await cli('pub', 'things/other/x', 'm', '--certs', device, '--client-id', 'dev.denials');
    assert.equal(pub.code, 1);
    const mqtt = await waitForDenial(`${arnPrefix}topic/things/other/x`);
    assert.equal(mqtt.clientId, 'dev.denials');
  });
});
