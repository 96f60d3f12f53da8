/**
 * 20-authorization: AWS IoT policies enforced on the wire (reference §6): iot:Connect on CONNECT,
 * iot:Publish and iot:RetainPublish on MQTT 3.1.1, MQTT 5 and HTTPS publishes, iot:Subscribe per
 * filter, iot:Receive per delivery; each policy variable; and changes (detach, new default version,
 * certificate status) reaching live MQTT and HTTPS keep-alive connections within a second.
 */
import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import { after, before, describe, it } from 'node:test';
import {
  CreatePolicyVersionCommand,
  CreateThingCommand,
  CreateThingTypeCommand,
  DetachPolicyCommand,
  UpdateCertificateCommand,
  UpdateThingCommand,
} from '@aws-sdk/client-iot';
import { RawClient, connectPacket, publishPacket, subscribePacket } from '../helpers/raw-mqtt.js';
import { attachPolicy, createDevice, httpsPost, startTestTopicd, type Device, type TestTopicd } from '../helpers/topicd.js';

const policy = (...statements: object[]): string => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const allow = (action: string | string[], resource: string | string[], extra: object = {}): object => ({ Effect: 'Allow', Action: action, Resource: resource, ...extra });
const deny = (action: string | string[], resource: string | string[]): object => ({ Effect: 'Deny', Action: action, Resource: resource });
const ARN = 'arn:aws:iot:*:*:';

/** An HTTPS publish's status; `agent` keeps the connection alive between calls. */
const httpsPublish = async (topicd: TestTopicd, device: Device, topic: string, options: { retain?: boolean; agent?: Agent } = {}): Promise<number> =>
  (await httpsPost(topicd, device, `/topics/${encodeURIComponent(topic)}?qos=1${options.retain ? '&retain=true' : ''}`, '{}', options.agent ? { agent: options.agent } : {})).status;

/** Connects a raw client; resolves with it and the CONNACK's reason (v5) or return code (3.1.1). */
async function connect(topicd: TestTopicd, device: Device, version: 4 | 5, clientId: string): Promise<{ c: RawClient; code: number }> {
  const c = await RawClient.open(topicd.running.ports.mqtt, device);
  c.send(connectPacket(version, clientId));
  const p = await c.packet(version);
  assert.equal(p.cmd, 'connack');
  return { c, code: version === 5 ? (p.reasonCode ?? 0) : (p.returnCode ?? 0) };
}

async function connected(topicd: TestTopicd, device: Device, version: 4 | 5, clientId: string): Promise<RawClient> {
  const { c, code } = await connect(topicd, device, version, clientId);
  assert.equal(code, 0, `${clientId} may connect`);
  return c;
}

/** PUBACK reason for a QoS 1 v5 publish. */
async function pubackReason(c: RawClient, topic: string, retain = false, messageId = 1): Promise<number> {
  c.send(publishPacket(5, topic, 'm', 1, { retain, messageId }));
  const p = await c.packet(5);
  assert.equal(p.cmd, 'puback');
  return p.reasonCode ?? 0;
}

async function subackCode(c: RawClient, version: 4 | 5, filter: string, messageId = 1): Promise<number> {
  c.send(subscribePacket(version, filter, 1, {}, messageId));
  const p = await c.packet(version);
  assert.ok(p.cmd === 'suback');
  return p.granted[0] as number;
}

const within = async (ms: number, check: () => Promise<boolean>): Promise<boolean> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
};

