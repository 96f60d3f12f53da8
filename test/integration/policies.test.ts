/**
 * Policies through the control plane as AWS tools drive it: a real started topicd (temp data dir,
 * ephemeral ports) and @aws-sdk/client-iot for every policy operation, with AWS's errors
 * (MalformedPolicy, ResourceAlreadyExists, ResourceNotFound, DeleteConflict, VersionsLimitExceeded,
 * LimitExceeded) and paging with the SDK's own paginators. Nothing of topicd is mocked.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  AttachPolicyCommand,
  AttachPrincipalPolicyCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeleteCertificateCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DescribeCertificateCommand,
  DetachPolicyCommand,
  DetachPrincipalPolicyCommand,
  GetEffectivePoliciesCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListAttachedPoliciesCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  ListPrincipalPoliciesCommand,
  ListTargetsForPolicyCommand,
  SetDefaultPolicyVersionCommand,
  TestAuthorizationCommand,
  paginateListAttachedPolicies,
  paginateListPolicies,
  paginateListPrincipalPolicies,
  paginateListTargetsForPolicy,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { createDevice, rejectsWith, startTestTopicd, type Device, type TestTopicd } from '../helpers/topicd.js';

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

describe('policies - control plane with @aws-sdk/client-iot', () => {
  let topicd: TestTopicd;
  let iot: IoTClient;
  let device: Device;
  let region: string;
  let account: string;
  const arn = (kind: string, rest: string): string => `arn:aws:iot:${region}:${account}:${kind}/${rest}`;
  const allow = (actions: string[], resources: string[], sid = 'AllowIt'): string => JSON.stringify({
    Version: '2012-10-17', Statement: [{ Sid: sid, Effect: 'Allow', Action: actions, Resource: resources }],
  });

  before(async () => {
    topicd = await startTestTopicd();
    iot = topicd.iot;
    device = await createDevice(topicd, 'policy-device', null);
    [, , , region = '', account = ''] = device.certificateArn.split(':');
  });
  after(async () => { await topicd.stop(); });

  it('CreatePolicy and GetPolicy - version "1", the ARN, the document as sent, epoch dates and a generationId', async () => {
    const doc = `  ${allow(['iot:Publish'], [arn('topic', 'a/b')])}\n`;
    const created = await iot.send(new CreatePolicyCommand({ policyName: 'Pub.a_b=c,d@e-f+g', policyDocument: doc }));
    assert.equal(created.policyName, 'Pub.a_b=c,d@e-f+g');
    assert.equal(created.policyArn, arn('policy', 'Pub.a_b=c,d@e-f+g'));
    assert.equal(created.policyVersionId, '1');
    assert.equal(created.policyDocument, doc);
    const got = await iot.send(new GetPolicyCommand({ policyName: 'Pub.a_b=c,d@e-f+g' }));
    assert.equal(got.policyDocument, doc);
    assert.equal(got.defaultVersionId, '1');
    assert.ok(got.creationDate instanceof Date && Math.abs(got.creationDate.getTime() - Date.now()) < 60_000, String(got.creationDate));
    assert.ok(got.lastModifiedDate instanceof Date);
    assert.ok(typeof got.generationId === 'string' && got.generationId.length > 0);
  });

  it('CreatePolicy - errors: MalformedPolicy names the problem, a bad name, a second create, an unknown policy', async () => {
    await rejectsWith(iot.send(new CreatePolicyCommand({ policyName: 'bad', policyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"iot:*","Resource":"*"}]}' })),
      'MalformedPolicyException', 400, /Statement\[0\]\.Effect/);
    await rejectsWith(iot.send(new CreatePolicyCommand({ policyName: 'bad', policyDocument: '{not json' })), 'MalformedPolicyException', 400, /not valid JSON/);
    const big = allow(['iot:Publish'], Array.from({ length: 60 }, (_, i) => arn('topic', `some/long/topic/name/${i}`)));
    await rejectsWith(iot.send(new CreatePolicyCommand({ policyName: 'bad', policyDocument: big })), 'MalformedPolicyException', 400, /limit is 2048/);
    await rejectsWith(iot.send(new CreatePolicyCommand({ policyName: 'no spaces', policyDocument: allow(['iot:*'], ['*']) })),
      'InvalidRequestException', 400, /policyName/);
    await rejectsWith(iot.send(new CreatePolicyCommand({ policyName: 'x'.repeat(129), policyDocument: allow(['iot:*'], ['*']) })),
      'InvalidRequestException', 400, /length between 1 and 128/);
    await iot.send(new CreatePolicyCommand({ policyName: 'twice', policyDocument: allow(['iot:*'], ['*']) }));
    const dup = await rejectsWith(iot.send(new CreatePolicyCommand({ policyName: 'twice', policyDocument: allow(['iot:*'], ['*']) })),
      'ResourceAlreadyExistsException', 409, /already exists/);
    assert.equal((dup as { resourceArn?: string }).resourceArn, arn('policy', 'twice'));
    await rejectsWith(iot.send(new GetPolicyCommand({ policyName: 'nope' })), 'ResourceNotFoundException', 404, /nope/);
    await iot.send(new DeletePolicyCommand({ policyName: 'twice' }));
    await rejectsWith(iot.send(new DeletePolicyCommand({ policyName: 'twice' })), 'ResourceNotFoundException', 404);
  });

  it('policy versions - create up to five, VersionsLimitExceeded, list newest first, get, set default, delete', async () => {
    const name = 'versioned';
    await iot.send(new CreatePolicyCommand({ policyName: name, policyDocument: allow(['iot:Publish'], [arn('topic', 'v1')]) }));
    const v2 = await iot.send(new CreatePolicyVersionCommand({ policyName: name, policyDocument: allow(['iot:Publish'], [arn('topic', 'v2')]) }));
    assert.equal(v2.policyVersionId, '2');
    assert.equal(v2.isDefaultVersion, false);
    assert.equal(v2.policyArn, arn('policy', name));
    const v3 = await iot.send(new CreatePolicyVersionCommand({ policyName: name, policyDocument: allow(['iot:Publish'], [arn('topic', 'v3')]), setAsDefault: true }));
    assert.equal(v3.isDefaultVersion, true);
    assert.equal((await iot.send(new GetPolicyCommand({ policyName: name }))).defaultVersionId, '3');
    for (const v of [4, 5]) await iot.send(new CreatePolicyVersionCommand({ policyName: name, policyDocument: allow(['iot:Publish'], [arn('topic', `v${v}`)]) }));
    await rejectsWith(iot.send(new CreatePolicyVersionCommand({ policyName: name, policyDocument: allow(['iot:*'], ['*']) })),
      'VersionsLimitExceededException', 409, /maximum number of versions \(5\)/);
    await rejectsWith(iot.send(new CreatePolicyVersionCommand({ policyName: name, policyDocument: '{"Version":"2012-10-17"}' })),
      'MalformedPolicyException', 400, /Statement/);
    await rejectsWith(iot.send(new CreatePolicyVersionCommand({ policyName: 'nope', policyDocument: allow(['iot:*'], ['*']) })),
      'ResourceNotFoundException', 404);

    const listed = await iot.send(new ListPolicyVersionsCommand({ policyName: name }));
    assert.deepEqual(listed.policyVersions?.map((v) => [v.versionId, v.isDefaultVersion]), [['5', false], ['4', false], ['3', true], ['2', false], ['1', false]]);
    assert.ok(listed.policyVersions?.every((v) => v.createDate instanceof Date));

    const got = await iot.send(new GetPolicyVersionCommand({ policyName: name, policyVersionId: '2' }));
    assert.equal(got.policyName, name);
    assert.equal(got.policyVersionId, '2');
    assert.equal(got.isDefaultVersion, false);
    assert.match(got.policyDocument ?? '', /topic\/v2/);
    assert.ok(got.creationDate instanceof Date && typeof got.generationId === 'string');
    await rejectsWith(iot.send(new GetPolicyVersionCommand({ policyName: name, policyVersionId: '9' })), 'ResourceNotFoundException', 404, /version 9/);
    await rejectsWith(iot.send(new GetPolicyVersionCommand({ policyName: name, policyVersionId: 'x' })), 'InvalidRequestException', 400, /policyVersionId/);

    await iot.send(new SetDefaultPolicyVersionCommand({ policyName: name, policyVersionId: '2' }));
    assert.match((await iot.send(new GetPolicyCommand({ policyName: name }))).policyDocument ?? '', /topic\/v2/);
    await rejectsWith(iot.send(new SetDefaultPolicyVersionCommand({ policyName: name, policyVersionId: '7' })), 'ResourceNotFoundException', 404);
    await rejectsWith(iot.send(new DeletePolicyVersionCommand({ policyName: name, policyVersionId: '2' })), 'DeleteConflictException', 409, /default version/);
    await rejectsWith(iot.send(new DeletePolicyCommand({ policyName: name })), 'DeleteConflictException', 409, /non-default versions/);
    for (const v of ['1', '3', '4']) await iot.send(new DeletePolicyVersionCommand({ policyName: name, policyVersionId: v }));
    const v6 = await iot.send(new CreatePolicyVersionCommand({ policyName: name, policyDocument: allow(['iot:*'], ['*']) }));
    assert.equal(v6.policyVersionId, '6', 'version ids are never reused');
    await iot.send(new DeletePolicyVersionCommand({ policyName: name, policyVersionId: '5' }));
    await iot.send(new DeletePolicyVersionCommand({ policyName: name, policyVersionId: '6' }));
    assert.deepEqual((await iot.send(new ListPolicyVersionsCommand({ policyName: name }))).policyVersions?.map((v) => v.versionId), ['2']);
    await iot.send(new DeletePolicyCommand({ policyName: name }));
  });

  it('AttachPolicy and DetachPolicy - the listings, unknown certificates and policies, DeleteConflict while attached', async () => {
    await iot.send(new CreatePolicyCommand({ policyName: 'attached', policyDocument: allow(['iot:Connect'], ['*']) }));
    await iot.send(new AttachPolicyCommand({ policyName: 'attached', target: device.certificateArn }));
    await iot.send(new AttachPolicyCommand({ policyName: 'attached', target: device.certificateArn.replace(/[0-9a-f]{64}$/, (id) => id.toUpperCase()) }));
    const listed = await iot.send(new ListAttachedPoliciesCommand({ target: device.certificateArn }));
    assert.deepEqual(listed.policies, [{ policyName: 'attached', policyArn: arn('policy', 'attached') }]);
    const targets = await iot.send(new ListTargetsForPolicyCommand({ policyName: 'attached' }));
    assert.deepEqual(targets.targets, [device.certificateArn], 'attaching twice (any case of the id) is one attachment');

    const unknownCert = arn('cert', 'ab'.repeat(32));
    await rejectsWith(iot.send(new AttachPolicyCommand({ policyName: 'attached', target: unknownCert })), 'ResourceNotFoundException', 404, /does not exist/);
    await rejectsWith(iot.send(new AttachPolicyCommand({ policyName: 'nope', target: device.certificateArn })), 'ResourceNotFoundException', 404, /nope/);
    await rejectsWith(iot.send(new AttachPolicyCommand({ policyName: 'attached', target: 'not-an-arn' })), 'InvalidRequestException', 400);
    await rejectsWith(iot.send(new ListAttachedPoliciesCommand({ target: unknownCert })), 'ResourceNotFoundException', 404);
    await rejectsWith(iot.send(new ListTargetsForPolicyCommand({ policyName: 'nope' })), 'ResourceNotFoundException', 404);
    await rejectsWith(iot.send(new DeletePolicyCommand({ policyName: 'attached' })), 'DeleteConflictException', 409, /attached to one or more principals/);

    await iot.send(new DetachPolicyCommand({ policyName: 'attached', target: device.certificateArn }));
    await iot.send(new DetachPolicyCommand({ policyName: 'attached', target: device.certificateArn }));
    assert.deepEqual((await iot.send(new ListAttachedPoliciesCommand({ target: device.certificateArn }))).policies, []);
    await rejectsWith(iot.send(new DetachPolicyCommand({ policyName: 'nope', target: device.certificateArn })), 'ResourceNotFoundException', 404);
    await iot.send(new DeletePolicyCommand({ policyName: 'attached' }));
  });

  it('AttachPrincipalPolicy, DetachPrincipalPolicy and ListPrincipalPolicies - the deprecated x-amzn-iot-principal forms', async () => {
    await iot.send(new CreatePolicyCommand({ policyName: 'principal-policy', policyDocument: allow(['iot:Connect'], ['*']) }));
    await iot.send(new AttachPrincipalPolicyCommand({ policyName: 'principal-policy', principal: device.certificateArn }));
    const listed = await iot.send(new ListPrincipalPoliciesCommand({ principal: device.certificateArn }));
    assert.deepEqual(listed.policies, [{ policyName: 'principal-policy', policyArn: arn('policy', 'principal-policy') }]);
    assert.deepEqual((await iot.send(new ListTargetsForPolicyCommand({ policyName: 'principal-policy' }))).targets, [device.certificateArn]);
    await rejectsWith(iot.send(new AttachPrincipalPolicyCommand({ policyName: 'principal-policy', principal: arn('cert', 'cd'.repeat(32)) })),
      'ResourceNotFoundException', 404);
    await iot.send(new DetachPrincipalPolicyCommand({ policyName: 'principal-policy', principal: device.certificateArn }));
    assert.deepEqual((await iot.send(new ListPrincipalPoliciesCommand({ principal: device.certificateArn }))).policies, []);
    await iot.send(new DeletePolicyCommand({ policyName: 'principal-policy' }));
  });

  it('attachments - at most ten policies per target (LimitExceeded 410); every listing pages with the SDK paginators', async () => {
    const names = Array.from({ length: 11 }, (_, i) => `limit-${String(i).padStart(2, '0')}`);
    for (const policyName of names) await iot.send(new CreatePolicyCommand({ policyName, policyDocument: allow(['iot:Connect'], ['*']) }));
    for (const policyName of names.slice(0, 10)) await iot.send(new AttachPolicyCommand({ policyName, target: device.certificateArn }));
    await rejectsWith(iot.send(new AttachPolicyCommand({ policyName: names[10], target: device.certificateArn })), 'LimitExceededException', 410, /maximum number of policies/);

    const attachedPages = await collect(paginateListAttachedPolicies({ client: iot, pageSize: 3 }, { target: device.certificateArn }));
    assert.equal(attachedPages.length, 4);
    assert.deepEqual(attachedPages.flatMap((p) => p.policies?.map((x) => x.policyName) ?? []), names.slice(0, 10));
    const principalPages = await collect(paginateListPrincipalPolicies({ client: iot, pageSize: 4 }, { principal: device.certificateArn }));
    assert.deepEqual(principalPages.flatMap((p) => p.policies?.map((x) => x.policyName) ?? []), names.slice(0, 10));
    const descending = await collect(paginateListPrincipalPolicies({ client: iot, pageSize: 4 }, { principal: device.certificateArn, ascendingOrder: false }));
    assert.deepEqual(descending.flatMap((p) => p.policies?.map((x) => x.policyName) ?? []), names.slice(0, 10).reverse());
    const policyPages = await collect(paginateListPolicies({ client: iot, pageSize: 2 }, {}));
    assert.ok(policyPages.length >= 6);
    const all = policyPages.flatMap((p) => p.policies?.map((x) => x.policyName ?? '') ?? []);
    assert.deepEqual(all.filter((n) => n.startsWith('limit-')), names);
    assert.deepEqual(all, [...all].sort(), 'in name order');
    const first = await iot.send(new ListPoliciesCommand({ pageSize: 1 }));
    assert.equal(first.policies?.length, 1);
    assert.ok(first.nextMarker);
    await rejectsWith(iot.send(new ListPoliciesCommand({ marker: 'garbage!' })), 'InvalidRequestException', 400, /pagination token/);
    await rejectsWith(iot.send(new ListPoliciesCommand({ pageSize: 251 })), 'InvalidRequestException', 400, /pageSize/);

    // A second certificate, so ListTargetsForPolicy has pages.
    const other = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: false }));
    await iot.send(new AttachPolicyCommand({ policyName: names[0], target: other.certificateArn }));
    const targetPages = await collect(paginateListTargetsForPolicy({ client: iot, pageSize: 1 }, { policyName: names[0] }));
    assert.equal(targetPages.length, 2);
    assert.deepEqual(targetPages.flatMap((p) => p.targets ?? []).sort(), [device.certificateArn, other.certificateArn].sort());

    // AWS: a certificate with a policy attached is not deleted, unless forceDelete.
    await rejectsWith(iot.send(new DeleteCertificateCommand({ certificateId: other.certificateId })), 'DeleteConflictException', 409, /policies must be detached/);
    await iot.send(new DeleteCertificateCommand({ certificateId: other.certificateId, forceDelete: true }));
    await rejectsWith(iot.send(new DescribeCertificateCommand({ certificateId: other.certificateId })), 'ResourceNotFoundException', 404);
    assert.deepEqual((await iot.send(new ListTargetsForPolicyCommand({ policyName: names[0] }))).targets, [device.certificateArn]);

    for (const policyName of names.slice(0, 10)) await iot.send(new DetachPolicyCommand({ policyName, target: device.certificateArn }));
    for (const policyName of names) await iot.send(new DeletePolicyCommand({ policyName }));
  });

  it('GetEffectivePolicies - the certificate\'s attached policies with their default documents', async () => {
    const doc = allow(['iot:Publish'], [arn('topic', 'effective')]);
    await iot.send(new CreatePolicyCommand({ policyName: 'effective', policyDocument: doc }));
    await iot.send(new AttachPolicyCommand({ policyName: 'effective', target: device.certificateArn }));
    const out = await iot.send(new GetEffectivePoliciesCommand({ principal: device.certificateArn, thingName: device.thingName }));
    assert.deepEqual(out.effectivePolicies, [{ policyName: 'effective', policyArn: arn('policy', 'effective'), policyDocument: doc }]);
    await rejectsWith(iot.send(new GetEffectivePoliciesCommand({ principal: device.certificateArn, thingName: 'no-such-thing' })), 'ResourceNotFoundException', 404);
    await rejectsWith(iot.send(new GetEffectivePoliciesCommand({ principal: arn('cert', 'ef'.repeat(32)) })), 'ResourceNotFoundException', 404);
    await rejectsWith(iot.send(new GetEffectivePoliciesCommand({})), 'InvalidRequestException', 400, /principal/);
    await iot.send(new DetachPolicyCommand({ policyName: 'effective', target: device.certificateArn }));
    await iot.send(new DeletePolicyCommand({ policyName: 'effective' }));
  });

  it('TestAuthorization - allowed, explicit and implicit deny, thing and certificate variables, policies to add and skip', async () => {
    const thingPolicy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'OwnTopic', Effect: 'Allow', Action: 'iot:Publish', Resource: `arn:aws:iot:${region}:${account}:topic/things/\${iot:Connection.Thing.ThingName}/*` },
        { Sid: 'ByCommonName', Effect: 'Allow', Action: 'iot:Subscribe', Resource: `arn:aws:iot:${region}:${account}:topicfilter/cn/\${iot:Certificate.Subject.CommonName}` },
        { Effect: 'Allow', Action: 'iot:Connect', Resource: `arn:aws:iot:${region}:${account}:client/\${iot:Connection.Thing.ThingName}` },
      ],
    });
    const deny = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'NoSecrets', Effect: 'Deny', Action: 'iot:*', Resource: arn('topic', 'things/*/secret') }] });
    await iot.send(new CreatePolicyCommand({ policyName: 'thing-policy', policyDocument: thingPolicy }));
    await iot.send(new CreatePolicyCommand({ policyName: 'deny-secret', policyDocument: deny }));
    await iot.send(new CreatePolicyCommand({ policyName: 'extra', policyDocument: allow(['iot:Receive'], [arn('topic', 'extra')]) }));
    await iot.send(new AttachPolicyCommand({ policyName: 'thing-policy', target: device.certificateArn }));
    await iot.send(new AttachPolicyCommand({ policyName: 'deny-secret', target: device.certificateArn }));
    const commonName = /^CN=(.*)$/m.exec(new X509Certificate(device.cert).subject)?.[1];
    assert.ok(commonName, 'the device certificate has a common name');

    const out = await iot.send(new TestAuthorizationCommand({
      principal: device.certificateArn,
      clientId: device.thingName,
      authInfos: [
        { actionType: 'PUBLISH', resources: [arn('topic', `things/${device.thingName}/data`)] },
        { actionType: 'PUBLISH', resources: [arn('topic', `things/${device.thingName}/secret`)] },
        { actionType: 'PUBLISH', resources: [arn('topic', 'things/other-thing/data')] },
        { actionType: 'CONNECT', resources: [arn('client', device.thingName)] },
        { actionType: 'RECEIVE', resources: [arn('topic', 'extra')] },
        { actionType: 'SUBSCRIBE', resources: [arn('topicfilter', `cn/${commonName}`)] },
        { actionType: 'SUBSCRIBE', resources: [arn('topicfilter', `cn/${commonName}`), arn('topicfilter', 'cn/someone-else')] },
      ],
    }));
    const results = out.authResults ?? [];
    assert.deepEqual(results.map((r) => r.authDecision), ['ALLOWED', 'EXPLICIT_DENY', 'IMPLICIT_DENY', 'ALLOWED', 'IMPLICIT_DENY', 'ALLOWED', 'IMPLICIT_DENY']);
    assert.deepEqual(results[0]?.authInfo, { actionType: 'PUBLISH', resources: [arn('topic', `things/${device.thingName}/data`)] });
    assert.deepEqual(results[0]?.allowed?.policies?.map((p) => p.policyName), ['thing-policy']);
    assert.deepEqual(results[1]?.denied?.explicitDeny?.policies, [{ policyName: 'deny-secret', policyArn: arn('policy', 'deny-secret') }]);
    assert.deepEqual(results[2]?.denied?.implicitDeny?.policies?.map((p) => p.policyName).sort(), ['deny-secret', 'thing-policy']);
    assert.deepEqual(results[0]?.missingContextValues, []);

    // Without the client id naming the thing, the thing variables resolve to nothing.
    const noThing = await iot.send(new TestAuthorizationCommand({
      principal: device.certificateArn, clientId: 'someone-else',
      authInfos: [{ actionType: 'PUBLISH', resources: [arn('topic', `things/${device.thingName}/data`)] }],
    }));
    assert.equal(noThing.authResults?.[0]?.authDecision, 'IMPLICIT_DENY');

    const added = await iot.send(new TestAuthorizationCommand({
      principal: device.certificateArn, clientId: device.thingName,
      policyNamesToAdd: ['extra'], policyNamesToSkip: ['deny-secret'],
      authInfos: [
        { actionType: 'RECEIVE', resources: [arn('topic', 'extra')] },
        { actionType: 'PUBLISH', resources: [arn('topic', `things/${device.thingName}/secret`)] },
      ],
    }));
    assert.deepEqual(added.authResults?.map((r) => r.authDecision), ['ALLOWED', 'ALLOWED']);

    await rejectsWith(iot.send(new TestAuthorizationCommand({ principal: device.certificateArn, authInfos: [] })), 'InvalidRequestException', 400, /authInfos/);
    await rejectsWith(iot.send(new TestAuthorizationCommand({ principal: device.certificateArn, authInfos: [{ actionType: 'SHOUT' as never, resources: ['*'] }] })),
      'InvalidRequestException', 400, /actionType/);
    await rejectsWith(iot.send(new TestAuthorizationCommand({ principal: device.certificateArn, policyNamesToAdd: ['nope'], authInfos: [{ actionType: 'CONNECT', resources: ['*'] }] })),
      'ResourceNotFoundException', 404, /nope/);
    await rejectsWith(iot.send(new TestAuthorizationCommand({ principal: arn('cert', '12'.repeat(32)), authInfos: [{ actionType: 'CONNECT', resources: ['*'] }] })),
      'ResourceNotFoundException', 404);

    for (const policyName of ['thing-policy', 'deny-secret']) await iot.send(new DetachPolicyCommand({ policyName, target: device.certificateArn }));
    for (const policyName of ['thing-policy', 'deny-secret', 'extra']) await iot.send(new DeletePolicyCommand({ policyName }));
  });
});
