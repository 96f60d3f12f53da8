/**
 * `topicd policy ...` as a user runs it: the built CLI as child processes against a `topicd start`
 * child on ephemeral ports. Covers create (file and inline JSON), get, list, attach, detach,
 * versions and test (the decision and the statement that made it), and the one-line errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, EPHEMERAL, assertOneLineError, run, spawnCli, type Run, type Spawned } from '../helpers/tools.js';

describe('cli - topicd policy against a running topicd', () => {
  const root = mkdtempSync(join(tmpdir(), 'topicd-cli-policy-'));
  const dataDir = join(root, 'data');
  let server: Spawned;
  let certificateId = '';
  let certificateArn = '';
  let prefix = '';

  const cli = (...args: string[]): Promise<Run> => run('node', [CLI, ...args, '--data-dir', dataDir], { env: { TOPICD_CONFIG: '' } });
  const ok = async (...args: string[]): Promise<string> => {
    const result = await cli(...args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };

  before(async () => {
    server = spawnCli(['start', '--data-dir', dataDir, ...EPHEMERAL]);
    await server.waitFor('stdout', 'topicd is ready', 30_000);
    const created = JSON.parse(await ok('thing', 'create', 'policy-device', '--out', join(root, 'device'), '--json')) as { certificateId: string; certificateArn: string };
    certificateId = created.certificateId;
    certificateArn = created.certificateArn;
    prefix = certificateArn.replace(/cert\/[0-9a-f]{64}$/, '');
  });

  after(async () => {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('cli - policy create from a file and from inline JSON; get prints GetPolicy', async () => {
    const file = join(root, 'pub.json');
    writeFileSync(file, JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'ConnectAsThing', Effect: 'Allow', Action: 'iot:Connect', Resource: `${prefix}client/\${iot:Connection.Thing.ThingName}` },
        { Sid: 'OwnTopics', Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: `${prefix}topic/things/\${iot:Connection.Thing.ThingName}/*` },
        { Effect: 'Allow', Action: 'iot:Subscribe', Resource: `${prefix}topicfilter/things/\${iot:Connection.Thing.ThingName}/*` },
      ],
    }, null, 2));
    const created = await ok('policy', 'create', 'device-policy', '--document', file);
    assert.match(created, /created policy device-policy \(version 1\)/);
    assert.ok(created.includes(`${prefix}policy/device-policy`), created);

    const inline = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'NoAlarm', Effect: 'Deny', Action: 'iot:Publish', Resource: `${prefix}topic/things/*/alarm` }] });
    const json = JSON.parse(await ok('policy', 'create', 'deny-alarm', '--document', inline, '--json')) as { policyName: string; policyVersionId: string; policyDocument: string };
    assert.deepEqual([json.policyName, json.policyVersionId, json.policyDocument], ['deny-alarm', '1', inline]);

    const got = JSON.parse(await ok('policy', 'get', 'device-policy')) as { policyName: string; defaultVersionId: string; policyDocument: string };
    assert.equal(got.policyName, 'device-policy');
    assert.equal(got.defaultVersionId, '1');
    assert.match(got.policyDocument, /ConnectAsThing/);
  });

  it('cli - policy create errors are one line: a malformed document names the problem, a missing file, a taken name', async () => {
    assertOneLineError(await cli('policy', 'create', 'broken', '--document', '{"Version":"2012-10-17","Statement":{"Effect":"Allow"}}'),
      /^topicd: MalformedPolicyException: Statement: needs Action or NotAction$/);
    assertOneLineError(await cli('policy', 'create', 'broken', '--document', join(root, 'missing.json')), /cannot read the policy document .*missing\.json: no such file/);
    assertOneLineError(await cli('policy', 'create', 'deny-alarm', '--document', '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iot:*","Resource":"*"}}'),
      /ResourceAlreadyExistsException: .*already exists/);
    assertOneLineError(await cli('policy', 'get', 'nope'), /ResourceNotFoundException: .*nope/);
  });

  it('cli - policy list as a table and as JSON', async () => {
    const table = await ok('policy', 'list');
    assert.match(table, /^POLICY NAME\s+ARN\n/);
    assert.match(table, /\ndeny-alarm\s+arn:aws:iot:/);
    assert.match(table, /\ndevice-policy\s+arn:aws:iot:/);
    const json = JSON.parse(await ok('policy', 'list', '--json')) as { policies: Array<{ policyName: string }> };
    // `thing create` (in before) made the default thing policy.
    assert.deepEqual(json.policies.map((p) => p.policyName), ['deny-alarm', 'device-policy', 'topicd-thing-default']);
  });

  it('cli - policy attach by certificate id and by ARN, detach', async () => {
    assert.equal(await ok('policy', 'attach', 'device-policy', '--cert', certificateId), `policy device-policy attached to ${certificateArn}\n`);
    assert.equal(await ok('policy', 'attach', 'deny-alarm', '--cert', certificateArn), `policy deny-alarm attached to ${certificateArn}\n`);
    assertOneLineError(await cli('policy', 'attach', 'device-policy', '--cert', 'f'.repeat(64)), /ResourceNotFoundException/);
    assertOneLineError(await cli('policy', 'attach', 'device-policy', '--cert', 'nonsense'), /--cert must be a certificate id/);
    assertOneLineError(await cli('policy', 'attach', 'nope', '--cert', certificateArn), /ResourceNotFoundException: .*nope/);
  });

  it('cli - policy test prints the decision and the statement that decided it', async () => {
    const test = (...args: string[]): Promise<string> => ok('policy', 'test', '--cert', certificateId, '--client-id', 'policy-device', ...args);

    const allowed = await test('--action', 'publish', '--resource', 'things/policy-device/temp');
    assert.equal(allowed, [
      `ALLOWED  publish ${prefix}topic/things/policy-device/temp`,
      '  decided by  policy device-policy, statement 1 (Sid OwnTopics), effect Allow',
      '',
    ].join('\n'));

    const denied = await test('--action', 'publish', '--resource', 'things/policy-device/alarm');
    assert.match(denied, /^EXPLICIT_DENY {2}publish .*topic\/things\/policy-device\/alarm\n {2}decided by {2}policy deny-alarm, statement 0 \(Sid NoAlarm\), effect Deny\n$/);

    const implicit = await test('--action', 'receive', '--resource', 'things/other/temp');
    assert.match(implicit, /^IMPLICIT_DENY {2}receive .*\n {2}decided by {2}no statement allowed it \(implicit deny\); policies evaluated: .*device-policy/);

    const subscribe = await test('--action', 'subscribe', '--resource', 'things/policy-device/#');
    assert.match(subscribe, /^ALLOWED {2}subscribe .*topicfilter\/things\/policy-device\/#\n {2}decided by {2}policy device-policy, statement 2, effect Allow\n$/);

    const connect = await test('--action', 'connect');
    assert.match(connect, /^ALLOWED {2}connect .*client\/policy-device\n {2}decided by {2}policy device-policy, statement 0 \(Sid ConnectAsThing\)/);
    const otherClient = await ok('policy', 'test', '--cert', certificateArn, '--client-id', 'intruder', '--action', 'connect');
    assert.match(otherClient, /^IMPLICIT_DENY {2}connect .*client\/intruder\n/);

    const json = JSON.parse(await test('--action', 'publish', '--resource', 'things/policy-device/temp', '--json')) as { authResults: Array<{ authDecision: string; decidedBy: { policyName: string; statementIndex: number } }> };
    assert.equal(json.authResults[0]?.authDecision, 'ALLOWED');
    assert.deepEqual(json.authResults[0]?.decidedBy, { policyName: 'device-policy', statementIndex: 1, sid: 'OwnTopics', effect: 'Allow' });

    assertOneLineError(await cli('policy', 'test', '--cert', certificateId, '--client-id', 'x', '--action', 'shout', '--resource', 't'), /argument 'shout' is invalid/);
    assertOneLineError(await cli('policy', 'test', '--cert', certificateId, '--client-id', 'x', '--action', 'publish'), /--resource is required for --action publish/);
  });

  it('cli - policy versions lists newest first; detach removes the attachment', async () => {
    const table = await ok('policy', 'versions', 'device-policy');
    assert.match(table, /^VERSION\s+DEFAULT\s+CREATED\n1\s+yes\s+\d{4}-\d\d-\d\dT/);
    const json = JSON.parse(await ok('policy', 'versions', 'device-policy', '--json')) as { policyVersions: Array<{ versionId: string; isDefaultVersion: boolean }> };
    assert.deepEqual(json.policyVersions.map((v) => [v.versionId, v.isDefaultVersion]), [['1', true]]);
    assertOneLineError(await cli('policy', 'versions', 'nope'), /ResourceNotFoundException/);

    assert.equal(await ok('policy', 'detach', 'deny-alarm', '--cert', certificateId), `policy deny-alarm detached from ${certificateArn}\n`);
    const after = await ok('policy', 'test', '--cert', certificateId, '--client-id', 'policy-device', '--action', 'publish', '--resource', 'things/policy-device/alarm');
    assert.match(after, /^ALLOWED /, 'the deny is gone with its attachment');
  });
});
