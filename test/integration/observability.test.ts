/**
 * Metrics, health and logs, from outside: a `topicd start` child at log level info, real MQTT.js
 * clients over mutual TLS, curl over HTTPS, a TLS handshake without a certificate; then `GET /metrics`
 * must show each counter moved by exactly what the traffic did, with its labels; /healthz and /readyz
 * answer 200; the log (stderr, JSON lines) has one line per connect and disconnect with its reason,
 * and never the admin secret nor a private key.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { scrape, valueOf, type Sample } from '../helpers/metrics-text.js';
import { readCredentials } from '../helpers/topicd.js';
import { CLI, run, spawnCli, tlsHandshake, type Run, type Spawned } from '../helpers/tools.js';

interface LogLine {
  event?: string;
  level: number;
  clientId?: string;
  principal?: string;
  principalKind?: string;
  sourceIp?: string;
  protocolVersion?: number;
  transport?: string;
  reason?: string;
  detail?: string;
}

describe('observability - metrics, health and logs of a running topicd', () => {
  const root = mkdtempSync(join(tmpdir(), 'topicd-observe-'));
  const dataDir = join(root, 'data');
  const device = join(root, 'dev');
  let server: Spawned;
  let controlUrl = '';
  let httpsPort = 0;
  let mqttPort = 0;
  let certificateId = '';
  const clients: MqttClient[] = [];

  const cli = (...args: string[]): Promise<Run> => run('node', [CLI, ...args, '--data-dir', dataDir], { env: { TOPICD_CONFIG: '' } });
  const curl = (path: string, withCertificate = true): Promise<Run> => run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}',
    '--cacert', join(device, 'root-CA.pem'),
    ...(withCertificate ? ['--cert', join(device, 'device.pem.crt'), '--key', join(device, 'private.pem.key')] : []),
    '--data', 'hello', `https://localhost:${httpsPort}${path}`]);
  const connect = async (clientId: string, options: IClientOptions = {}): Promise<MqttClient> => {
    const client = mqtt.connect(`mqtts://localhost:${mqttPort}`, {
      ca: readFileSync(join(device, 'root-CA.pem')), cert: readFileSync(join(device, 'device.pem.crt')), key: readFileSync(join(device, 'private.pem.key')),
      clientId, reconnectPeriod: 0, connectTimeout: 5_000, ...options,
    });
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    return client;
  };
  const logLines = (): LogLine[] => server.stderr().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
  const delta = (before: Sample[], now: Sample[], name: string, labels: Record<string, string> = {}): number =>
    valueOf(now, name, labels) - valueOf(before, name, labels);

  before(async () => {
    server = spawnCli(['start', '--data-dir', dataDir, '--https-port', '0', '--mqtt-port', '0', '--alpn-port', '0', '--control-port', '0', '--log-level', 'info']);
    await server.waitFor('stdout', 'topicd is ready', 30_000);
    const runtime = JSON.parse(readFileSync(join(dataDir, 'runtime.json'), 'utf8')) as { controlUrl: string; httpsPort: number; mqttPort: number };
    ({ controlUrl, httpsPort, mqttPort } = runtime);
    const made = await cli('thing', 'create', 'dev', '--out', device, '--json');
    assert.equal(made.code, 0, made.stderr);
    certificateId = (JSON.parse(made.stdout) as { certificateId: string }).certificateId;
  });

  after(async () => {
    for (const c of clients) c.end(true);
    server.child.kill('SIGKILL');
    await server.exited;
    rmSync(root, { recursive: true, force: true });
  });

  it('observability - /healthz and /readyz answer 200 with the checks named', async () => {
    const health = await fetch(`${controlUrl}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${controlUrl}/readyz`);
    const body = await ready.json() as { status: string; checks: Record<string, { ready: boolean }> };
    assert.equal(ready.status, 200, JSON.stringify(body));
    assert.equal(body.status, 'ready');
    assert.deepEqual(Object.keys(body.checks).sort(), ['listeners', 'store']);
  });

  it('observability - /metrics counts MQTT and HTTPS traffic, drops, denials and TLS failures with their labels', async () => {
    const start = await scrape(controlUrl);
    assert.equal(start.status, 200);
    assert.match(start.contentType, /^text\/plain; version=0\.0\.4/);
    for (const s of start.samples) assert.ok(s.name.startsWith('topicd_'), `${s.name} is not prefixed topicd_`);

    // A v5 subscriber that accepts packets of at most 100 bytes, and a 3.1.1 publisher.
    const sub = await connect('dev.sub', { protocolVersion: 5, properties: { maximumPacketSize: 100 } });
    await sub.subscribeAsync('things/dev/#', { qos: 1 });
    const got: string[] = [];
    sub.on('message', (topic) => got.push(topic));
    const pub = await connect('dev.pub', { protocolVersion: 4 });
    const connected = await scrape(controlUrl);
    assert.equal(valueOf(connected.samples, 'topicd_connections', { transport: 'mqtt', protocol: '5' }), 1);
    assert.equal(valueOf(connected.samples, 'topicd_connections', { transport: 'mqtt', protocol: '3.1.1' }), 1);

    for (let i = 0; i < 3; i++) await pub.publishAsync('things/dev/zero', 'x', { qos: 0 });
    for (let i = 0; i < 2; i++) await pub.publishAsync('things/dev/one', 'y', { qos: 1 });
    // Over the subscriber's Maximum Packet Size: received, then dropped for that subscriber [MQTT-3.1.2-25].
    await pub.publishAsync('things/dev/big', 'z'.repeat(300), { qos: 1 });
    // A v5 publisher refused by policy gets PUBACK 0x87 (AWS): one denial of iot:Publish.
    const refused = await connect('dev.refused', { protocolVersion: 5 });
    await assert.rejects(refused.publishAsync('elsewhere/x', 'no', { qos: 1 }));
    // HTTPS: one publish at QoS 1 (retained, so the store commits), one 403, and a handshake without a certificate.
    assert.equal((await curl('/topics/things/dev/https?qos=1&retain=true')).stdout, '200');
    assert.equal((await curl('/topics/elsewhere/y?qos=1')).stdout, '403');
    // The HTTPS port requires a client certificate: the listener refuses this socket (whether the
    // client notices before or after its handshake ends depends on the TLS version's timing).
    await tlsHandshake(httpsPort, { ca: readFileSync(join(device, 'root-CA.pem')), servername: 'localhost' });
    const deadline = Date.now() + 5_000;
    while (got.length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual([...got].sort(), ['things/dev/https', 'things/dev/one', 'things/dev/one', 'things/dev/zero', 'things/dev/zero', 'things/dev/zero']);

    await new Promise((r) => setTimeout(r, 200));
    const now = (await scrape(controlUrl)).samples;
    const d = (name: string, labels: Record<string, string> = {}): number => delta(start.samples, now, name, labels);
    assert.equal(d('topicd_messages_received_total', { protocol: 'mqtt3', qos: '0' }), 3);
    assert.equal(d('topicd_messages_received_total', { protocol: 'mqtt3', qos: '1' }), 3);
    assert.equal(d('topicd_messages_received_total', { protocol: 'https', qos: '1' }), 1);
    assert.equal(d('topicd_messages_received_total', { protocol: 'mqtt5' }), 0, 'the refused publish is not received');
    assert.equal(d('topicd_messages_delivered_total', { protocol: 'mqtt5', qos: '0' }), 3);
    assert.equal(d('topicd_messages_delivered_total', { protocol: 'mqtt5', qos: '1' }), 3);
    assert.equal(d('topicd_messages_delivered_total', { protocol: 'mqtt3' }), 0);
    assert.equal(d('topicd_messages_dropped_total', { reason: 'too-large-for-client' }), 1);
    assert.equal(d('topicd_messages_dropped_total'), 1);
    assert.equal(d('topicd_authorization_denials_total', { action: 'iot:Publish' }), 2);
    assert.equal(d('topicd_https_requests_total', { route: 'publish', status: '200' }), 1);
    assert.equal(d('topicd_https_requests_total', { route: 'publish', status: '403' }), 1);
    assert.equal(d('topicd_tls_handshake_failures_total', { reason: 'no-certificate' }), 1);
    assert.ok(d('topicd_bytes_received_total', { transport: 'mqtt' }) > 300, 'the 300-byte payload at least');
    assert.ok(d('topicd_bytes_sent_total', { transport: 'mqtt' }) > 0);
    assert.ok(d('topicd_bytes_received_total', { transport: 'https' }) > 0);
    assert.ok(d('topicd_store_write_seconds_count', { result: 'committed' }) >= 1, 'the retained message was committed');
    assert.equal(valueOf(now, 'topicd_queued_messages'), 0, 'every QoS 1 delivery was acknowledged');
    assert.ok(now.some((s) => s.name === 'topicd_nodejs_eventloop_lag_seconds'), 'event-loop lag');
    assert.ok(now.some((s) => s.name === 'topicd_process_resident_memory_bytes'), 'process metrics');
  });

  it('observability - the console dashboard\'s counters are the metrics\' own', async () => {
    const { accessKeyId, secretAccessKey } = readCredentials(join(dataDir, 'credentials'));
    const headers = { 'x-topicd-console': '1', 'content-type': 'application/json' };
    const signIn = await fetch(`${controlUrl}/console/api/session`, { method: 'POST', headers, body: JSON.stringify({ accessKeyId, secretAccessKey }) });
    assert.equal(signIn.status, 200);
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    const stats = await (await fetch(`${controlUrl}/console/api/stats`, { headers: { 'x-topicd-console': '1', cookie } })).json() as {
      samples: Array<{ messagesIn: number; messagesOut: number; dropped: number; denied: number }>;
    };
    const metrics = (await scrape(controlUrl)).samples;
    const last = stats.samples.at(-1)!;
    assert.deepEqual([last.messagesIn, last.messagesOut, last.dropped, last.denied], [
      valueOf(metrics, 'topicd_messages_received_total'), valueOf(metrics, 'topicd_messages_delivered_total'),
      valueOf(metrics, 'topicd_messages_dropped_total'), valueOf(metrics, 'topicd_authorization_denials_total'),
    ]);
    assert.ok(last.messagesIn >= 7 && last.denied >= 2, JSON.stringify(last));
  });

  it('observability - connects and disconnects are logged at info with who and the reason', async () => {
    const client = await connect('dev.logged', { protocolVersion: 5 });
    await client.endAsync();
    await server.waitFor('stderr', '"clientId":"dev.logged","sourceIp"');
    await server.waitFor('stderr', '"event":"mqtt.disconnected"');
    const deadline = Date.now() + 5_000;
    let lines: LogLine[] = [];
    while (Date.now() < deadline) {
      lines = logLines().filter((l) => l.clientId === 'dev.logged');
      if (lines.length >= 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const [up, down] = lines;
    assert.ok(up && down, server.stderr());
    assert.deepEqual(
      [up.event, up.level, up.principalKind, up.principal, up.sourceIp, up.protocolVersion, up.transport],
      ['mqtt.connected', 30, 'certificate', certificateId, '127.0.0.1', 5, 'mqtt'],
    );
    assert.deepEqual([down.event, down.level, down.principal, down.reason], ['mqtt.disconnected', 30, certificateId, 'CLIENT_INITIATED_DISCONNECT']);
    // A close by the server carries its own words: here a client id taken over.
    await connect('dev.twice', { protocolVersion: 5 });
    await connect('dev.twice', { protocolVersion: 5 });
    await server.waitFor('stderr', '"reason":"DUPLICATE_CLIENTID"');
    const taken = logLines().find((l) => l.clientId === 'dev.twice' && l.event === 'mqtt.disconnected');
    assert.equal(taken?.detail, 'client id taken over by a new connection');
  });

  it('observability - neither the admin secret nor a private key is ever logged', async () => {
    const { secretAccessKey } = readCredentials(join(dataDir, 'credentials'));
    const pem = readFileSync(join(device, 'private.pem.key'), 'utf8');
    const body = pem.split('\n').filter((l) => l !== '' && !l.startsWith('-----')).join('');
    const output = server.stdout() + server.stderr();
    assert.ok(logLines().length > 5, 'the run logged');
    assert.equal(output.includes(secretAccessKey), false, 'the admin secret');
    for (const line of pem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) {
      assert.equal(output.includes(line), false, 'a line of the private key');
    }
    assert.equal(output.replace(/\\n|\s/g, '').includes(body.slice(0, 40)), false, 'the private key');
  });
});
