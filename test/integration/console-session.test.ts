/**
 * @module test/integration/console-session
 * The console's cookie and CSRF rules at the HTTP level (fastify inject, plus one real listener for
 * the WebSocket upgrade), over a real registry, SQLite store, policy authorizer and broker: sign-in and
 * its refusals, the session standing in for SigV4 only with the console header and from this origin,
 * a restricted key's AWS-shaped 403, sign-out, expiry, a deleted key, the console data routes, a
 * thing's shadows (made by the iot-data operations, read under the key's policies), and
 * the pages' security headers.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import WebSocket from 'ws';
import type { AccessKeyPrincipal } from '../../src/auth/authorizer.js';
import { compilePolicy } from '../../src/auth/policy/index.js';
import { PolicyAuthorizer } from '../../src/auth/policy-authorizer.js';
import { Channel } from '../../src/broker/channel/channel.js';
import { SYSTEM_CLOCK } from '../../src/broker/clock.js';
import { startBrokerCore, type BrokerCore } from '../../src/broker/core.js';
import { AWS_PROFILE } from '../../src/broker/profile.js';
import { createBrokerConsoleData } from '../../src/console/broker-console-data.js';
import { createControlPlane } from '../../src/control/server.js';
import { CertificateAuthority } from '../../src/pki/certificate-authority.js';
import { attachShadowService, type ShadowService } from '../../src/services/shadow/index.js';
import { AccessKeyRegistry, accountIdFor, ensureAdminCredentials } from '../../src/registry/access-keys.js';
import { CaRegistry } from '../../src/registry/ca-registry.js';
import { Registry } from '../../src/registry/registry.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const REGION = 'us-east-1';
const HOST = '127.0.0.1:9000';
const CONSOLE = { 'x-topicd-console': '1', host: HOST };

interface Key {
  accessKeyId: string;
  secretAccessKey: string;
}

describe('console session', () => {
  let dataDir: string;
  let store: SqliteStore;
  let app: FastifyInstance;
  let core: BrokerCore;
  let admin: Key;
  let restricted: Key & { accessKeyArn: string };
  let keys: AccessKeyRegistry;
  let shadows: ShadowService;
  let clock = Date.now();
  const upgrades: AccessKeyPrincipal[] = [];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'topicd-console-'));
    const assets = join(dataDir, 'console');
    mkdirSync(join(assets, 'assets'), { recursive: true });
    writeFileSync(join(assets, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(assets, 'assets', 'app-1234.js'), 'console.log(1)');
    store = SqliteStore.open(join(dataDir, 'topicd.db'));
    const accountId = await accountIdFor(store);
    const ca = await CertificateAuthority.loadOrCreate(dataDir);
    admin = await ensureAdminCredentials(store, dataDir);
    const registry = new Registry({ store, ca, accountId, region: REGION });
    await registry.init();
    const caRegistry = new CaRegistry({ store, registry });
    await caRegistry.init();
    keys = new AccessKeyRegistry({ keys: store.accessKeys, arn: (id) => registry.accessKeyArn(id) });
    const created = await keys.create();
    restricted = { accessKeyId: created.accessKeyId, secretAccessKey: created.secretAccessKey, accessKeyArn: created.accessKeyArn };
    const authorizer = new PolicyAuthorizer({
      source: registry.authorization, region: REGION, accountId,
      certificateActive: () => false, accessKeyExists: () => true, accessKeyIsAdmin: (id) => id === admin.accessKeyId,
    });
    core = await startBrokerCore(AWS_PROFILE, { store, clock: SYSTEM_CLOCK, onStoreError: (err) => { throw err; } });
    shadows = attachShadowService(core.gate, { shadows: store.shadows, now: () => Date.now() }, (err) => { throw err; });
    app = await createControlPlane({
      registry, caRegistry, accessKeys: store.accessKeys, accessKeyRegistry: keys, endpoint: 'topicd.test.local', region: REGION, accountId,
      authorize: ({ accessKeyId, action, resource, sourceIp }) => authorizer.allowsControl(accessKeyId, action, resource, sourceIp),
      console: {
        assetsDir: assets, rootCaPem: ca.rootCertificatePem, now: () => clock,
        data: createBrokerConsoleData({ broker: core.broker, gate: core.gate }), shadows,
        mqttUpgrade: (_req, socket, _head, principal) => {
          upgrades.push(principal);
          socket.destroy();
        },
      },
    });
  });
  after(async () => {
    await app.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const signIn = (key: Key, headers: Record<string, string> = CONSOLE): Promise<LightMyRequestResponse> =>
    app.inject({ method: 'POST', url: '/console/api/session', headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(key) });
  const cookieOf = (response: LightMyRequestResponse): string => {
    const header = String(response.headers['set-cookie']);
    return header.slice(0, header.indexOf(';'));
  };
  const session = async (key: Key): Promise<string> => {
    const response = await signIn(key);
    assert.equal(response.statusCode, 200, response.body);
    return cookieOf(response);
  };

  it('console - sign-in with the right secret sets an HttpOnly, SameSite=Strict session cookie that names nothing but a random id', async () => {
    const response = await signIn(admin);
    assert.equal(response.statusCode, 200);
    const cookie = String(response.headers['set-cookie']);
    assert.match(cookie, /^topicd-console=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
    assert.ok(!cookie.includes(admin.accessKeyId) && !cookie.includes(admin.secretAccessKey));
    assert.equal(JSON.parse(response.body).accessKeyId, admin.accessKeyId);
    const who = await app.inject({ method: 'GET', url: '/console/api/session', headers: { ...CONSOLE, cookie: cookieOf(response) } });
    assert.equal(who.statusCode, 200);
    assert.equal(JSON.parse(who.body).accessKeyId, admin.accessKeyId);
  });

  it('console - a wrong secret is refused and says so; an unknown key id too; no cookie either way', async () => {
    const wrong = await signIn({ accessKeyId: admin.accessKeyId, secretAccessKey: `${admin.secretAccessKey.slice(0, -1)}${admin.secretAccessKey.endsWith('x') ? 'y' : 'x'}` });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.headers['x-amzn-errortype'], 'UnauthorizedException');
    assert.match(JSON.parse(wrong.body).message, /secret access key is wrong/);
    assert.equal(wrong.headers['set-cookie'], undefined);
    const unknown = await signIn({ accessKeyId: 'AKIA0000000000000000', secretAccessKey: admin.secretAccessKey });
    assert.equal(unknown.statusCode, 401);
    assert.match(JSON.parse(unknown.body).message, /not one of this topicd's access keys/);
    assert.equal(unknown.headers['set-cookie'], undefined);
  });

  it('console - sign-in needs the console header and this origin (a cross-site form cannot sign anyone in)', async () => {
    const noHeader = await signIn(admin, { host: HOST });
    assert.equal(noHeader.statusCode, 403);
    assert.equal(noHeader.headers['set-cookie'], undefined);
    const foreign = await signIn(admin, { ...CONSOLE, origin: 'http://evil.example' });
    assert.equal(foreign.statusCode, 403);
    assert.equal(foreign.headers['set-cookie'], undefined);
    const same = await signIn(admin, { ...CONSOLE, origin: `http://${HOST}` });
    assert.equal(same.statusCode, 200);
  });

  it('console - the cookie stands in for SigV4 on the AWS routes only with the console header set to 1 and from this origin', async () => {
    const cookie = await session(admin);
    const withHeader = await app.inject({ method: 'GET', url: '/things', headers: { ...CONSOLE, cookie } });
    assert.equal(withHeader.statusCode, 200, withHeader.body);
    assert.deepEqual(JSON.parse(withHeader.body).things, []);
    // Without the header the request is an unsigned AWS request, whatever cookie it carries.
    const cookieOnly = await app.inject({ method: 'GET', url: '/things', headers: { host: HOST, cookie } });
    assert.equal(cookieOnly.statusCode, 403);
    assert.equal(cookieOnly.headers['x-amzn-errortype'], 'MissingAuthenticationTokenException');
    const otherValue = await app.inject({ method: 'GET', url: '/things', headers: { host: HOST, cookie, 'x-topicd-console': 'yes' } });
    assert.equal(otherValue.statusCode, 403);
    const foreign = await app.inject({ method: 'POST', url: '/things/stolen', headers: { ...CONSOLE, cookie, origin: 'http://evil.example' } });
    assert.equal(foreign.statusCode, 403);
    assert.equal(foreign.headers['x-amzn-errortype'], 'ForbiddenException');
    const noCookie = await app.inject({ method: 'GET', url: '/things', headers: CONSOLE });
    assert.equal(noCookie.statusCode, 401);
    assert.equal(noCookie.headers['x-amzn-errortype'], 'UnauthorizedException');
    const forged = await app.inject({ method: 'GET', url: '/things', headers: { ...CONSOLE, cookie: 'topicd-console=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
    assert.equal(forged.statusCode, 401);
  });

  it('console - a restricted key acts with its own policies: AWS-shaped 403 until a policy allows, the same authorize as SigV4', async () => {
    const cookie = await session(restricted);
    const denied = await app.inject({ method: 'GET', url: '/things', headers: { ...CONSOLE, cookie } });
    assert.equal(denied.statusCode, 403);
    assert.equal(denied.headers['x-amzn-errortype'], 'AccessDeniedException');
    assert.match(JSON.parse(denied.body).message, new RegExp(`^User: ${restricted.accessKeyArn} is not authorized to perform: iot:ListThings on resource: \\*$`));
    const adminCookie = await session(admin);
    const document = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['iot:ListThings', 'iot:ListRetainedMessages'], Resource: '*' }] });
    const created = await app.inject({ method: 'POST', url: '/policies/console-list', headers: { ...CONSOLE, cookie: adminCookie }, payload: JSON.stringify({ policyDocument: document }) });
    assert.equal(created.statusCode, 200, created.body);
    const attached = await app.inject({ method: 'PUT', url: '/target-policies/console-list', headers: { ...CONSOLE, cookie: adminCookie }, payload: JSON.stringify({ target: restricted.accessKeyArn }) });
    assert.equal(attached.statusCode, 200, attached.body);
    assert.equal((await app.inject({ method: 'GET', url: '/things', headers: { ...CONSOLE, cookie } })).statusCode, 200);
    const create = await app.inject({ method: 'POST', url: '/things/not-mine', headers: { ...CONSOLE, cookie }, payload: '{}' });
    assert.equal(create.statusCode, 403);
    assert.match(JSON.parse(create.body).message, /iot:CreateThing on resource: arn:aws:iot:us-east-1:\d{12}:thing\/not-mine$/);
    // The console's own routes ask the same policies: retained listing allowed, connections not.
    assert.equal((await app.inject({ method: 'GET', url: '/console/api/retained', headers: { ...CONSOLE, cookie } })).statusCode, 200);
    const connections = await app.inject({ method: 'GET', url: '/console/api/connections', headers: { ...CONSOLE, cookie } });
    assert.equal(connections.statusCode, 403);
    assert.match(JSON.parse(connections.body).message, /iot:ListConnections on resource: \*$/);
  });

  it('console - sign-out ends the session and clears the cookie', async () => {
    const cookie = await session(admin);
    const out = await app.inject({ method: 'DELETE', url: '/console/api/session', headers: { ...CONSOLE, cookie } });
    assert.equal(out.statusCode, 204);
    assert.match(String(out.headers['set-cookie']), /^topicd-console=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict$/);
    assert.equal((await app.inject({ method: 'GET', url: '/things', headers: { ...CONSOLE, cookie } })).statusCode, 401);
  });

  it('console - a session ends at its idle limit and when its access key is deleted', async () => {
    const cookie = await session(admin);
    clock += 61 * 60 * 1000;
    assert.equal((await app.inject({ method: 'GET', url: '/console/api/session', headers: { ...CONSOLE, cookie } })).statusCode, 401);
    const key = await keys.create();
    const keyCookie = await session(key);
    assert.equal((await app.inject({ method: 'GET', url: '/console/api/session', headers: { ...CONSOLE, cookie: keyCookie } })).statusCode, 200);
    await keys.delete(key.accessKeyId);
    assert.equal((await app.inject({ method: 'GET', url: '/console/api/session', headers: { ...CONSOLE, cookie: keyCookie } })).statusCode, 401);
  });

  it('console - connections come from lifecycle events; retained messages list, open and delete through the broker', async () => {
    const cookie = await session(admin);
    // A real MQTT channel over an in-process link, as a connected device is.
    const allowAll = new PolicyAuthorizer({
      source: { generation: 0, policiesOf: () => [compilePolicy('all', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] }))], thing: () => undefined },
      region: REGION, accountId: '123456789012', certificateActive: () => true, accessKeyExists: () => false, accessKeyIsAdmin: () => false,
    });
    const link = { written: [] as Buffer[], ended: false, buffered: 0, remoteAddress: '10.0.0.7', write(b: Buffer) { this.written.push(b); }, end() { this.ended = true; } };
    const channel = new Channel(link, {
      gate: core.gate, broker: core.broker, wills: core.wills, authorizer: allowAll, clock: SYSTEM_CLOCK, limits: AWS_PROFILE.limits,
      principal: { kind: 'certificate', certificateId: 'a'.repeat(64), sourceIp: '10.0.0.7' },
    });
    channel.handle({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, clientId: 'sensor-1', keepalive: 60 });
    channel.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'things/sensor-1/#', qos: 1 }] });
    const listed = JSON.parse((await app.inject({ method: 'GET', url: '/console/api/connections', headers: { ...CONSOLE, cookie } })).body);
    assert.deepEqual(listed.connections.map((c: { clientId: string; principal: string; address: string; subscriptions: string[]; protocolVersion: number }) =>
      [c.clientId, c.principal, c.address, c.subscriptions, c.protocolVersion]), [['sensor-1', 'a'.repeat(64), '10.0.0.7', ['things/sensor-1/#'], 5]]);
    const cut = await app.inject({ method: 'DELETE', url: '/console/api/connections/sensor-1', headers: { ...CONSOLE, cookie } });
    assert.ok(cut.statusCode === 200 || cut.statusCode === 204, cut.body);
    assert.equal(link.ended, true, 'the operator\'s disconnect closed it');
    assert.deepEqual(JSON.parse((await app.inject({ method: 'GET', url: '/console/api/connections', headers: { ...CONSOLE, cookie } })).body).connections, []);

    core.gate.publishAsService('plant/boiler/temp', Buffer.from('{"c":71}'), 1, true, { userProperties: { unit: 'celsius' } });
    const page = JSON.parse((await app.inject({ method: 'GET', url: '/console/api/retained', headers: { ...CONSOLE, cookie } })).body);
    assert.deepEqual(page.retainedTopics.map((r: { topic: string; payloadSize: number; qos: number }) => [r.topic, r.payloadSize, r.qos]), [['plant/boiler/temp', 8, 1]]);
    const one = JSON.parse((await app.inject({ method: 'GET', url: '/console/api/retained/message?topic=plant%2Fboiler%2Ftemp', headers: { ...CONSOLE, cookie } })).body);
    assert.equal(Buffer.from(one.payload, 'base64').toString(), '{"c":71}');
    assert.deepEqual(one.userProperties, [['unit', 'celsius']]);
    const deleted = await app.inject({ method: 'DELETE', url: '/console/api/retained/message?topic=plant%2Fboiler%2Ftemp', headers: { ...CONSOLE, cookie } });
    assert.equal(deleted.statusCode, 200, deleted.body);
    assert.equal(await store.retained.get('plant/boiler/temp'), undefined);
    assert.equal((await app.inject({ method: 'DELETE', url: '/console/api/retained/message?topic=plant%2Fboiler%2Ftemp', headers: { ...CONSOLE, cookie } })).statusCode, 404);
    const stats = JSON.parse((await app.inject({ method: 'GET', url: '/console/api/stats', headers: { ...CONSOLE, cookie } })).body);
    assert.equal(stats.samples.at(-1).connections, 0);
    assert.equal(stats.samples.at(-1).messagesIn, null, 'not measured is null, not 0');
  });

  it('console - a thing\'s shadows: the classic and each named one with version, last update and state; read under the key\'s policies', async () => {
    const adminCookie = await session(admin);
    const read = (cookie: string, thing = 'boiler-7'): Promise<LightMyRequestResponse> =>
      app.inject({ method: 'GET', url: `/console/api/things/${thing}/shadows`, headers: { ...CONSOLE, cookie } });
    const none = await read(adminCookie);
    assert.equal(none.statusCode, 200, none.body);
    assert.deepEqual(JSON.parse(none.body), { shadows: [], truncated: false });

    // The iot-data operations (UpdateThingShadow) make them, as an SDK caller would.
    const before = Date.now();
    await shadows.updateThingShadow('boiler-7', undefined, Buffer.from('{"state":{"desired":{"temp":70},"reported":{"temp":64}}}'));
    await shadows.updateThingShadow('boiler-7', undefined, Buffer.from('{"state":{"reported":{"temp":66}}}'));
    await shadows.updateThingShadow('boiler-7', 'firmware', Buffer.from('{"state":{"reported":{"build":"1.4.2"}}}'));
    await shadows.updateThingShadow('boiler-7', 'alarms', Buffer.from('{"state":{"desired":{"armed":true}}}'));
    await shadows.updateThingShadow('other-thing', undefined, Buffer.from('{"state":{"reported":{"x":1}}}'));
    const listed = await read(adminCookie);
    assert.equal(listed.statusCode, 200, listed.body);
    const body = JSON.parse(listed.body) as { shadows: Array<{ shadowName: string | null; version: number; lastUpdated: number; state: unknown }>; truncated: boolean };
    assert.deepEqual(body.shadows.map((s) => [s.shadowName, s.version, s.state]), [
      [null, 2, { desired: { temp: 70 }, reported: { temp: 66 }, delta: { temp: 70 } }],
      ['alarms', 1, { desired: { armed: true }, delta: { armed: true } }],
      ['firmware', 1, { reported: { build: '1.4.2' } }],
    ]);
    for (const s of body.shadows) assert.ok(s.lastUpdated >= before && s.lastUpdated <= Date.now(), `last update of ${String(s.shadowName)} is an epoch-ms time of now`);

    // A key with no shadow policy is refused as iot-data refuses it; then allowed the thing but one named shadow only.
    const key = await keys.create();
    const cookie = await session(key);
    const denied = await read(cookie);
    assert.equal(denied.statusCode, 403);
    assert.equal(denied.headers['x-amzn-errortype'], 'AccessDeniedException');
    assert.match(JSON.parse(denied.body).message, /is not authorized to perform: iot:ListNamedShadowsForThing on resource: arn:aws:iot:us-east-1:\d{12}:thing\/boiler-7$/);
    const document = JSON.stringify({ Version: '2012-10-17', Statement: [
      { Effect: 'Allow', Action: ['iot:ListNamedShadowsForThing', 'iot:GetThingShadow'], Resource: ['arn:aws:iot:*:*:thing/boiler-7', 'arn:aws:iot:*:*:thing/boiler-7/firmware'] },
    ] });
    const created = await app.inject({ method: 'POST', url: '/policies/console-shadows', headers: { ...CONSOLE, cookie: adminCookie }, payload: JSON.stringify({ policyDocument: document }) });
    assert.equal(created.statusCode, 200, created.body);
    const attached = await app.inject({ method: 'PUT', url: '/target-policies/console-shadows', headers: { ...CONSOLE, cookie: adminCookie }, payload: JSON.stringify({ target: key.accessKeyArn }) });
    assert.equal(attached.statusCode, 200, attached.body);
    const partial = JSON.parse((await read(cookie)).body) as { shadows: Array<{ shadowName: string | null; refused?: string; version?: number }> };
    assert.deepEqual(partial.shadows.map((s) => [s.shadowName, s.version ?? null]), [[null, 2], ['alarms', null], ['firmware', 1]]);
    assert.match(partial.shadows[1]?.refused ?? '', /not authorized to perform: iot:GetThingShadow on resource: arn:aws:iot:us-east-1:\d{12}:thing\/boiler-7\/alarms$/);
    const otherThing = await read(cookie, 'other-thing');
    assert.equal(otherThing.statusCode, 403);
    assert.match(JSON.parse(otherThing.body).message, /thing\/other-thing$/);
    assert.equal((await read(adminCookie, 'bad%20name')).statusCode, 400, 'a thing name iot-data refuses');
  });

  it('console - pages are served with a CSP that keeps them to this host, and no file outside the build can be named', async () => {
    const redirect = await app.inject({ method: 'GET', url: '/console' });
    assert.equal(redirect.statusCode, 302);
    assert.equal(redirect.headers.location, '/console/');
    const index = await app.inject({ method: 'GET', url: '/console/' });
    assert.equal(index.statusCode, 200);
    assert.match(String(index.headers['content-security-policy']), /default-src 'self'.*script-src 'self'.*frame-ancestors 'none'/);
    assert.equal(index.headers['x-frame-options'], 'DENY');
    const asset = await app.inject({ method: 'GET', url: '/console/assets/app-1234.js' });
    assert.equal(asset.statusCode, 200);
    assert.match(String(asset.headers['cache-control']), /immutable/);
    // A dot-dot path, even encoded, leaves /console/ altogether (an unsigned AWS request: 403).
    for (const [url, code] of [['/console/assets/../../topicd.db', 403], ['/console/%2e%2e/topicd.db', 403], ['/console/assets/missing.js', 404]] as const) {
      const response = await app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, code, url);
      assert.ok(!response.body.includes('SQLite'), url);
    }
  });

  it('console - the MQTT WebSocket upgrade needs a session and this origin, and is handed over as the access-key principal', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    assert.ok(address && typeof address === 'object');
    const base = `ws://127.0.0.1:${address.port}/console/mqtt`;
    const origin = `http://127.0.0.1:${address.port}`;
    const status = (headers: Record<string, string>, url = base): Promise<number> => new Promise((resolve, reject) => {
      const ws = new WebSocket(url, 'mqtt', { headers });
      ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
      ws.on('error', (err) => (upgrades.length > 0 ? resolve(101) : reject(err)));
      ws.on('open', () => resolve(101));
    });
    const cookie = await session(admin);
    assert.equal(await status({ origin }), 401);
    assert.equal(await status({ origin: 'http://evil.example', cookie }), 403);
    assert.equal(await status({ cookie }), 403, 'a browser always sends Origin');
    assert.equal(await status({ origin, cookie }, base.replace('/console/mqtt', '/console/other')), 404);
    assert.equal(upgrades.length, 0);
    await status({ origin, cookie });
    assert.deepEqual(upgrades.map((p) => [p.kind, p.accessKeyId]), [['access-key', admin.accessKeyId]]);
  });
});