describe('20-authorization', () => {
  let topicd: TestTopicd;
  let alice: Device;
  let helper: Device;

  before(async () => {
    topicd = await startTestTopicd();
    alice = await createDevice(topicd, 'alice', {
      name: 'alice-policy',
      document: policy(
        allow('iot:Connect', [`${ARN}client/alice`, `${ARN}client/alice-*`]),
        allow('iot:Publish', [`${ARN}topic/allowed/*`, `${ARN}topic/retain-ok/*`, `${ARN}topic/retain-no/*`]),
        allow('iot:RetainPublish', `${ARN}topic/retain-ok/*`),
        deny('iot:Publish', `${ARN}topic/allowed/forbidden`),
        allow('iot:Subscribe', [`${ARN}topicfilter/allowed/*`, `${ARN}topicfilter/open/#`]),
        allow('iot:Receive', [`${ARN}topic/allowed/*`, `${ARN}topic/open/yes`]),
      ),
    });
    helper = await createDevice(topicd, 'helper'); // allowed everything
  });
  after(() => topicd?.stop());

  for (const version of [4, 5] as const) {
    const v = version === 5 ? 'v5' : 'v3.1.1';

    it(`20-authorization - ${v} iot:Connect: the policy's client id is accepted, another refused with CONNACK not authorized`, async () => {
      const ok = await connected(topicd, alice, version, `alice-${version}`);
      ok.close();
      const c = await RawClient.open(topicd.running.ports.mqtt, alice);
      c.send(connectPacket(version, 'mallory'));
      // 3.1.1 return code 5; MQTT 5 reason 0x87; then the connection closes.
      await c.expectClose(version === 5 ? '2003008700' : '20020005');
    });

    it(`20-authorization - ${v} iot:Subscribe per filter: allowed granted, denied SUBACK ${version === 5 ? '0x87' : '0x80'}`, async () => {
      const c = await connected(topicd, alice, version, `alice-sub-${version}`);
      assert.equal(await subackCode(c, version, 'allowed/+'), 1);
      assert.equal(await subackCode(c, version, 'denied/#', 2), version === 5 ? 0x87 : 0x80);
      c.close();
    });
  }

  it('20-authorization - v5 iot:Publish: allowed PUBACK 0, not allowed and explicitly denied PUBACK 0x87, the connection lives on', async () => {
    const c = await connected(topicd, alice, 5, 'alice-pub5');
    assert.equal(await pubackReason(c, 'allowed/a'), 0);
    assert.equal(await pubackReason(c, 'denied/a', false, 2), 0x87);
    assert.equal(await pubackReason(c, 'allowed/forbidden', false, 3), 0x87, 'an explicit Deny wins over allowed/*');
    assert.equal(await pubackReason(c, 'allowed/b', false, 4), 0, 'still serving');
    c.close();
  });

  it('20-authorization - v3.1.1 iot:Publish: a denied publish disconnects the client, as AWS does', async () => {
    const c = await connected(topicd, alice, 4, 'alice-pub4');
    c.send(publishPacket(4, 'allowed/a', 'm', 1));
    await c.expect('40020001');
    c.send(publishPacket(4, 'denied/a', 'm', 1, { messageId: 2 }));
    await c.expectClose();
  });

  it('20-authorization - iot:RetainPublish: a retained publish needs it besides iot:Publish (MQTT 5 and HTTPS)', async () => {
    const c = await connected(topicd, alice, 5, 'alice-retain');
    assert.equal(await pubackReason(c, 'retain-ok/a', true), 0);
    assert.equal(await pubackReason(c, 'retain-no/a', true, 2), 0x87);
    assert.equal(await pubackReason(c, 'retain-no/a', false, 3), 0, 'not retained: iot:Publish is enough');
    c.close();
    assert.equal(await httpsPublish(topicd, alice, 'retain-ok/h', { retain: true }), 200);
    assert.equal(await httpsPublish(topicd, alice, 'retain-no/h', { retain: true }), 403);
    assert.equal(await httpsPublish(topicd, alice, 'retain-no/h'), 200);
  });

  it('20-authorization - HTTPS iot:Publish: allowed 200, not allowed and explicitly denied 403', async () => {
    assert.equal(await httpsPublish(topicd, alice, 'allowed/h'), 200);
    assert.equal(await httpsPublish(topicd, alice, 'denied/h'), 403);
    assert.equal(await httpsPublish(topicd, alice, 'allowed/forbidden'), 403);
  });

  it('20-authorization - iot:Receive is asked per delivery: only topics it allows reach the subscriber', async () => {
    const c = await connected(topicd, alice, 5, 'alice-recv');
    c.send(subscribePacket(5, 'open/#', 0));
    assert.equal((await c.packet(5)).cmd, 'suback');
    const pub = await connected(topicd, helper, 5, 'helper-pub');
    pub.send(publishPacket(5, 'open/no', 'hidden', 0));
    pub.send(publishPacket(5, 'open/yes', 'shown', 0));
    const p = await c.packet(5);
    assert.ok(p.cmd === 'publish' && p.topic === 'open/yes', 'open/no was not delivered');
    assert.equal((await c.read(1, 200)).length, 0);
    c.close();
    pub.close();
  });

  describe('20-authorization - policy variables', () => {
    it('20-authorization - ${iot:ClientId} in a resource', async () => {
      const d = await createDevice(topicd, 'var-client', { name: 'var-client', document: policy(
        allow('iot:Connect', `${ARN}client/*`),
        allow('iot:Publish', `${ARN}topic/c/\${iot:ClientId}/*`),
      ) });
      const c = await connected(topicd, d, 5, 'cid-1');
      assert.equal(await pubackReason(c, 'c/cid-1/x'), 0);
      assert.equal(await pubackReason(c, 'c/cid-2/x', false, 2), 0x87);
      c.close();
    });

    it('20-authorization - ${iot:Connection.Thing.ThingName}: only the attached thing\'s name as client id, never over HTTPS', async () => {
      const d = await createDevice(topicd, 'var-thing', { name: 'var-thing', document: policy(
        allow('iot:Connect', `${ARN}client/\${iot:Connection.Thing.ThingName}`),
        allow('iot:Publish', `${ARN}topic/things/\${iot:Connection.Thing.ThingName}/*`),
      ) });
      await topicd.iot.send(new CreateThingCommand({ thingName: 'not-attached' }));
      const c = await connected(topicd, d, 5, 'var-thing');
      assert.equal(await pubackReason(c, 'things/var-thing/x'), 0);
      c.close();
      assert.equal((await connect(topicd, d, 5, 'not-attached')).code, 0x87, 'a thing the certificate is not attached to');
      assert.equal((await connect(topicd, d, 5, 'no-such-thing')).code, 0x87);
      // AWS: no thing variables over HTTPS, so the resource never matches.
      assert.equal(await httpsPublish(topicd, d, 'things/var-thing/x'), 403);
    });

    it('20-authorization - ${iot:Connection.Thing.Attributes[name]}, and a change to the attribute applies to the live connection', async () => {
      const d = await createDevice(topicd, 'var-attr', { name: 'var-attr', document: policy(
        allow('iot:Connect', `${ARN}client/*`),
        allow('iot:Publish', `${ARN}topic/rooms/\${iot:Connection.Thing.Attributes[room]}/*`),
      ) });
      await topicd.iot.send(new UpdateThingCommand({ thingName: 'var-attr', attributePayload: { attributes: { room: 'kitchen' } } }));
      const c = await connected(topicd, d, 5, 'var-attr');
      assert.equal(await pubackReason(c, 'rooms/kitchen/t'), 0);
      assert.equal(await pubackReason(c, 'rooms/hall/t', false, 2), 0x87);
      await topicd.iot.send(new UpdateThingCommand({ thingName: 'var-attr', attributePayload: { attributes: { room: 'hall' } } }));
      assert.equal(await pubackReason(c, 'rooms/hall/t', false, 3), 0);
      assert.equal(await pubackReason(c, 'rooms/kitchen/t', false, 4), 0x87);
      c.close();
    });

    it('20-authorization - ${iot:Connection.Thing.ThingTypeName}', async () => {
      await topicd.iot.send(new CreateThingTypeCommand({ thingTypeName: 'Lamp' }));
      const d = await createDevice(topicd, 'var-type', { name: 'var-type', document: policy(
        allow('iot:Connect', `${ARN}client/*`),
        allow('iot:Publish', `${ARN}topic/types/\${iot:Connection.Thing.ThingTypeName}/*`),
      ) });
      await topicd.iot.send(new UpdateThingCommand({ thingName: 'var-type', thingTypeName: 'Lamp' }));
      const c = await connected(topicd, d, 5, 'var-type');
      assert.equal(await pubackReason(c, 'types/Lamp/on'), 0);
      assert.equal(await pubackReason(c, 'types/Fan/on', false, 2), 0x87);
      c.close();
    });

    it('20-authorization - iot:Certificate.Issuer.CommonName.List with ForAllValues:StringEquals', async () => {
      const d = await createDevice(topicd, 'var-list', { name: 'var-list', document: policy(
        allow('iot:Connect', `${ARN}client/*`),
        // Every issuer CN must be topicd's root: true for a certificate topicd signed.
        allow('iot:Publish', `${ARN}topic/list/ok`, { Condition: { 'ForAllValues:StringEquals': { 'iot:Certificate.Issuer.CommonName.List': ['topicd Root CA'] } } }),
        allow('iot:Publish', `${ARN}topic/list/never`, { Condition: { 'ForAllValues:StringEquals': { 'iot:Certificate.Issuer.CommonName.List': ['someone else'] } } }),
      ) });
      const c = await connected(topicd, d, 5, 'var-list');
      assert.equal(await pubackReason(c, 'list/ok'), 0);
      assert.equal(await pubackReason(c, 'list/never', false, 2), 0x87);
      c.close();
    });

    it('20-authorization - iot:Connection.Thing.IsAttached in a Bool condition', async () => {
      const d = await createDevice(topicd, 'var-attached', { name: 'var-attached', document: policy(
        allow('iot:Connect', `${ARN}client/*`, { Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } } }),
      ) });
      (await connected(topicd, d, 4, 'var-attached')).close();
      assert.equal((await connect(topicd, d, 4, 'not-attached')).code, 5);
    });

    it('20-authorization - ${iot:Certificate.Issuer.CommonName} and ${iot:Certificate.Subject.CommonName}', async () => {
      const d = await createDevice(topicd, 'var-cert', { name: 'var-cert', document: policy(
        allow('iot:Connect', `${ARN}client/*`),
        allow('iot:Publish', [`${ARN}topic/issuer/\${iot:Certificate.Issuer.CommonName}`, `${ARN}topic/subject/\${iot:Certificate.Subject.CommonName}`]),
      ) });
      const c = await connected(topicd, d, 5, 'var-cert');
      // topicd's root CA, and the subject AWS gives CreateKeysAndCertificate's certificates
      assert.equal(await pubackReason(c, 'issuer/topicd Root CA'), 0);
      assert.equal(await pubackReason(c, 'subject/AWS IoT Certificate', false, 2), 0);
      assert.equal(await pubackReason(c, 'issuer/someone else', false, 3), 0x87);
      c.close();
      assert.equal(await httpsPublish(topicd, d, 'issuer/topicd Root CA'), 200, 'certificate variables resolve over HTTPS');
    });

    it('20-authorization - aws:SourceIp in IpAddress and NotIpAddress conditions', async () => {
      const d = await createDevice(topicd, 'var-ip', { name: 'var-ip', document: policy(
        allow('iot:Connect', `${ARN}client/*`),
        allow('iot:Publish', `${ARN}topic/ip/loopback`, { Condition: { IpAddress: { 'aws:SourceIp': ['127.0.0.0/8', '::1/128'] } } }),
        allow('iot:Publish', `${ARN}topic/ip/elsewhere`, { Condition: { NotIpAddress: { 'aws:SourceIp': ['127.0.0.0/8', '::1/128', '::ffff:127.0.0.0/104'] } } }),
      ) });
      assert.equal(await httpsPublish(topicd, d, 'ip/loopback'), 200);
      assert.equal(await httpsPublish(topicd, d, 'ip/elsewhere'), 403);
    });

    it('20-authorization - iot:ConnectAttributes: a Connect policy may allow persistent sessions but not wills', async () => {
      const d = await createDevice(topicd, 'var-attrs', { name: 'var-attrs', document: policy(
        allow('iot:Connect', `${ARN}client/*`, { Condition: { 'ForAllValues:StringEquals': { 'iot:ConnectAttributes': ['PersistentConnect'] } } }),
      ) });
      const attempt = async (version: 4 | 5, extra: Parameters<typeof connectPacket>[2]): Promise<number> => {
        const c = await RawClient.open(topicd.running.ports.mqtt, d);
        c.send(connectPacket(version, `attrs-${version}`, extra));
        const p = await c.packet(version);
        c.close();
        assert.equal(p.cmd, 'connack');
        return version === 5 ? (p.reasonCode ?? 0) : (p.returnCode ?? 0);
      };
      assert.equal(await attempt(4, {}), 0, 'clean, no will');
      assert.equal(await attempt(4, { clean: false }), 0, 'persistent');
      assert.equal(await attempt(5, { properties: { sessionExpiryInterval: 60 } }), 0, 'v5 persistent');
      const will = { topic: 'w/t', payload: Buffer.from('bye'), qos: 0 as const, retain: false };
      assert.equal(await attempt(4, { will }), 5, 'a will is not allowed');
      assert.equal(await attempt(5, { will, properties: { sessionExpiryInterval: 60 } }), 0x87);
    });

    it('20-authorization - the ${*} literal and * wildcards; MQTT + and # are literal in policies', async () => {
      const d = await createDevice(topicd, 'var-literal', { name: 'var-literal', document: policy(
        allow('iot:Connect', `${ARN}client/*`),
        allow('iot:Publish', `${ARN}topic/star/\${*}`),
        allow('iot:Subscribe', `${ARN}topicfilter/plus/+`),
      ) });
      const c = await connected(topicd, d, 5, 'var-literal');
      assert.equal(await pubackReason(c, 'star/*'), 0);
      assert.equal(await pubackReason(c, 'star/x', false, 2), 0x87);
      assert.equal(await subackCode(c, 5, 'plus/+', 3), 1);
      assert.equal(await subackCode(c, 5, 'plus/x', 4), 0x87);
      c.close();
    });
  });

  describe('20-authorization - changes reach live connections within a second', () => {
    it('20-authorization - detaching the policy disconnects live MQTT (v5 DISCONNECT 0x87) and refuses the next HTTPS keep-alive request', async () => {
      const d = await createDevice(topicd, 'live-detach', { name: 'live-detach', document: policy(allow('iot:*', '*')) });
      const c = await connected(topicd, d, 5, 'live-detach');
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      assert.equal(await httpsPublish(topicd, d, 'live/a', { agent }), 200);
      const started = Date.now();
      await topicd.iot.send(new DetachPolicyCommand({ policyName: 'live-detach', target: d.certificateArn }));
      await c.expectClose('e0028700', 1_000);
      assert.ok(Date.now() - started < 1_000, 'closed within a second');
      assert.equal(await httpsPublish(topicd, d, 'live/a', { agent }), 403);
      agent.destroy();
    });

    it('20-authorization - a new default policy version with a Deny applies to the next publish and delivery', async () => {
      const d = await createDevice(topicd, 'live-version', { name: 'live-version', document: policy(allow('iot:*', '*')) });
      const c = await connected(topicd, d, 5, 'live-version');
      assert.equal(await pubackReason(c, 'lv/a'), 0);
      await topicd.iot.send(new CreatePolicyVersionCommand({
        policyName: 'live-version', setAsDefault: true,
        policyDocument: policy(allow('iot:*', '*'), deny('iot:Publish', `${ARN}topic/lv/a`)),
      }));
      assert.equal(await pubackReason(c, 'lv/a', false, 2), 0x87);
      assert.equal(await pubackReason(c, 'lv/b', false, 3), 0);
      c.close();
    });

    it('20-authorization - a certificate set INACTIVE loses live MQTT and HTTPS keep-alive connections within a second', async () => {
      const d = await createDevice(topicd, 'live-inactive');
      const c = await connected(topicd, d, 4, 'live-inactive');
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      assert.equal(await httpsPublish(topicd, d, 'live/a', { agent }), 200);
      const sockets = Object.values(agent.sockets).flat().concat(Object.values(agent.freeSockets).flat());
      assert.equal(sockets.length, 1);
      const started = Date.now();
      await topicd.iot.send(new UpdateCertificateCommand({ certificateId: d.certificateId, newStatus: 'INACTIVE' }));
      await c.expectClose('', 1_000);
      assert.ok(await within(1_000, async () => sockets[0]!.destroyed), 'the keep-alive socket is closed');
      assert.ok(Date.now() - started < 1_000);
      agent.destroy();
    });

    it('20-authorization - attaching a policy lets a refused device in at once', async () => {
      const d = await createDevice(topicd, 'late-policy', null);
      assert.equal((await connect(topicd, d, 4, 'late-policy')).code, 5);
      assert.equal(await httpsPublish(topicd, d, 'late/a'), 403);
      await attachPolicy(topicd, d.certificateArn, 'late-policy', policy(allow('iot:*', '*')));
      (await connected(topicd, d, 4, 'late-policy')).close();
      assert.equal(await httpsPublish(topicd, d, 'late/a'), 200);
    });
  });
});
