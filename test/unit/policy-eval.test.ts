/**
 * @module test/unit/policy-eval.test
 * The policy engine's decisions: AWS's documented example policies (connect-policy, pub-sub-policy,
 * certificate-policy-examples, thing-policy-examples, cert-policy-variables), every policy variable,
 * wildcards, deny-wins across policies, and each condition operator both ways. Every assertion names
 * the exact decision and the statement that made it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  IMPLICIT_DENY,
  clientArn,
  compilePolicy,
  evaluate,
  thingArn,
  topicArn,
  topicFilterArn,
} from '../../src/auth/policy/index.js';
import type { CompiledPolicy, Decision, PolicyContext, ThingContext } from '../../src/auth/policy/index.js';

const R = 'us-east-1';
const A = '123456789012';
const ARN = `arn:aws:iot:${R}:${A}`;

type Statement = Record<string, unknown>;
const policy = (name: string, ...statements: Statement[]): CompiledPolicy =>
  compilePolicy(name, JSON.stringify({ Version: '2012-10-17', Statement: statements }));
const allowS = (action: string | string[], resource: string | string[], extra: Statement = {}): Statement => ({ Effect: 'Allow', Action: action, Resource: resource, ...extra });
const denyS = (action: string | string[], resource: string | string[], extra: Statement = {}): Statement => ({ Effect: 'Deny', Action: action, Resource: resource, ...extra });

const ask = (policies: CompiledPolicy | CompiledPolicy[], action: string, resource: string, context: PolicyContext): Decision =>
  evaluate(Array.isArray(policies) ? policies : [policies], { action, resource }, context);

function allowedBy(d: Decision, policyName: string, statementIndex: number, sid?: string): void {
  assert.deepEqual(d, { allowed: true, reason: 'allow', decidedBy: { policyName, statementIndex, effect: 'Allow', ...(sid === undefined ? {} : { sid }) } });
}
function deniedBy(d: Decision, policyName: string, statementIndex: number, sid?: string): void {
  assert.deepEqual(d, { allowed: false, reason: 'explicit-deny', decidedBy: { policyName, statementIndex, effect: 'Deny', ...(sid === undefined ? {} : { sid }) } });
}
function implicit(d: Decision): void {
  assert.deepEqual(d, { allowed: false, reason: 'implicit-deny' });
}

const thing = (name: string, more: Partial<ThingContext> = {}): ThingContext => ({ name, attributes: {}, isAttached: true, ...more });
/** An MQTT connection whose client id is the name of a thing attached to its certificate. */
const mqttThing = (name: string, more: Partial<ThingContext> = {}, context: PolicyContext = {}): PolicyContext => ({
  clientId: name,
  sourceIp: '203.0.113.7',
  thing: thing(name, more),
  ...context,
});
const mqtt = (clientId: string, context: PolicyContext = {}): PolicyContext => ({ clientId, sourceIp: '203.0.113.7', ...context });

const topic = (t: string): string => topicArn(R, A, t);
const filter = (f: string): string => topicFilterArn(R, A, f);
const client = (c: string): string => clientArn(R, A, c);

