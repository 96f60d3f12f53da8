/**
 * control/resources: the resource each control-plane call is authorized on (IAM style), read off
 * the operation table's own routes, so a new operation cannot be left without one.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OPERATIONS } from '../../src/control/operations.js';
import { operationResource } from '../../src/control/resources.js';

const PREFIX = 'arn:aws:iot:us-east-1:123456789012:';
const byName = new Map(OPERATIONS.map((op) => [op.name, op]));
const resourceOf = (name: string, params: Record<string, string> = {}): string => {
  const op = byName.get(name);
  assert.ok(op, `no operation ${name}`);
  return operationResource(op.url, params, PREFIX);
};

describe('control resources', () => {
  test('control resources - a call on one named resource is authorized on its ARN', () => {
    assert.equal(resourceOf('DescribeThing', { thingName: 'lamp' }), `${PREFIX}thing/lamp`);
    assert.equal(resourceOf('AttachThingPrincipal', { thingName: 'lamp' }), `${PREFIX}thing/lamp`);
    assert.equal(resourceOf('DescribeThingType', { thingTypeName: 'Lamp' }), `${PREFIX}thingtype/Lamp`);
    assert.equal(resourceOf('UpdateCertificate', { certificateId: 'ab' }), `${PREFIX}cert/ab`);
    assert.equal(resourceOf('DescribeCACertificate', { certificateId: 'cd' }), `${PREFIX}cacert/cd`);
    assert.equal(resourceOf('ListCertificatesByCA', { caCertificateId: 'cd' }), `${PREFIX}cacert/cd`);
    assert.equal(resourceOf('GetPolicyVersion', { policyName: 'p', policyVersionId: '2' }), `${PREFIX}policy/p`);
    assert.equal(resourceOf('AttachPolicy', { policyName: 'p' }), `${PREFIX}policy/p`);
    assert.equal(resourceOf('topicd:DeleteAccessKey', { accessKeyId: 'AKIA1' }), `${PREFIX}accesskey/AKIA1`);
  });

  test('control resources - listings and account-wide calls are authorized on *', () => {
    for (const name of ['ListThings', 'ListCertificates', 'ListPolicies', 'DescribeEndpoint', 'CreateKeysAndCertificate', 'GetRegistrationCode', 'TestAuthorization']) {
      assert.equal(resourceOf(name), '*', name);
    }
  });
});
