import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULTS, loadConfig, parsePlainAllow } from '../../src/config/config.js';
import { tempDir } from '../helpers/topicd.js';

describe('config', () => {
  it('config - defaults are the documented ones', () => {
    const c = loadConfig({ env: {} });
    assert.equal(c.httpsPort, 8443);
    assert.equal(c.mqttPort, 8883);
    assert.equal(c.alpnPort, 443);
    assert.equal(c.controlPort, 9000);
    assert.equal(c.controlHost, '127.0.0.1');
    assert.equal(c.endpoint, 'localhost');
    assert.equal(c.region, 'us-east-1');
    assert.ok(c.dataDir.endsWith('/data'));
    assert.equal(DEFAULTS.dataDir, './data');
  });

  it('config - cluster: --store, --bus and --node-id from file, env and flags, each checked', () => {
    const c = loadConfig({ env: {} });
    assert.equal(c.store, undefined);
    assert.equal(c.bus, undefined);
    assert.equal(c.nodeId, undefined);
    const file = join(tempDir(), 'topicd.json');
    writeFileSync(file, JSON.stringify({ store: 'postgres://u@db:5432/iot', 'node-id': 'from-file' }));
    const d = loadConfig({ configFile: file, env: { TOPICD_BUS: 'nats://nats:4222', TOPICD_NODE_ID: 'from-env' }, flags: { nodeId: 'node-1' } });
    assert.equal(d.store, 'postgres://u@db:5432/iot');
    assert.equal(d.bus, 'nats://nats:4222');
    assert.equal(d.nodeId, 'node-1');
    assert.throws(() => loadConfig({ env: { TOPICD_STORE: 'mysql://db/x' } }), /store must be postgres:\/\/USER@HOST:PORT\/DB/);
    assert.throws(() => loadConfig({ env: { TOPICD_BUS: 'http://nats:4222' } }), /bus must be nats:\/\/HOST:PORT/);
    assert.throws(() => loadConfig({ env: {}, flags: { nodeId: 'a.b' } }), /node-id must be/);
  });

  it('config - file < env < flags', () => {
    const file = join(tempDir(), 'topicd.json');
    writeFileSync(file, JSON.stringify({ 'https-port': 1111, mqttPort: 2222, endpoint: 'from-file', region: 'eu-west-1' }));
    const c = loadConfig({ configFile: file, env: { TOPICD_MQTT_PORT: '3333', TOPICD_ENDPOINT: 'from-env' }, flags: { endpoint: 'from-flag' } });
    assert.equal(c.httpsPort, 1111);
    assert.equal(c.mqttPort, 3333);
    assert.equal(c.endpoint, 'from-flag');
    assert.equal(c.region, 'eu-west-1');
  });

  it('config - the plain listener is off by default; mqtt-plain-allow takes all, none or a list', () => {
    assert.equal(loadConfig({ env: {} }).mqttPlainPort, undefined);
    assert.equal(loadConfig({ env: {} }).mqttPlainHost, '127.0.0.1');
    assert.deepEqual(parsePlainAllow('all'), { publish: true, subscribe: true });
    assert.deepEqual(parsePlainAllow('none'), { publish: false, subscribe: false });
    assert.deepEqual(parsePlainAllow('subscribe'), { publish: false, subscribe: true });
    assert.deepEqual(parsePlainAllow('publish, subscribe'), { publish: true, subscribe: true });
    assert.equal(parsePlainAllow('everything'), null);
    assert.equal(loadConfig({ env: { TOPICD_MQTT_PLAIN_PORT: '1884' } }).mqttPlainPort, 1884);
  });

  it('config - TOPICD_CONFIG names the file', () => {
    const file = join(tempDir(), 'c.json');
    writeFileSync(file, JSON.stringify({ controlPort: 9999 }));
    assert.equal(loadConfig({ env: { TOPICD_CONFIG: file } }).controlPort, 9999);
  });

  it('config - bad values are refused with a message naming the setting', () => {
    assert.throws(() => loadConfig({ env: { TOPICD_HTTPS_PORT: 'abc' } }), /TOPICD_HTTPS_PORT.*https-port.*port number/);
    assert.throws(() => loadConfig({ env: {}, flags: { mqttPort: 70000 } }), /--mqtt-port must be a port number/);
    assert.throws(() => loadConfig({ env: {}, flags: { accountId: '12' } }), /account-id must be 12 digits/);
    assert.throws(() => loadConfig({ env: {}, flags: { logLevel: 'loud' } }), /log-level/);
    assert.throws(() => loadConfig({ env: {}, flags: { mqttPlainAllow: 'publish,delete' } }), /mqtt-plain-allow must be all, none/);
    const file = join(tempDir(), 'bad.json');
    writeFileSync(file, JSON.stringify({ nope: 1 }));
    assert.throws(() => loadConfig({ env: {}, configFile: file }), /unknown key "nope"/);
    writeFileSync(file, '{ not json');
    assert.throws(() => loadConfig({ env: {}, configFile: file }), /bad.json/);
  });
});