describe('policy eval - AWS example policies (connect-policy, pub-sub-policy)', () => {
  test('policy eval - AWS: connect with client id client1 only', () => {
    const p = policy('p', allowS('iot:Connect', `${ARN}:client/client1`));
    allowedBy(ask(p, 'iot:Connect', client('client1'), mqtt('client1')), 'p', 0);
    implicit(ask(p, 'iot:Connect', client('client2'), mqtt('client2')));
    implicit(ask(p, 'iot:Publish', client('client1'), mqtt('client1')));
  });

  test('policy eval - AWS: deny client1 and client2, allow a client id that is a registered thing name', () => {
    const p = policy('p',
      denyS('iot:Connect', [`${ARN}:client/client1`, `${ARN}:client/client2`]),
      allowS('iot:Connect', `${ARN}:client/\${iot:Connection.Thing.ThingName}`));
    deniedBy(ask(p, 'iot:Connect', client('client1'), mqttThing('client1')), 'p', 0);
    deniedBy(ask(p, 'iot:Connect', client('client2'), mqttThing('client2')), 'p', 0);
    allowedBy(ask(p, 'iot:Connect', client('sensor-1'), mqttThing('sensor-1')), 'p', 1);
    // No thing by that name attached to the certificate: the variable has no value.
    implicit(ask(p, 'iot:Connect', client('sensor-1'), mqtt('sensor-1')));
    implicit(ask(p, 'iot:Connect', client('sensor-1'), mqttThing('sensor-1', { isAttached: false })));
    // The thing given does not carry the client id's name.
    implicit(ask(p, 'iot:Connect', client('other'), { clientId: 'other', thing: thing('sensor-1') }));
  });

  test('policy eval - AWS: registered devices (5), publish under the thing name', () => {
    const p = policy('p',
      allowS('iot:Connect', `${ARN}:client/\${iot:Connection.Thing.ThingName}`),
      allowS('iot:Publish', `${ARN}:topic/\${iot:Connection.Thing.ThingName}/*`));
    const ctx = mqttThing('sensor-1');
    allowedBy(ask(p, 'iot:Connect', client('sensor-1'), ctx), 'p', 0);
    allowedBy(ask(p, 'iot:Publish', topic('sensor-1/temp'), ctx), 'p', 1);
    allowedBy(ask(p, 'iot:Publish', topic('sensor-1/a/b/c'), ctx), 'p', 1);
    allowedBy(ask(p, 'iot:Publish', topic('sensor-1/'), ctx), 'p', 1);
    implicit(ask(p, 'iot:Publish', topic('sensor-1'), ctx));
    implicit(ask(p, 'iot:Publish', topic('sensor-2/temp'), ctx));
    implicit(ask(p, 'iot:Publish', topic('sensor-10/temp'), ctx));
    implicit(ask(p, 'iot:Subscribe', filter('sensor-1/temp'), ctx));
  });

  test('policy eval - AWS: thing variables are absent over HTTPS (no client id)', () => {
    const p = policy('p', allowS('iot:Publish', `${ARN}:topic/things/\${iot:Connection.Thing.ThingName}/*`));
    implicit(ask(p, 'iot:Publish', topic('things/sensor-1/x'), { sourceIp: '203.0.113.7', thing: thing('sensor-1') }));
    allowedBy(ask(p, 'iot:Publish', topic('things/sensor-1/x'), mqttThing('sensor-1')), 'p', 0);
  });

  test('policy eval - AWS: unregistered devices (5), publish under the client id', () => {
    const p = policy('p',
      allowS('iot:Connect', [`${ARN}:client/client1`, `${ARN}:client/client2`, `${ARN}:client/client3`]),
      allowS('iot:Publish', `${ARN}:topic/\${iot:ClientId}/*`));
    allowedBy(ask(p, 'iot:Connect', client('client3'), mqtt('client3')), 'p', 0);
    implicit(ask(p, 'iot:Connect', client('client4'), mqtt('client4')));
    allowedBy(ask(p, 'iot:Publish', topic('client2/x'), mqtt('client2')), 'p', 1);
    implicit(ask(p, 'iot:Publish', topic('client1/x'), mqtt('client2')));
    // HTTPS publish has no client id, so ${iot:ClientId} matches nothing.
    implicit(ask(p, 'iot:Publish', topic('client1/x'), { sourceIp: '203.0.113.7' }));
  });

  test('policy eval - AWS: registered devices (6), subscribe and receive <thing>/room*', () => {
    const p = policy('p',
      allowS('iot:Connect', `${ARN}:client/\${iot:Connection.Thing.ThingName}`),
      allowS('iot:Subscribe', `${ARN}:topicfilter/\${iot:Connection.Thing.ThingName}/room*`),
      allowS('iot:Receive', `${ARN}:topic/\${iot:Connection.Thing.ThingName}/room*`));
    const ctx = mqttThing('thing1');
    allowedBy(ask(p, 'iot:Subscribe', filter('thing1/room1'), ctx), 'p', 1);
    allowedBy(ask(p, 'iot:Subscribe', filter('thing1/room/+'), ctx), 'p', 1);
    implicit(ask(p, 'iot:Subscribe', filter('thing1/kitchen'), ctx));
    allowedBy(ask(p, 'iot:Receive', topic('thing1/room2'), ctx), 'p', 2);
    implicit(ask(p, 'iot:Receive', filter('thing1/room2'), ctx));
  });

  test('policy eval - AWS: + and # are literal in policies (registered devices (4))', () => {
    const p = policy('p',
      allowS('iot:Connect', `${ARN}:client/\${iot:Connection.Thing.ThingName}`),
      allowS('iot:Subscribe', [`${ARN}:topicfilter/some/+/topic`, `${ARN}:topicfilter/all/#`]));
    const ctx = mqttThing('t1');
    allowedBy(ask(p, 'iot:Subscribe', filter('some/+/topic'), ctx), 'p', 1);
    implicit(ask(p, 'iot:Subscribe', filter('some/a/topic'), ctx));
    implicit(ask(p, 'iot:Subscribe', filter('some/#'), ctx));
    allowedBy(ask(p, 'iot:Subscribe', filter('all/#'), ctx), 'p', 1);
    implicit(ask(p, 'iot:Subscribe', filter('all/x'), ctx));
    implicit(ask(p, 'iot:Subscribe', filter('all/+'), ctx));
  });

  test('policy eval - AWS: an explicit deny wins over an allow (unregistered devices (9))', () => {
    const p = policy('p',
      allowS('iot:Connect', [`${ARN}:client/client1`, `${ARN}:client/client2`]),
      allowS('iot:Publish', `${ARN}:topic/\${iot:ClientId}/*`),
      denyS('iot:Publish', `${ARN}:topic/\${iot:ClientId}/bar`));
    const ctx = mqtt('client1');
    allowedBy(ask(p, 'iot:Publish', topic('client1/baz'), ctx), 'p', 1);
    deniedBy(ask(p, 'iot:Publish', topic('client1/bar'), ctx), 'p', 2);
    allowedBy(ask(p, 'iot:Publish', topic('client1/bar/more'), ctx), 'p', 1);
    implicit(ask(p, 'iot:Publish', topic('client2/bar'), ctx));
  });

  test('policy eval - AWS: ${iot:Thing.ThingName} (used in two AWS examples) is no variable topicd knows', () => {
    // Registered devices (9) and (10) write ${iot:Thing.ThingName}; AWS documents only
    // iot:Connection.Thing.ThingName, so this one resolves to nothing and its statements match nothing.
    const p = policy('p',
      allowS('iot:Publish', `${ARN}:topic/\${iot:Thing.ThingName}/*`),
      denyS('iot:Publish', `${ARN}:topic/\${iot:Thing.ThingName}/bar`));
    const ctx = mqttThing('t1');
    implicit(ask(p, 'iot:Publish', topic('t1/x'), ctx));
    implicit(ask(p, 'iot:Publish', topic('t1/bar'), ctx));
  });

  test('policy eval - AWS: receive policy (11) and the iotmonitor provisioning example', () => {
    const p = policy('p',
      allowS('iot:Connect', `${ARN}:client/client1`),
      allowS(['iot:Publish', 'iot:Receive'], `${ARN}:topic/iotmonitor/provisioning/987654321098`),
      allowS('iot:Subscribe', `${ARN}:topicfilter/iotmonitor/provisioning/987654321098`));
    const ctx = mqtt('client1');
    allowedBy(ask(p, 'iot:Receive', topic('iotmonitor/provisioning/987654321098'), ctx), 'p', 1);
    allowedBy(ask(p, 'iot:Publish', topic('iotmonitor/provisioning/987654321098'), ctx), 'p', 1);
    allowedBy(ask(p, 'iot:Subscribe', filter('iotmonitor/provisioning/987654321098'), ctx), 'p', 2);
    implicit(ask(p, 'iot:Subscribe', topic('iotmonitor/provisioning/987654321098'), ctx));
    implicit(ask(p, 'iot:Receive', topic('iotmonitor/provisioning/987654321099'), ctx));
  });

  test('policy eval - AWS: a client id of + subscribes to my/+/topic through ${iot:ClientId} (basic-policy-variables)', () => {
    // AWS documents this gap: the client id is substituted as is, and + is literal in the policy.
    const p = policy('p', allowS('iot:Subscribe', `${ARN}:topicfilter/my/\${iot:ClientId}/topic`));
    allowedBy(ask(p, 'iot:Subscribe', filter('my/+/topic'), mqtt('+')), 'p', 0);
    implicit(ask(p, 'iot:Subscribe', filter('my/+/topic'), mqtt('a')));
  });
});

