/**
 * Access keys beyond the admin key: topicd's /topicd/access-keys routes (a topicd extension, SigV4
 * signed like the AWS routes), called through the CLI's own SigV4 client, the new key used with
 * @aws-sdk/client-iot and a presigned MQTT-over-WebSocket URL, then deleted and refused at once.
 * And `topicd access-key ...` as a user runs it (the built CLI as child processes).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  AttachPolicyCommand, CreatePolicyCommand, CreateThingCommand, DeletePolicyCommand, DescribeThingCommand, IoTClient, ListThingsCommand,
} from '@aws-sdk/client-iot';
import { ControlClient } from '../../src/cli/control-client.js';
import { ControlError } from '../../src/cli/errors.js';
import { ALLOW_ALL_POLICY, connectWebSocket, presignedMqttUrl, readCredentials, startTestTopicd, type TestTopicd } from '../helpers/topicd.js';
import { ALLOW_ALL_DOCUMENT, CLI, run, type Run } from '../helpers/tools.js';

interface Summary {
  accessKeyId: string;
  accessKeyArn: string;
  creationDate: number;
  isAdmin: boolean;
  secretAccessKey?: string;
}

/** Asserts a control-client call fails with this AWS error type and HTTP status. */
async function controlRejects(call: Promise<unknown>, type: string, status: number): Promise<ControlError> {
  let caught: unknown;
  await assert.rejects(call, (err: unknown) => {
    caught = err;
    return err instanceof ControlError;
  });
  const err = caught as ControlError;
  assert.equal(err.type, type, err.message);
  assert.equal(err.status, status);
  return err;
}

describe('access keys', () => {
  let topicd: TestTopicd;
  let admin: ControlClient;
  let region: string;
  let adminIot: IoTClient;
  before(async () => {
    topicd = await startTestTopicd({ wsPort: 0 });
    region = topicd.running.config.region;
    admin = new ControlClient({ url: topicd.running.controlUrl, region, credentials: readCredentials(topicd.running.credentialsPath) });
    adminIot = topicd.iot;
    await adminIot.send(new CreatePolicyCommand({ policyName: ALLOW_ALL_POLICY, policyDocument: ALLOW_ALL_DOCUMENT }));
  });
  after(async () => { await topicd.stop(); });

  it('access keys - create returns the secret once; list shows ids, dates and the admin flag, never secrets', async () => {
    const before = Date.now() / 1000;
    const created = await admin.request<Summary>('POST', '/topicd/access-keys');
    assert.match(created.accessKeyId, /^AKIA[A-Z0-9]{16}$/);
    assert.equal(created.secretAccessKey?.length, 40);
    assert.equal(created.isAdmin, false);
    assert.equal(created.accessKeyArn, `arn:aws:iot:${region}:${topicd.running.accountId}:accesskey/${created.accessKeyId}`);
    assert.ok(created.creationDate >= Math.floor(before));

    const { accessKeys } = await admin.request<{ accessKeys: Summary[] }>('GET', '/topicd/access-keys');
    const adminId = readCredentials(topicd.running.credentialsPath).accessKeyId;
    assert.deepEqual(accessKeys.map((k) => [k.accessKeyId, k.isAdmin]).sort(), [[adminId, true], [created.accessKeyId, false]].sort());
    for (const key of accessKeys) assert.equal('secretAccessKey' in key, false, 'no secret in a listing');
  });

  it('access keys - a new key signs SDK calls; once deleted, the next call is 403 UnrecognizedClientException', async () => {
    const created = await admin.request<Summary>('POST', '/topicd/access-keys');
    const iot = new IoTClient({
      endpoint: topicd.running.controlUrl, region, maxAttempts: 1,
      credentials: { accessKeyId: created.accessKeyId, secretAccessKey: created.secretAccessKey ?? '' },
    });
    try {
      // A key other than the admin key may do only what its policies allow: nothing yet.
      await assert.rejects(iot.send(new ListThingsCommand({})), (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(err.name, 'AccessDeniedException');
        assert.equal(err.$metadata?.httpStatusCode, 403);
        assert.match(err.message, new RegExp(`^User: ${created.accessKeyArn}.* is not authorized to perform: iot:ListThings on resource: \\*$`));
        return true;
      });
      await adminIot.send(new CreatePolicyCommand({ policyName: `key-${created.accessKeyId}`, policyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['iot:ListThings', 'iot:DeleteAccessKey'], Resource: '*' },
          { Effect: 'Allow', Action: 'iot:DescribeThing', Resource: 'arn:aws:iot:*:*:thing/shown-*' },
        ],
      }) }));
      await adminIot.send(new AttachPolicyCommand({ policyName: `key-${created.accessKeyId}`, target: created.accessKeyArn }));
      assert.equal((await iot.send(new ListThingsCommand({}))).$metadata.httpStatusCode, 200);
      await adminIot.send(new CreateThingCommand({ thingName: 'shown-1' }));
      await adminIot.send(new CreateThingCommand({ thingName: 'hidden-1' }));
      assert.equal((await iot.send(new DescribeThingCommand({ thingName: 'shown-1' }))).thingName, 'shown-1');
      await assert.rejects(iot.send(new DescribeThingCommand({ thingName: 'hidden-1' })), { name: 'AccessDeniedException' });
      // Its policy lets it delete keys (topicd's extension is iot:DeleteAccessKey to a policy): it deletes itself.
      const own = new ControlClient({ url: topicd.running.controlUrl, region, credentials: { accessKeyId: created.accessKeyId, secretAccessKey: created.secretAccessKey ?? '' } });
      await own.request('DELETE', `/topicd/access-keys/${created.accessKeyId}`);
      // Its attachments went with it, so the policy can be deleted.
      await adminIot.send(new DeletePolicyCommand({ policyName: `key-${created.accessKeyId}` }));
      await assert.rejects(iot.send(new ListThingsCommand({})), (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(err.name, 'UnrecognizedClientException');
        assert.equal(err.$metadata?.httpStatusCode, 403);
        return true;
      });
    } finally {
      iot.destroy();
    }
  });

  it('access keys - a deleted key loses its WebSocket connection at once and cannot connect again', async () => {
    const created = await admin.request<Summary>('POST', '/topicd/access-keys');
    const credentials = { accessKeyId: created.accessKeyId, secretAccessKey: created.secretAccessKey ?? '' };
    const port = topicd.running.ports.ws!;
    const ca = readFileSync(topicd.running.caPath, 'utf8');
    // Without a policy the key may not even connect; with one, it may.
    await assert.rejects(connectWebSocket(await presignedMqttUrl(topicd, port, { credentials }), { protocolVersion: 5, ca }), /closed before CONNACK|[Nn]ot authorized/);
    await adminIot.send(new AttachPolicyCommand({ policyName: ALLOW_ALL_POLICY, target: created.accessKeyArn }));
    const client = await connectWebSocket(await presignedMqttUrl(topicd, port, { credentials }), { protocolVersion: 5, ca });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await admin.request('DELETE', `/topicd/access-keys/${created.accessKeyId}`);
    await closed;
    client.end(true);
    await assert.rejects(connectWebSocket(await presignedMqttUrl(topicd, port, { credentials }), { protocolVersion: 5, ca }), /closed before CONNACK|403/);
  });

  it('access keys - the admin key cannot be deleted; unknown is 404; a malformed id is 400; unsigned is 403', async () => {
    const adminId = readCredentials(topicd.running.credentialsPath).accessKeyId;
    const err = await controlRejects(admin.request('DELETE', `/topicd/access-keys/${adminId}`), 'InvalidRequestException', 400);
    assert.match(err.message, /admin key/);
    await controlRejects(admin.request('DELETE', '/topicd/access-keys/AKIA0000000000000000'), 'ResourceNotFoundException', 404);
    await controlRejects(admin.request('DELETE', '/topicd/access-keys/short'), 'InvalidRequestException', 400);
    const unsigned = await fetch(`${topicd.running.controlUrl}/topicd/access-keys`, { method: 'POST' });
    assert.equal(unsigned.status, 403);
    assert.equal((await admin.request<{ accessKeys: Summary[] }>('GET', '/topicd/access-keys')).accessKeys.some((k) => k.accessKeyId === adminId), true);
  });

  it('cli - topicd access-key create --json prints credential_process JSON; list shows it; delete removes it', async () => {
    const cli = (...args: string[]): Promise<Run> => run('node', [CLI, ...args, '--data-dir', topicd.dataDir], { env: { TOPICD_CONFIG: '' } });
    const created = await cli('access-key', 'create', '--json');
    assert.equal(created.code, 0, created.stderr);
    const json = JSON.parse(created.stdout) as { Version: number; AccessKeyId: string; SecretAccessKey: string };
    assert.equal(json.Version, 1);
    assert.match(json.AccessKeyId, /^AKIA[A-Z0-9]{16}$/);
    assert.equal(json.SecretAccessKey.length, 40);

    const plain = await cli('access-key', 'create');
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^created access key AKIA[A-Z0-9]{16}$/m);
    assert.match(plain.stdout, /^aws_secret_access_key = \S{40}$/m);

    const listed = await cli('access-key', 'list');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^ACCESS KEY ID\s+CREATED\s+ROLE$/m);
    assert.match(listed.stdout, new RegExp(`^${json.AccessKeyId}\\s+\\d{4}-\\d\\d-\\d\\dT\\S+\\s+-$`, 'm'));
    assert.match(listed.stdout, /\sadmin$/m);
    assert.equal(listed.stdout.includes(json.SecretAccessKey), false);
    const listedJson = JSON.parse((await cli('access-key', 'list', '--json')).stdout) as { accessKeys: Summary[] };
    assert.ok(listedJson.accessKeys.some((k) => k.accessKeyId === json.AccessKeyId && !k.isAdmin));

    await adminIot.send(new CreatePolicyCommand({ policyName: 'cli-key-policy', policyDocument: ALLOW_ALL_DOCUMENT }));
    const attached = await cli('access-key', 'attach-policy', json.AccessKeyId, 'cli-key-policy');
    assert.equal(attached.code, 0, attached.stderr);
    assert.match(attached.stdout, new RegExp(`^attached policy cli-key-policy to arn:aws:iot:\\S+:accesskey/${json.AccessKeyId}\n$`));
    const detached = await cli('access-key', 'detach-policy', json.AccessKeyId, 'cli-key-policy');
    assert.equal(detached.code, 0, detached.stderr);
    assert.match(detached.stdout, /^detached policy cli-key-policy from /);
    const unknown = await cli('access-key', 'attach-policy', 'AKIA0000000000000000', 'cli-key-policy');
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'topicd: no access key AKIA0000000000000000 (topicd access-key list shows them)\n');

    const deleted = await cli('access-key', 'delete', json.AccessKeyId);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, `deleted access key ${json.AccessKeyId}\n`);
    assert.equal((await cli('access-key', 'list')).stdout.includes(json.AccessKeyId), false);

    const adminId = readCredentials(topicd.running.credentialsPath).accessKeyId;
    const refused = await cli('access-key', 'delete', adminId);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^topicd: InvalidRequestException: .*admin key/);
  });
});