describe('policy eval - AWS example policies (thing and certificate)', () => {
  test('policy eval - AWS: Bool iot:Connection.Thing.IsAttached ["true"]', () => {
    const p = policy('p', allowS('iot:Connect', '*', { Condition: { Bool: { 'iot:Connection.Thing.IsAttached': ['true'] } } }));
    allowedBy(ask(p, 'iot:Connect', client('t1'), mqttThing('t1')), 'p', 0);
    implicit(ask(p, 'iot:Connect', client('t1'), mqttThing('t1', { isAttached: false })));
    implicit(ask(p, 'iot:Connect', client('t1'), mqtt('t1')));
    implicit(ask(p, 'iot:Connect', client('t2'), { clientId: 't2', thing: thing('t1') }));
    implicit(ask(p, 'iot:Publish', topic('a'), { sourceIp: '203.0.113.7' }));
    // The same key under Null: absent over HTTPS, present ("false") over MQTT without a thing.
    const n = policy('n', allowS('iot:Publish', '*', { Condition: { Null: { 'iot:Connection.Thing.IsAttached': 'true' } } }));
    allowedBy(ask(n, 'iot:Publish', topic('a'), { sourceIp: '203.0.113.7' }), 'n', 0);
    implicit(ask(n, 'iot:Publish', topic('a'), mqtt('c1')));
  });

  test('policy eval - AWS: thing type and attribute condition, with IsAttached', () => {
    const p = policy('p', allowS('iot:Publish', `${ARN}:topic/device/stats`, {
      Condition: {
        StringEquals: { 'iot:Connection.Thing.Attributes[attributeName]': 'attributeValue', 'iot:Connection.Thing.ThingTypeName': 'Thing_Type_Name' },
        Bool: { 'iot:Connection.Thing.IsAttached': 'true' },
      },
    }));
    const good = { typeName: 'Thing_Type_Name', attributes: { attributeName: 'attributeValue' } };
    allowedBy(ask(p, 'iot:Publish', topic('device/stats'), mqttThing('t1', good)), 'p', 0);
    implicit(ask(p, 'iot:Publish', topic('device/stats'), mqttThing('t1', { ...good, typeName: 'Other' })));
    implicit(ask(p, 'iot:Publish', topic('device/stats'), mqttThing('t1', { attributes: good.attributes })));
    implicit(ask(p, 'iot:Publish', topic('device/stats'), mqttThing('t1', { ...good, attributes: { attributeName: 'x' } })));
    implicit(ask(p, 'iot:Publish', topic('device/stats'), mqttThing('t1', { ...good, isAttached: false })));
  });

  test('policy eval - AWS: topic from a thing attribute; unresolved when the certificate is not attached', () => {
    const p = policy('p', allowS('iot:Publish', `${ARN}:topic/\${iot:Connection.Thing.Attributes[attributeName]}/*`));
    const attributes = { attributeName: 'fleet-a', constructor: 'x' };
    allowedBy(ask(p, 'iot:Publish', topic('fleet-a/1'), mqttThing('t1', { attributes })), 'p', 0);
    implicit(ask(p, 'iot:Publish', topic('fleet-b/1'), mqttThing('t1', { attributes })));
    implicit(ask(p, 'iot:Publish', topic('fleet-a/1'), mqttThing('t1', { attributes, isAttached: false })));
    implicit(ask(p, 'iot:Publish', topic('fleet-a/1'), mqttThing('t1')));
    // Attribute names keep their case; prototype members are no attributes.
    const q = policy('q',
      allowS('iot:Publish', `${ARN}:topic/\${iot:Connection.Thing.Attributes[AttributeName]}/*`),
      allowS('iot:Publish', `${ARN}:topic/p/\${iot:Connection.Thing.Attributes[toString]}`));
    implicit(ask(q, 'iot:Publish', topic('fleet-a/1'), mqttThing('t1', { attributes })));
    implicit(ask(q, 'iot:Publish', topic('p/function toString() { [native code] }'), mqttThing('t1', { attributes })));
  });

  test('policy eval - AWS: ${iot:Connection.Thing.ThingTypeName} in a resource', () => {
    const p = policy('p', allowS('iot:Publish', `${ARN}:topic/types/\${iot:Connection.Thing.ThingTypeName}/*`));
    allowedBy(ask(p, 'iot:Publish', topic('types/lamp/on'), mqttThing('t1', { typeName: 'lamp' })), 'p', 0);
    implicit(ask(p, 'iot:Publish', topic('types/lamp/on'), mqttThing('t1')));
  });

  const cert = (subject: Record<string, string[]>, issuer: Record<string, string[]> = {}, id = 'ab12'): PolicyContext['certificate'] => ({ id, subject, issuer });

  test('policy eval - AWS: ${iot:CertificateId} and ${iot:Certificate.Subject.CommonName} (certificate examples 12, 13)', () => {
    const p = policy('p',
      allowS('iot:Publish', `${ARN}:topic/\${iot:CertificateId}`),
      allowS('iot:Publish', `${ARN}:topic/\${iot:Certificate.Subject.CommonName}`));
    const ctx = mqtt('c1', { certificate: cert({ CommonName: ['device-7'] }, {}, 'f00d') });
    allowedBy(ask(p, 'iot:Publish', topic('f00d'), ctx), 'p', 0);
    allowedBy(ask(p, 'iot:Publish', topic('device-7'), ctx), 'p', 1);
    implicit(ask(p, 'iot:Publish', topic('device-8'), ctx));
    implicit(ask(p, 'iot:Publish', topic('device-7'), mqtt('c1')));
  });

  test('policy eval - AWS: Subject.CommonName.2 is the third value (certificate example 14)', () => {
    const p = policy('p', allowS('iot:Publish', `${ARN}:topic/admin/*`, {
      Condition: { StringEquals: { 'iot:Certificate.Subject.CommonName.2': 'Administrator' } },
    }));
    allowedBy(ask(p, 'iot:Publish', topic('admin/x'), mqtt('c', { certificate: cert({ CommonName: ['a', 'b', 'Administrator'] }) })), 'p', 0);
    implicit(ask(p, 'iot:Publish', topic('admin/x'), mqtt('c', { certificate: cert({ CommonName: ['a', 'Administrator', 'c'] }) })));
    implicit(ask(p, 'iot:Publish', topic('admin/x'), mqtt('c', { certificate: cert({ CommonName: ['a', 'b'] }) })));
  });

  test('policy eval - AWS: ForAnyValue:StringEquals over Subject.CommonName.List (certificate example 15)', () => {
    const p = policy('p', allowS('iot:Publish', `${ARN}:topic/admin/\${iot:Connection.Thing.ThingName}`, {
      Condition: { 'ForAnyValue:StringEquals': { 'iot:Certificate.Subject.CommonName.List': 'Administrator' } },
    }));
    const withNames = (names: string[]): PolicyContext => mqttThing('t1', {}, { certificate: cert({ CommonName: names }) });
    allowedBy(ask(p, 'iot:Publish', topic('admin/t1'), withNames(['t1', 'Administrator'])), 'p', 0);
    implicit(ask(p, 'iot:Publish', topic('admin/t1'), withNames(['t1', 'Operator'])));
    implicit(ask(p, 'iot:Publish', topic('admin/t1'), withNames([])));
    implicit(ask(p, 'iot:Publish', topic('admin/t2'), withNames(['Administrator'])));
  });

  test('policy eval - AWS: ForAllValues:StringEquals over Subject.Organization.List (cert-policy-variables)', () => {
    const p = policy('p',
      allowS('iot:Connect', `${ARN}:client/\${iot:Connection.Thing.ThingName}`),
      allowS('iot:Publish', `${ARN}:topic/my/topic/\${iot:Connection.Thing.ThingName}`, {
        Condition: { 'ForAllValues:StringEquals': { 'iot:Certificate.Subject.Organization.List': ['Example Corp', 'AnyCompany'] } },
      }));
    const orgs = (o: string[]): PolicyContext => mqttThing('t1', {}, { certificate: cert({ Organization: o }) });
    allowedBy(ask(p, 'iot:Publish', topic('my/topic/t1'), orgs(['Example Corp'])), 'p', 1);
    allowedBy(ask(p, 'iot:Publish', topic('my/topic/t1'), orgs(['AnyCompany', 'Example Corp'])), 'p', 1);
    implicit(ask(p, 'iot:Publish', topic('my/topic/t1'), orgs(['Example Corp', 'Other Inc'])));
    // IAM: ForAllValues holds when the key has no values at all.
    allowedBy(ask(p, 'iot:Publish', topic('my/topic/t1'), orgs([])), 'p', 1);
  });

  test('policy eval - AWS: .N is zero-based, out of range resolves to nothing, five values at most', () => {
    const p = policy('p',
      allowS('iot:Publish', `${ARN}:topic/n1/\${iot:Certificate.Subject.OrganizationalUnit.1}`),
      allowS('iot:Publish', `${ARN}:topic/n5/\${iot:Certificate.Subject.OrganizationalUnit.5}`),
      allowS('iot:Publish', `${ARN}:topic/n0/\${iot:certificate.subject.organizationalunit.0}`),
      allowS('iot:Publish', `${ARN}:topic/list/\${iot:Certificate.Subject.OrganizationalUnit.List}`),
      allowS('iot:Receive', '*', { Condition: { 'ForAllValues:StringLike': { 'iot:Certificate.Subject.OrganizationalUnit.List': 'u*' } } }));
    const ctx = mqtt('c', { certificate: cert({ OrganizationalUnit: ['u0', 'u1', 'u2', 'u3', 'u4', 'x5'] }) });
    allowedBy(ask(p, 'iot:Publish', topic('n1/u1'), ctx), 'p', 0);
    implicit(ask(p, 'iot:Publish', topic('n1/u0'), ctx));
    implicit(ask(p, 'iot:Publish', topic('n5/x5'), ctx));
    allowedBy(ask(p, 'iot:Publish', topic('n0/u0'), ctx), 'p', 2);
    // A list is no single value to substitute.
    implicit(ask(p, 'iot:Publish', topic('list/u0'), ctx));
    // The sixth value (x5) is ignored, as AWS ignores items past five.
    allowedBy(ask(p, 'iot:Receive', topic('a'), ctx), 'p', 4);
  });

  test('policy eval - AWS: issuer attributes; a certificate value holding a wildcard is not substituted', () => {
    const p = policy('p',
      allowS('iot:Publish', `${ARN}:topic/ca/\${iot:Certificate.Issuer.Organization}/\${iot:Certificate.Subject.CommonName}`));
    const ctx = (cn: string): PolicyContext => mqtt('c', { certificate: cert({ CommonName: [cn] }, { Organization: ['Acme CA'] }) });
    allowedBy(ask(p, 'iot:Publish', topic('ca/Acme CA/dev-1'), ctx('dev-1')), 'p', 0);
    implicit(ask(p, 'iot:Publish', topic('ca/Other/dev-1'), ctx('dev-1')));
    implicit(ask(p, 'iot:Publish', topic('ca/Acme CA/dev*'), ctx('dev*')));
    implicit(ask(p, 'iot:Publish', topic('ca/Acme CA/dev-2'), ctx('dev*')));
    implicit(ask(p, 'iot:Publish', topic(`ca/Acme CA/${'x'.repeat(1025)}`), ctx('x'.repeat(1025))));
    allowedBy(ask(p, 'iot:Publish', topic(`ca/Acme CA/${'x'.repeat(1024)}`), ctx('x'.repeat(1024))), 'p', 0);
  });

  test('policy eval - AWS: ForAllValues / ForAnyValue over iot:ConnectAttributes (persistent-sessions examples)', () => {
    const connect = (p: CompiledPolicy, attrs: string[]): Decision => ask(p, 'iot:Connect', client('c1'), mqtt('c1', { extra: { 'iot:ConnectAttributes': attrs } }));
    const persistentOnly = policy('a', allowS('iot:Connect', '*', { Condition: { 'ForAllValues:StringEquals': { 'iot:ConnectAttributes': ['PersistentConnect'] } } }));
    allowedBy(connect(persistentOnly, ['PersistentConnect']), 'a', 0);
    allowedBy(connect(persistentOnly, []), 'a', 0);
    implicit(connect(persistentOnly, ['PersistentConnect', 'LastWill']));

    const notPersistent = policy('b', allowS('iot:Connect', '*', { Condition: { 'ForAllValues:StringNotEquals': { 'iot:ConnectAttributes': ['PersistentConnect'] } } }));
    allowedBy(connect(notPersistent, ['LastWill']), 'b', 0);
    implicit(connect(notPersistent, ['LastWill', 'PersistentConnect']));

    const denyPersistent = policy('c', allowS('iot:Connect', '*'), denyS('iot:Connect', '*', { Condition: { 'ForAnyValue:StringEquals': { 'iot:ConnectAttributes': ['PersistentConnect'] } } }));
    deniedBy(connect(denyPersistent, ['LastWill', 'PersistentConnect']), 'c', 1);
    allowedBy(connect(denyPersistent, ['LastWill']), 'c', 0);
    allowedBy(connect(denyPersistent, []), 'c', 0);

    const defaultsOnly = policy('d', allowS('iot:Connect', '*', { Condition: { 'ForAllValues:StringEquals': { 'iot:ConnectAttributes': [] } } }));
    allowedBy(connect(defaultsOnly, []), 'd', 0);
    implicit(connect(defaultsOnly, ['LastWill']));

    const mustPersist = policy('e', allowS('iot:Connect', '*', { Condition: { 'ForAnyValue:StringEquals': { 'iot:ConnectAttributes': ['PersistentConnect'] } } }));
    allowedBy(connect(mustPersist, ['PersistentConnect', 'NewFeature']), 'e', 0);
    implicit(connect(mustPersist, []));
  });

  test('policy eval - AWS: IpAddress on aws:SourceIp, IPv4 and IPv6', () => {
    const p = policy('p',
      allowS('iot:Publish', '*', { Condition: { IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:db8::/32'] } } }),
      denyS('iot:Publish', '*', { Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.66' } } }));
    const from = (ip: string): PolicyContext => ({ sourceIp: ip });
    allowedBy(ask(p, 'iot:Publish', topic('a'), from('203.0.113.7')), 'p', 0);
    allowedBy(ask(p, 'iot:Publish', topic('a'), from('::ffff:203.0.113.7')), 'p', 0);
    allowedBy(ask(p, 'iot:Publish', topic('a'), from('2001:db8:1::5')), 'p', 0);
    deniedBy(ask(p, 'iot:Publish', topic('a'), from('203.0.113.66')), 'p', 1);
    deniedBy(ask(p, 'iot:Publish', topic('a'), from('::ffff:cb00:7142')), 'p', 1);
    implicit(ask(p, 'iot:Publish', topic('a'), from('198.51.100.1')));
    implicit(ask(p, 'iot:Publish', topic('a'), from('2001:db9::1')));
    implicit(ask(p, 'iot:Publish', topic('a'), from('not-an-ip')));
    implicit(ask(p, 'iot:Publish', topic('a'), {}));
  });
});

describe('policy eval - variables and literals', () => {
  test('policy eval - a substituted client id is literal: its * and ? are no wildcards', () => {
    const p = policy('p', allowS(['iot:Connect', 'iot:Publish'], [`${ARN}:client/\${iot:ClientId}`, `${ARN}:topic/c/\${iot:ClientId}/x`]));
    allowedBy(ask(p, 'iot:Publish', topic('c/a*/x'), mqtt('a*')), 'p', 0);
    implicit(ask(p, 'iot:Publish', topic('c/abc/x'), mqtt('a*')));
    implicit(ask(p, 'iot:Publish', topic('c/a/x'), mqtt('a*')));
    allowedBy(ask(p, 'iot:Publish', topic('c/?/x'), mqtt('?')), 'p', 0);
    implicit(ask(p, 'iot:Publish', topic('c/b/x'), mqtt('?')));
    allowedBy(ask(p, 'iot:Connect', client('*'), mqtt('*')), 'p', 0);
    implicit(ask(p, 'iot:Connect', client('other'), mqtt('*')));
  });

  test('policy eval - ${*}, ${?} and ${$} are the literal characters', () => {
    const p = policy('p',
      allowS('iot:Publish', `${ARN}:topic/star/a\${*}b`),
      allowS('iot:Publish', `${ARN}:topic/q/a\${?}`),
      allowS('iot:Publish', `${ARN}:topic/dollar/\${$}{iot:ClientId}`),
      allowS('iot:Publish', `${ARN}:topic/mixed/\${*}/*`));
    const ctx = mqtt('c1');
    allowedBy(ask(p, 'iot:Publish', topic('star/a*b'), ctx), 'p', 0);
    implicit(ask(p, 'iot:Publish', topic('star/axxb'), ctx));
    allowedBy(ask(p, 'iot:Publish', topic('q/a?'), ctx), 'p', 1);
    implicit(ask(p, 'iot:Publish', topic('q/ab'), ctx));
    allowedBy(ask(p, 'iot:Publish', topic('dollar/${iot:ClientId}'), ctx), 'p', 2);
    implicit(ask(p, 'iot:Publish', topic('dollar/c1'), ctx));
    allowedBy(ask(p, 'iot:Publish', topic('mixed/*/anything'), ctx), 'p', 3);
    implicit(ask(p, 'iot:Publish', topic('mixed/x/anything'), ctx));
  });

  test('policy eval - Version 2008-10-17 has no variables: ${...} is plain text, ${*} a star in braces', () => {
    const p = compilePolicy('old', JSON.stringify({
      Version: '2008-10-17',
      Statement: [allowS('iot:Publish', [`${ARN}:topic/\${iot:ClientId}`, `${ARN}:topic/s/\${*}`])],
    }));
    allowedBy(ask(p, 'iot:Publish', topic('${iot:ClientId}'), mqtt('c1')), 'old', 0);
    implicit(ask(p, 'iot:Publish', topic('c1'), mqtt('c1')));
    allowedBy(ask(p, 'iot:Publish', topic('s/${anything}'), mqtt('c1')), 'old', 0);
    implicit(ask(p, 'iot:Publish', topic('s/*'), mqtt('c1')));
  });

  test('policy eval - ${aws:SourceIp} and keys from extra (${iot:DomainName}); key names ignore case', () => {
    const p = policy('p',
      allowS('iot:Publish', `${ARN}:topic/ip/\${aws:SourceIp}`),
      allowS('iot:Publish', `${ARN}:topic/domain/\${iot:DomainName}`),
      allowS('iot:Publish', `${ARN}:topic/lower/\${IOT:clientid}`));
    const ctx = mqtt('Dev1', { sourceIp: '198.51.100.9', extra: { 'iot:domainname': 'example.com' } });
    allowedBy(ask(p, 'iot:Publish', topic('ip/198.51.100.9'), ctx), 'p', 0);
    implicit(ask(p, 'iot:Publish', topic('ip/198.51.100.8'), ctx));
    allowedBy(ask(p, 'iot:Publish', topic('domain/example.com'), ctx), 'p', 1);
    implicit(ask(p, 'iot:Publish', topic('domain/example.com'), mqtt('Dev1')));
    allowedBy(ask(p, 'iot:Publish', topic('lower/Dev1'), ctx), 'p', 2);
    implicit(ask(p, 'iot:Publish', topic('lower/dev1'), ctx));
  });

  test('policy eval - IAM: a Resource entry with an unresolved variable matches nothing; the others still do', () => {
    const p = policy('p', allowS('iot:Publish', [`${ARN}:topic/t/\${iot:Connection.Thing.ThingName}`, `${ARN}:topic/c/\${iot:ClientId}`]));
    allowedBy(ask(p, 'iot:Publish', topic('c/c1'), mqtt('c1')), 'p', 0);
    implicit(ask(p, 'iot:Publish', topic('t/'), mqtt('c1')));
    implicit(ask(p, 'iot:Publish', topic('t/${iot:Connection.Thing.ThingName}'), mqtt('c1')));
  });

  test('policy eval - IAM: under NotResource an unresolved entry excludes nothing', () => {
    const p = policy('p',
      allowS('iot:Publish', '*'),
      { Effect: 'Deny', Action: 'iot:Publish', NotResource: `${ARN}:topic/things/\${iot:Connection.Thing.ThingName}/*` });
    allowedBy(ask(p, 'iot:Publish', topic('things/t1/x'), mqttThing('t1')), 'p', 0);
    deniedBy(ask(p, 'iot:Publish', topic('things/t2/x'), mqttThing('t1')), 'p', 1);
    // Over HTTPS the variable has no value: the Deny covers every topic.
    deniedBy(ask(p, 'iot:Publish', topic('things/t1/x'), { thing: thing('t1') }), 'p', 1);
  });
});

describe('policy eval - actions and resources', () => {
  test('policy eval - actions: iot:*, iot:Get*, ?, *, and case-insensitive names', () => {
    const p = policy('p',
      allowS('iot:Get*', '*'),
      allowS('iot:?ublish', '*'),
      allowS('IOT:receive', '*'));
    const ctx = mqtt('c');
    allowedBy(ask(p, 'iot:GetThingShadow', thingArn(R, A, 't'), ctx), 'p', 0);
    allowedBy(ask(p, 'iot:GetRetainedMessage', topic('a'), ctx), 'p', 0);
    implicit(ask(p, 'iot:UpdateThingShadow', thingArn(R, A, 't'), ctx));
    allowedBy(ask(p, 'iot:Publish', topic('a'), ctx), 'p', 1);
    allowedBy(ask(p, 'IOT:PUBLISH', topic('a'), ctx), 'p', 1);
    implicit(ask(p, 'iot:RetainPublish', topic('a'), ctx));
    allowedBy(ask(p, 'iot:Receive', topic('a'), ctx), 'p', 2);
    const all = policy('all', allowS('iot:*', '*'));
    for (const action of ['iot:Connect', 'iot:Publish', 'iot:Subscribe', 'iot:Receive', 'iot:DeleteThingShadow']) allowedBy(ask(all, action, '*', ctx), 'all', 0);
    implicit(ask(all, 'greengrass:Discover', '*', ctx));
    allowedBy(ask(policy('star', allowS('*', '*')), 'greengrass:Discover', '*', ctx), 'star', 0);
  });

  test('policy eval - NotAction: everything but the listed actions', () => {
    const p = policy('p', { Effect: 'Allow', NotAction: ['iot:Connect', 'iot:Retain*'], Resource: '*' });
    allowedBy(ask(p, 'iot:Publish', topic('a'), mqtt('c')), 'p', 0);
    implicit(ask(p, 'iot:Connect', client('c'), mqtt('c')));
    implicit(ask(p, 'iot:RetainPublish', topic('a'), mqtt('c')));
  });

  test('policy eval - resources: * crosses / and :, ? is one character, matching is case-sensitive', () => {
    const p = policy('p',
      allowS('iot:Publish', `${ARN}:topic/a/*/end`),
      allowS('iot:Publish', `${ARN}:topic/q?z`),
      allowS('iot:Publish', 'arn:aws:iot:*:*:topic/any-region'),
      allowS('iot:Subscribe', `${ARN}:*`),
      allowS('iot:Receive', `${ARN}:topic/*?*x`));
    const ctx = mqtt('c');
    allowedBy(ask(p, 'iot:Publish', topic('a/b/end'), ctx), 'p', 0);
    allowedBy(ask(p, 'iot:Publish', topic('a/b/c/end'), ctx), 'p', 0);
    allowedBy(ask(p, 'iot:Publish', topic('a//end'), ctx), 'p', 0);
    implicit(ask(p, 'iot:Publish', topic('a/end'), ctx));
    implicit(ask(p, 'iot:Publish', topic('a/b/end/x'), ctx));
    implicit(ask(p, 'iot:Publish', topic('A/b/end'), ctx));
    allowedBy(ask(p, 'iot:Publish', topic('qXz'), ctx), 'p', 1);
    implicit(ask(p, 'iot:Publish', topic('qz'), ctx));
    implicit(ask(p, 'iot:Publish', topic('qXYz'), ctx));
    allowedBy(ask(p, 'iot:Publish', topicArn('eu-west-1', '999999999999', 'any-region'), ctx), 'p', 2);
    allowedBy(ask(p, 'iot:Subscribe', filter('x/#'), ctx), 'p', 3);
    allowedBy(ask(p, 'iot:Subscribe', client('weird:id'), ctx), 'p', 3);
    implicit(ask(p, 'iot:Subscribe', topicFilterArn(R, '999999999999', 'x'), ctx));
    allowedBy(ask(p, 'iot:Receive', topic('ax'), ctx), 'p', 4);
    implicit(ask(p, 'iot:Receive', topic('x'), ctx));
  });

  test('policy eval - resources: backtracking over several stars', () => {
    const p = policy('p', allowS('iot:Publish', `${ARN}:topic/*a*b*a*`));
    allowedBy(ask(p, 'iot:Publish', topic('xxaxxbxxaxx'), mqtt('c')), 'p', 0);
    allowedBy(ask(p, 'iot:Publish', topic('aba'), mqtt('c')), 'p', 0);
    implicit(ask(p, 'iot:Publish', topic('aab'), mqtt('c')));
    implicit(ask(p, 'iot:Publish', topic(`${'a'.repeat(200)}c`), mqtt('c')));
  });
  test('policy eval - many stars stay linear: no catastrophic backtracking on a hostile topic', () => {
    // As a backtracking RegExp, ^...*a*a*a*a*a*a*a*a*a*b$ on 250 a's runs for ages; the walk is O(n x m).
    const stars = `${'*a'.repeat(12)}*b`;
    const p = policy('p',
      allowS('iot:Publish', [`${ARN}:topic/${stars}`, `${ARN}:topic/x/\${iot:ClientId}/${stars}`]),
      allowS('iot:Receive', '*', { Condition: { StringLike: { 'x:t': stars } } }),
      allowS('iot:Subscribe', '*', { Condition: { ArnLike: { 'x:arn': `arn:aws:iot:*:*:topic/${stars}` } } }));
    const hostile = 'a'.repeat(250);
    const started = process.hrtime.bigint();
    implicit(ask(p, 'iot:Publish', topic(hostile), mqtt('c')));
    implicit(ask(p, 'iot:Publish', topic(`x/c/${hostile}`), mqtt('c')));
    implicit(ask(p, 'iot:Receive', topic('a'), mqtt('c', { extra: { 'x:t': hostile } })));
    implicit(ask(p, 'iot:Subscribe', filter('a'), mqtt('c', { extra: { 'x:arn': topic(hostile) } })));
    assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 2000, 'took too long');
    allowedBy(ask(p, 'iot:Publish', topic(`${hostile}b`), mqtt('c')), 'p', 0);
    allowedBy(ask(p, 'iot:Publish', topic(`x/c/${hostile}b`), mqtt('c')), 'p', 0);
    allowedBy(ask(p, 'iot:Receive', topic('a'), mqtt('c', { extra: { 'x:t': `${hostile}b` } })), 'p', 1);
  });
});

describe('policy eval - decisions across policies', () => {
  test('policy eval - deny in any attached policy wins over allows in the others, and names itself', () => {
    const a = policy('devices', allowS('iot:*', '*'));
    const b = policy('guard', allowS('iot:Connect', '*'), denyS('iot:Publish', `${ARN}:topic/$aws/*`, { Sid: 'NoReserved' }));
    const ctx = mqtt('c');
    deniedBy(ask([a, b], 'iot:Publish', topic('$aws/things/t/shadow/update'), ctx), 'guard', 1, 'NoReserved');
    deniedBy(ask([b, a], 'iot:Publish', topic('$aws/things/t/shadow/update'), ctx), 'guard', 1, 'NoReserved');
    allowedBy(ask([a, b], 'iot:Publish', topic('a'), ctx), 'devices', 0);
    allowedBy(ask([b, a], 'iot:Connect', client('c'), ctx), 'guard', 0);
    allowedBy(ask([b, a], 'iot:Publish', topic('a'), ctx), 'devices', 0);
  });

  test('policy eval - the first applicable allow is reported; a later deny still wins', () => {
    const p = policy('p',
      allowS('iot:Publish', `${ARN}:topic/x/*`, { Sid: 'Broad' }),
      allowS('iot:Publish', `${ARN}:topic/x/y`, { Sid: 'Narrow' }),
      denyS('iot:*', `${ARN}:topic/x/y/z`));
    allowedBy(ask(p, 'iot:Publish', topic('x/y'), mqtt('c')), 'p', 0, 'Broad');
    deniedBy(ask(p, 'iot:Publish', topic('x/y/z'), mqtt('c')), 'p', 2);
  });

  test('policy eval - no policies, or none that applies, is an implicit deny', () => {
    implicit(ask([], 'iot:Connect', client('c'), mqtt('c')));
    const d = ask(policy('p', allowS('iot:Connect', `${ARN}:client/x`)), 'iot:Connect', client('c'), mqtt('c'));
    implicit(d);
    assert.equal(d, IMPLICIT_DENY);
  });

  test('policy eval - decisions are frozen and shared, so callers may cache them', () => {
    const p = policy('p', allowS('iot:Publish', `${ARN}:topic/\${iot:ClientId}/*`));
    const one = ask(p, 'iot:Publish', topic('c/1'), mqtt('c'));
    const two = ask(p, 'iot:Publish', topic('c/2'), mqtt('c'));
    assert.equal(one, two);
    assert.ok(Object.isFrozen(one) && Object.isFrozen(one.decidedBy));
  });

  test('policy eval - needs tells a transport which lookups the policies can use', () => {
    const plain = policy('a', allowS('iot:Connect', `${ARN}:client/c`));
    assert.deepEqual(plain.needs, { thing: false, certificate: false, sourceIp: false, clientId: false, extra: [] });
    const rich = policy('b',
      allowS('iot:Connect', `${ARN}:client/\${iot:Connection.Thing.ThingName}`),
      allowS('iot:Publish', '*', { Condition: { StringEquals: { 'iot:Certificate.Subject.Country': 'US', 'iot:ConnectAttributes': 'LastWill' }, IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }));
    assert.deepEqual(rich.needs, { thing: true, certificate: true, sourceIp: true, clientId: true, extra: ['iot:ConnectAttributes'] });
  });
});

describe('policy eval - condition operators', () => {
  /** Whether an Allow with `condition` allows, for a context whose extra keys are `keys`. */
  const holds = (condition: Record<string, unknown>, keys: Record<string, string | string[]> = {}, context: PolicyContext = {}): boolean => {
    const p = policy('p', allowS('iot:Publish', '*', { Condition: condition }));
    const d = ask(p, 'iot:Publish', topic('a'), { ...context, extra: keys });
    return d.allowed;
  };

  const cases: Array<[string, string | string[], string, boolean]> = [
    // operator, policy values, context value, expected
    ['StringEquals', 'Abc', 'Abc', true],
    ['StringEquals', 'Abc', 'abc', false],
    ['StringEquals', 'a*', 'abc', false],
    ['StringEquals', 'a*', 'a*', true],
    ['StringNotEquals', 'Abc', 'abc', true],
    ['StringNotEquals', ['x', 'Abc'], 'Abc', false],
    ['StringEqualsIgnoreCase', 'ABC', 'abc', true],
    ['StringEqualsIgnoreCase', 'ABC', 'abd', false],
    ['StringNotEqualsIgnoreCase', 'ABC', 'abc', false],
    ['StringNotEqualsIgnoreCase', 'ABC', 'abd', true],
    ['StringLike', 'dev-*', 'dev-42', true],
    ['StringLike', 'dev-?', 'dev-42', false],
    ['StringLike', ['x', 'dev-??'], 'dev-42', true],
    ['StringLike', 'Dev-*', 'dev-42', false],
    ['StringNotLike', 'dev-*', 'prod-1', true],
    ['StringNotLike', 'dev-*', 'dev-1', false],
    ['NumericEquals', '10', '10.0', true],
    ['NumericEquals', '10', '11', false],
    ['NumericNotEquals', '10', '11', true],
    ['NumericNotEquals', '10', '10', false],
    ['NumericLessThan', '10', '9.5', true],
    ['NumericLessThan', '10', '10', false],
    ['NumericLessThanEquals', '10', '10', true],
    ['NumericLessThanEquals', '10', '10.1', false],
    ['NumericGreaterThan', '10', '11', true],
    ['NumericGreaterThan', '10', '10', false],
    ['NumericGreaterThanEquals', '-1', '-1', true],
    ['NumericGreaterThanEquals', '-1', '-2', false],
    ['NumericEquals', '0', '', false],
    ['NumericEquals', '0', 'zero', false],
    ['NumericNotEquals', '0', 'zero', true],
    ['DateEquals', '2024-01-01T00:00:00Z', '1704067200', true],
    ['DateEquals', '2024-01-01T00:00:00Z', '2024-01-01T00:00:01Z', false],
    ['DateNotEquals', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', true],
    ['DateLessThan', '2024-06-01T00:00:00Z', '2024-05-31T23:59:59Z', true],
    ['DateLessThan', '2024-06-01T00:00:00Z', '2024-06-01T00:00:00Z', false],
    ['DateLessThanEquals', '2024-06-01T00:00:00Z', '2024-06-01T00:00:00Z', true],
    ['DateGreaterThan', '1700000000', '2024-01-01T00:00:00Z', true],
    ['DateGreaterThanEquals', '2024-01-01', '2023-12-31T23:59:59Z', false],
    ['Bool', 'true', 'true', true],
    ['Bool', 'true', 'TRUE', true],
    ['Bool', 'true', 'false', false],
    ['Bool', 'false', 'false', true],
    ['Bool', 'true', 'yes', false],
    ['IpAddress', '10.0.0.0/8', '10.200.3.4', true],
    ['IpAddress', '10.0.0.0/8', '11.0.0.1', false],
    ['IpAddress', '10.1.2.0/23', '10.1.3.255', true],
    ['IpAddress', '10.1.2.0/23', '10.1.4.0', false],
    ['IpAddress', '0.0.0.0/0', '192.0.2.1', true],
    ['IpAddress', '0.0.0.0/0', '2001:db8::1', false],
    ['IpAddress', '2001:db8:abcd::/48', '2001:db8:abcd:12::1', true],
    ['IpAddress', '2001:db8:abcd::/48', '2001:db8:abce::1', false],
    ['IpAddress', '::ffff:10.0.0.0/104', '10.9.9.9', true],
    ['IpAddress', '192.0.2.1', '192.0.2.1', true],
    ['IpAddress', '192.0.2.1', '192.0.2.2', false],
    ['NotIpAddress', '10.0.0.0/8', '11.0.0.1', true],
    ['NotIpAddress', '10.0.0.0/8', '10.0.0.1', false],
    ['ArnEquals', `${ARN}:topic/my/lastwill/*`, `${ARN}:topic/my/lastwill/topicName`, true],
    ['ArnEquals', `${ARN}:topic/my/lastwill/*`, `${ARN}:topic/other`, false],
    ['ArnLike', 'arn:aws:iot:*:123456789012:topic/a:b*', `${ARN}:topic/a:b:c`, true],
    ['ArnLike', 'arn:aws:iot:us-*:*:topic/*', 'arn:aws:iot:eu-west-1:123456789012:topic/x', false],
    // IAM: in ARN operators a * stays inside its colon-separated component.
    ['ArnLike', 'arn:aws:*', `${ARN}:topic/x`, false],
    ['ArnLike', 'arn:aws:*:*:*:*', `${ARN}:topic/x`, true],
    ['ArnLike', 'arn:aws:iot:*:*:*', 'not-an-arn', false],
    ['ArnNotEquals', `${ARN}:topic/a`, `${ARN}:topic/b`, true],
    ['ArnNotEquals', `${ARN}:topic/a`, `${ARN}:topic/a`, false],
    ['ArnNotLike', 'arn:aws:iot:*:*:topic/a*', `${ARN}:topic/b`, true],
    ['ArnNotLike', 'arn:aws:iot:*:*:topic/a*', `${ARN}:topic/abc`, false],
  ];
  for (const [operator, values, value, expected] of cases) {
    test(`policy eval - ${operator} ${JSON.stringify(values)} against ${JSON.stringify(value)} is ${expected}`, () => {
      assert.equal(holds({ [operator]: { 'x:key': values } }, { 'x:key': value }), expected);
    });
  }

  test('policy eval - IAM: an absent key fails positive operators and satisfies negated ones', () => {
    const positive = ['StringEquals', 'StringEqualsIgnoreCase', 'StringLike', 'NumericEquals', 'NumericLessThan', 'DateEquals', 'Bool', 'IpAddress', 'ArnEquals', 'ArnLike'];
    const values: Record<string, string> = { NumericEquals: '1', NumericLessThan: '1', DateEquals: '1700000000', Bool: 'true', IpAddress: '10.0.0.0/8', ArnEquals: `${ARN}:topic/a`, ArnLike: `${ARN}:topic/a` };
    for (const op of positive) assert.equal(holds({ [op]: { 'x:absent': values[op] ?? 'v' } }), false, op);
    const negated = ['StringNotEquals', 'StringNotEqualsIgnoreCase', 'StringNotLike', 'NumericNotEquals', 'DateNotEquals', 'NotIpAddress', 'ArnNotEquals', 'ArnNotLike'];
    const nvalues: Record<string, string> = { NumericNotEquals: '1', DateNotEquals: '1700000000', NotIpAddress: '10.0.0.0/8', ArnNotEquals: `${ARN}:topic/a`, ArnNotLike: `${ARN}:topic/a` };
    for (const op of negated) assert.equal(holds({ [op]: { 'x:absent': nvalues[op] ?? 'v' } }), true, op);
  });

  test('policy eval - ...IfExists holds for an absent key and checks a present one', () => {
    assert.equal(holds({ StringEqualsIfExists: { 'x:k': 'a' } }), true);
    assert.equal(holds({ StringEqualsIfExists: { 'x:k': 'a' } }, { 'x:k': 'a' }), true);
    assert.equal(holds({ StringEqualsIfExists: { 'x:k': 'a' } }, { 'x:k': 'b' }), false);
    assert.equal(holds({ NumericLessThanIfExists: { 'x:n': '5' } }, { 'x:n': '9' }), false);
    assert.equal(holds({ IpAddressIfExists: { 'aws:SourceIp': '10.0.0.0/8' } }), true);
    assert.equal(holds({ IpAddressIfExists: { 'aws:SourceIp': '10.0.0.0/8' } }, {}, { sourceIp: '11.0.0.1' }), false);
    assert.equal(holds({ 'ForAnyValue:StringEqualsIfExists': { 'x:k': 'a' } }), true);
  });

  test('policy eval - Null: "true" when the key is absent, "false" when present', () => {
    assert.equal(holds({ Null: { 'x:k': 'true' } }), true);
    assert.equal(holds({ Null: { 'x:k': 'true' } }, { 'x:k': 'v' }), false);
    assert.equal(holds({ Null: { 'x:k': 'false' } }, { 'x:k': 'v' }), true);
    assert.equal(holds({ Null: { 'x:k': 'false' } }), false);
    assert.equal(holds({ Null: { 'x:k': 'false' } }, { 'x:k': [] }), false);
    assert.equal(holds({ Null: { 'iot:ClientId': 'false' } }, {}, { clientId: 'c' }), true);
  });

  test('policy eval - IAM: keys and operators are ANDed, values ORed', () => {
    const keys = { 'x:a': 'a1', 'x:b': 'b1' };
    assert.equal(holds({ StringEquals: { 'x:a': ['a0', 'a1'], 'x:b': 'b1' } }, keys), true);
    assert.equal(holds({ StringEquals: { 'x:a': ['a0', 'a1'], 'x:b': 'b2' } }, keys), false);
    assert.equal(holds({ StringEquals: { 'x:a': 'a1' }, StringLike: { 'x:b': 'b*' } }, keys), true);
    assert.equal(holds({ StringEquals: { 'x:a': 'a1' }, StringNotLike: { 'x:b': 'b*' } }, keys), false);
    // A negated operator over several values: the key must equal none of them.
    assert.equal(holds({ StringNotEquals: { 'x:a': ['a0', 'a2'] } }, keys), true);
    assert.equal(holds({ StringNotEquals: { 'x:a': ['a0', 'a1'] } }, keys), false);
  });

  test('policy eval - set operators: ForAllValues / ForAnyValue, both polarities, absent and empty keys', () => {
    const set = { 'x:s': ['a', 'b'] };
    assert.equal(holds({ 'ForAllValues:StringEquals': { 'x:s': ['a', 'b', 'c'] } }, set), true);
    assert.equal(holds({ 'ForAllValues:StringEquals': { 'x:s': ['a'] } }, set), false);
    assert.equal(holds({ 'ForAllValues:StringEquals': { 'x:s': ['a'] } }), true);
    assert.equal(holds({ 'ForAllValues:StringLike': { 'x:s': ['?'] } }, set), true);
    assert.equal(holds({ 'ForAllValues:StringNotEquals': { 'x:s': ['c'] } }, set), true);
    assert.equal(holds({ 'ForAllValues:StringNotEquals': { 'x:s': ['b'] } }, set), false);
    assert.equal(holds({ 'ForAnyValue:StringEquals': { 'x:s': ['b', 'z'] } }, set), true);
    assert.equal(holds({ 'ForAnyValue:StringEquals': { 'x:s': ['z'] } }, set), false);
    assert.equal(holds({ 'ForAnyValue:StringEquals': { 'x:s': ['z'] } }), false);
    assert.equal(holds({ 'ForAnyValue:StringEquals': { 'x:s': ['z'] } }, { 'x:s': [] }), false);
    assert.equal(holds({ 'ForAnyValue:StringNotEquals': { 'x:s': ['a'] } }, set), true);
    assert.equal(holds({ 'ForAnyValue:StringNotEquals': { 'x:s': ['a', 'b'] } }, set), false);
    // A single-valued key under a set operator is a set of one.
    assert.equal(holds({ 'ForAnyValue:StringEquals': { 'x:s': ['a'] } }, { 'x:s': 'a' }), true);
    assert.equal(holds({ 'ForAllValues:StringEquals': { 'x:s': ['a'] } }, { 'x:s': 'b' }), false);
  });

  test('policy eval - a multi-valued key under a plain operator reads as ForAnyValue', () => {
    const set = { 'x:s': ['a', 'b'] };
    assert.equal(holds({ StringEquals: { 'x:s': 'b' } }, set), true);
    assert.equal(holds({ StringEquals: { 'x:s': 'c' } }, set), false);
    assert.equal(holds({ StringNotEquals: { 'x:s': 'b' } }, set), false);
    assert.equal(holds({ StringNotEquals: { 'x:s': 'c' } }, set), true);
  });

  test('policy eval - IAM: variables in condition values; one with no value equals nothing, so negated operators hold', () => {
    const eq = { StringEquals: { 'iot:ClientId': '${iot:Connection.Thing.ThingName}' } };
    assert.equal(holds(eq, {}, mqttThing('t1')), true);
    assert.equal(holds(eq, {}, { clientId: 't1', thing: thing('t2') }), false);
    assert.equal(holds(eq, {}, mqtt('t1')), false);
    const ne = { StringNotEquals: { 'iot:ClientId': '${iot:Connection.Thing.ThingName}' } };
    assert.equal(holds(ne, {}, mqtt('t1')), true);
    assert.equal(holds(ne, {}, mqttThing('t1')), false);
    // In StringLike the substituted value is literal too.
    const like = { StringLike: { 'x:topic': 'in/${iot:ClientId}/*' } };
    assert.equal(holds(like, { 'x:topic': 'in/a*/1' }, mqtt('a*')), true);
    assert.equal(holds(like, { 'x:topic': 'in/ab/1' }, mqtt('a*')), false);
    assert.equal(holds({ StringEqualsIgnoreCase: { 'x:k': 'ID-${iot:ClientId}' } }, { 'x:k': 'id-dev1' }, mqtt('DEV1')), true);
    assert.equal(holds({ ArnEquals: { 'x:arn': `${ARN}:client/\${iot:ClientId}` } }, { 'x:arn': client('c:1') }, mqtt('c:1')), true);
    assert.equal(holds({ ArnEquals: { 'x:arn': `${ARN}:client/\${iot:ClientId}` } }, { 'x:arn': client('c:2') }, mqtt('c:1')), false);
  });

  test('policy eval - built-in keys as conditions: iot:ClientId, thing name, aws:SourceIp', () => {
    assert.equal(holds({ StringLike: { 'iot:ClientId': 'dev-*' } }, {}, mqtt('dev-9')), true);
    assert.equal(holds({ StringLike: { 'iot:ClientId': 'dev-*' } }, {}, mqtt('prod-9')), false);
    assert.equal(holds({ StringEquals: { 'iot:Connection.Thing.ThingName': 't1' } }, {}, mqttThing('t1')), true);
    assert.equal(holds({ StringEquals: { 'iot:Connection.Thing.ThingName': 't1' } }, {}, mqttThing('t1', { isAttached: false })), false);
    assert.equal(holds({ NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, {}, mqtt('c')), false);
    assert.equal(holds({ NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }, {}, { sourceIp: '10.0.0.1' }), true);
    // extra never overrides a key the engine resolves itself.
    assert.equal(holds({ StringEquals: { 'iot:ClientId': 'forged' } }, { 'iot:ClientId': 'forged' }, mqtt('real')), false);
  });
});

describe('policy eval - ARN helpers', () => {
  test('policy eval - ARNs for topics, filters, clients and things; partitions by region', () => {
    assert.equal(topicArn('us-east-1', A, 'a/b'), 'arn:aws:iot:us-east-1:123456789012:topic/a/b');
    assert.equal(topicFilterArn('us-east-1', A, 'a/+/#'), 'arn:aws:iot:us-east-1:123456789012:topicfilter/a/+/#');
    assert.equal(clientArn('us-east-1', A, 'c1'), 'arn:aws:iot:us-east-1:123456789012:client/c1');
    assert.equal(thingArn('us-east-1', A, 't1'), 'arn:aws:iot:us-east-1:123456789012:thing/t1');
    assert.equal(thingArn('us-east-1', A, 't1', 'cfg'), 'arn:aws:iot:us-east-1:123456789012:thing/t1/cfg');
    assert.equal(topicArn('cn-north-1', A, 'x'), 'arn:aws-cn:iot:cn-north-1:123456789012:topic/x');
    assert.equal(topicArn('us-gov-west-1', A, 'x'), 'arn:aws-us-gov:iot:us-gov-west-1:123456789012:topic/x');
  });
});
