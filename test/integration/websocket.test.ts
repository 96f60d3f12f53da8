/**
 * MQTT over WebSocket (reference §3, §9): `wss://host/mqtt` with subprotocol `mqtt`, on the ALPN port
 * (clients offering `http/1.1` or no ALPN) and on --ws-port; clients identified by a client
 * certificate or by a SigV4-presigned URL (service `iotdevicegateway`) and no certificate at all.
 * Real clients: MQTT.js over wss, the `ws` client, curl.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UpdateCertificateCommand } from '@aws-sdk/client-iot';
import type { MqttClient } from 'mqtt';
import { WebSocket, type ClientOptions } from 'ws';
import { connectPacket, CONNACK_OK_V4, hex } from '../helpers/raw-mqtt.js';
import { collect, connectMqtt, connectWebSocket, createDevice, endClient, presignedMqttUrl, readCredentials, startTestTopicd, type Device, type TestTopicd } from '../helpers/topicd.js';
import { run, tlsHandshake } from '../helpers/tools.js';

const presignedUrl = presignedMqttUrl;

/** Changes the last hex digit of X-Amz-Signature. */
function tamper(url: string): string {
  return url.replace(/(X-Amz-Signature=[0-9a-f]*)([0-9a-f])/, (_m, head: string, last: string) => head + (last === '0' ? '1' : '0'));
}

interface Opened {
  ws: WebSocket | undefined;
  status: number;
  protocol: string;
  body: string;
}

/** Opens a WebSocket with the `ws` client; reports the HTTP status and body of a refusal. */
function openWs(url: string, protocols: string[], options: ClientOptions): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, options);
    ws.once('open', () => resolve({ ws, status: 101, protocol: ws.protocol, body: '' }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ ws: undefined, status: res.statusCode ?? 0, protocol: '', body }));
    });
    ws.once('error', reject);
  });
}

/** Collects the bytes a raw WebSocket receives, and waits for a count of them. */
function rawReader(ws: WebSocket): { read(n: number, timeoutMs?: number): Promise<Buffer>; closed: Promise<number> } {
  let buffered = Buffer.alloc(0);
  let poke: (() => void) | undefined;
  ws.on('message', (data: Buffer) => {
    buffered = Buffer.concat([buffered, data]);
    poke?.();
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => { resolve(code); poke?.(); }));
  return {
    closed,
    async read(n, timeoutMs = 3_000) {
      const deadline = Date.now() + timeoutMs;
      while (buffered.length < n && ws.readyState === WebSocket.OPEN && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, deadline - Date.now());
          poke = () => { clearTimeout(t); resolve(); };
        });
      }
      const out = buffered.subarray(0, n);
      buffered = buffered.subarray(out.length);
      return out;
    },
  };
}


describe('websocket - MQTT over WSS', () => {
  let topicd: TestTopicd;
  let device: Device;
  let subscriber: MqttClient;
  let received: ReturnType<typeof collect>;

  before(async () => {
    topicd = await startTestTopicd({ wsPort: 0 });
    device = await createDevice(topicd, 'wss-device');
    // An MQTT-over-TLS subscriber sees what the WebSocket clients publish.
    subscriber = await connectMqtt(topicd, device, { protocolVersion: 5 });
    received = collect(subscriber);
    await subscriber.subscribeAsync(['wss/#', '$aws/events/presence/connected/+', '$aws/events/presence/disconnected/+'], { qos: 1 });
  });
  after(async () => {
    await endClient(subscriber);
    await topicd.stop();
  });

  const listeners = (): Array<[string, number]> => [['alpn port', topicd.running.ports.alpn!], ['ws port', topicd.running.ports.ws!]];

  it('websocket - both listeners are in the banner and runtime ports', () => {
    const { alpn, ws } = topicd.running.ports;
    assert.ok(alpn && ws, 'both ports listen');
    assert.match(topicd.running.banner(), new RegExp(`wss://localhost:${alpn}/mqtt`));
    assert.match(topicd.running.banner(), new RegExp(`wss://localhost:${ws}/mqtt`));
  });

  for (const protocolVersion of [4, 5] as const) {
    it(`websocket - MQTT.js ${protocolVersion === 4 ? '3.1.1' : '5'} with a client certificate round-trips both ways on each listener`, async () => {
      for (const [name, port] of listeners()) {
        const client = await connectWebSocket(`wss://localhost:${port}/mqtt`, { protocolVersion, ca: device.ca, cert: device.cert, key: device.key });
        const got = collect(client);
        await client.subscribeAsync('back/wss', { qos: 1 });
        const topic = `wss/cert/v${protocolVersion}/${name.replace(' ', '-')}`;
        await client.publishAsync(topic, `hello over ${name}`, { qos: 1 });
        assert.equal((await received.waitForTopic(topic)).payload.toString(), `hello over ${name}`);
        await subscriber.publishAsync('back/wss', 'to the websocket', { qos: 1 });
        const [m] = await got.waitFor(1);
        assert.equal(m?.payload.toString(), 'to the websocket');
        await endClient(client);
      }
    });
  }

  it('websocket - MQTT.js with a SigV4-presigned URL and no client certificate round-trips (service iotdevicegateway, and iotdata)', async () => {
    const { accessKeyId } = readCredentials(topicd.running.credentialsPath);
    for (const [name, port] of listeners()) {
      for (const service of ['iotdevicegateway', 'iotdata']) {
        for (const protocolVersion of [4, 5] as const) {
          const clientId = `sigv4-${service}-${protocolVersion}-${port}`;
          const client = await connectWebSocket(await presignedUrl(topicd, port, { service }), { protocolVersion, ca: device.ca, clientId });
          const topic = `wss/sigv4/${service}/v${protocolVersion}/${name.replace(' ', '-')}`;
          await client.publishAsync(topic, 'signed', { qos: 1 });
          assert.equal((await received.waitForTopic(topic)).payload.toString(), 'signed');
          // AWS: a SigV4 client's lifecycle events name its access key.
          const connected = await received.waitForTopic(`$aws/events/presence/connected/${clientId}`);
          const event = JSON.parse(connected.payload.toString()) as { principalIdentifier: string; ipAddress: string };
          assert.equal(event.principalIdentifier, accessKeyId);
          assert.match(event.ipAddress, /127\.0\.0\.1|::1/);
          await endClient(client);
        }
      }
    }
  });

  /** A raw WebSocket MQTT 3.1.1 client with a will on `wss/will/<id>`, connected. */
  async function connectWithWill(port: number, id: string): Promise<WebSocket> {
    const { ws } = await openWs(`wss://localhost:${port}/mqtt`, ['mqtt'], { ca: device.ca, cert: device.cert, key: device.key });
    assert.ok(ws);
    const reader = rawReader(ws);
    ws.send(connectPacket(4, id, { will: { topic: `wss/will/${id}`, payload: Buffer.from(`${id} gone`), qos: 0, retain: false } }));
    assert.equal((await reader.read(4)).toString('hex'), CONNACK_OK_V4);
    return ws;
  }

  it('websocket - AWS: a client\'s WebSocket Close is a clean disconnect (no will); a dropped connection sends the will', async () => {
    const port = topicd.running.ports.ws!;
    const closed = await connectWithWill(port, 'will-closed');
    closed.close(1000);
    await new Promise((resolve) => closed.once('close', resolve));
    const dropped = await connectWithWill(port, 'will-dropped');
    dropped.terminate();
    assert.equal((await received.waitForTopic('wss/will/will-dropped')).payload.toString(), 'will-dropped gone');
    assert.equal(received.messages.some((m) => m.topic === 'wss/will/will-closed'), false, 'no will after a close frame');
  });

  it('websocket - profile mqtt (will-on-websocket-close): a WebSocket Close without DISCONNECT sends the will', async () => {
    const standard = await startTestTopicd({ wsPort: 0, profile: 'mqtt' });
    try {
      const watcherDevice = await createDevice(standard, 'will-watcher');
      const watcher = await connectMqtt(standard, watcherDevice, { protocolVersion: 5 });
      const got = collect(watcher);
      await watcher.subscribeAsync('wss/will/#', { qos: 1 });
      const { ws } = await openWs(`wss://localhost:${standard.running.ports.ws!}/mqtt`, ['mqtt'], { ca: watcherDevice.ca, cert: watcherDevice.cert, key: watcherDevice.key });
      assert.ok(ws);
      const reader = rawReader(ws);
      ws.send(connectPacket(4, 'std-closed', { will: { topic: 'wss/will/std-closed', payload: Buffer.from('gone'), qos: 0, retain: false } }));
      assert.equal((await reader.read(4)).toString('hex'), CONNACK_OK_V4);
      ws.close(1000);
      assert.equal((await got.waitForTopic('wss/will/std-closed')).payload.toString(), 'gone');
      await endClient(watcher);
    } finally {
      await standard.stop();
    }
  });

  it('websocket - the server answers subprotocol mqtt [MQTT-6.0.0-4]', async () => {
    for (const [, port] of listeners()) {
      const opened = await openWs(await presignedUrl(topicd, port), ['mqtt'], { ca: device.ca });
      assert.equal(opened.status, 101);
      assert.equal(opened.protocol, 'mqtt');
      opened.ws?.close();
      const withCert = await openWs(`wss://localhost:${port}/mqtt`, ['mqttv3.1', 'mqtt'], { ca: device.ca, cert: device.cert, key: device.key });
      assert.equal(withCert.protocol, 'mqtt');
      withCert.ws?.close();
    }
  });

  it('websocket - a wrong signature is refused with 403 before any MQTT', async () => {
    for (const [name, port] of listeners()) {
      const opened = await openWs(tamper(await presignedUrl(topicd, port)), ['mqtt'], { ca: device.ca });
      assert.equal(opened.status, 403, name);
      assert.match((JSON.parse(opened.body) as { message: string }).message, /signature we calculated does not match/);
      // MQTT.js closes without saying why (the ws client above shows the status): it never gets a CONNACK.
      await assert.rejects(connectWebSocket(tamper(await presignedUrl(topicd, port)), { ca: device.ca }), /closed before CONNACK|403/);
      // A key topicd does not have, and a scope for another region.
      const unknownKey = (await presignedUrl(topicd, port)).replace(/X-Amz-Credential=AKIA[A-Z0-9]+/, 'X-Amz-Credential=AKIAUNKNOWNUNKNOWN12');
      assert.equal((await openWs(unknownKey, ['mqtt'], { ca: device.ca })).status, 403);
      assert.equal((await openWs(await presignedUrl(topicd, port, { region: 'eu-west-1' }), ['mqtt'], { ca: device.ca })).status, 403);
    }
  });

  it('websocket - no certificate and no signature: 403 with an AWS-shaped body', async () => {
    for (const [name, port] of listeners()) {
      const opened = await openWs(`wss://localhost:${port}/mqtt`, ['mqtt'], { ca: device.ca });
      assert.equal(opened.status, 403, name);
      assert.equal(typeof (JSON.parse(opened.body) as { message: unknown }).message, 'string');
      await assert.rejects(connectWebSocket(`wss://localhost:${port}/mqtt`, { ca: device.ca }), /closed before CONNACK|403/);
    }
  });

  it('websocket - another path is 404; no or another subprotocol is 400 [MQTT-6.0.0-3]', async () => {
    for (const [, port] of listeners()) {
      const creds = { ca: device.ca, cert: device.cert, key: device.key };
      assert.equal((await openWs(`wss://localhost:${port}/other`, ['mqtt'], creds)).status, 404);
      assert.equal((await openWs(`wss://localhost:${port}/mqtt`, [], creds)).status, 400);
      assert.equal((await openWs(`wss://localhost:${port}/mqtt`, ['mqttv3.1'], creds)).status, 400);
    }
  });

  it('websocket - packets split across messages and several in one message are read as a stream [MQTT-6.0.0-2]', async () => {
    const opened = await openWs(`wss://localhost:${topicd.running.ports.ws}/mqtt`, ['mqtt'], { ca: device.ca, cert: device.cert, key: device.key });
    const ws = opened.ws!;
    const reader = rawReader(ws);
    const connect = connectPacket(4, 'wss-raw');
    ws.send(connect.subarray(0, 5));
    ws.send(Buffer.concat([connect.subarray(5), hex('c000')]));
    assert.deepEqual(await reader.read(6), hex(`${CONNACK_OK_V4} d000`));
    ws.send(Buffer.concat([hex('c000'), hex('c000')]));
    assert.deepEqual(await reader.read(4), hex('d000 d000'));
    ws.close();
  });

  it('websocket - a WebSocket that drops ends its MQTT session at once (disconnected: CONNECTION_LOST)', async () => {
    const opened = await openWs(`wss://localhost:${topicd.running.ports.ws}/mqtt`, ['mqtt'], { ca: device.ca, cert: device.cert, key: device.key });
    const ws = opened.ws!;
    const reader = rawReader(ws);
    ws.send(connectPacket(4, 'wss-dropped'));
    assert.deepEqual(await reader.read(4), hex(CONNACK_OK_V4));
    ws.terminate();
    const event = await received.waitForTopic('$aws/events/presence/disconnected/wss-dropped');
    assert.equal((JSON.parse(event.payload.toString()) as { disconnectReason: string }).disconnectReason, 'CONNECTION_LOST');
  });

  it('websocket - a certificate set INACTIVE loses its WebSocket connections at once', async () => {
    const other = await createDevice(topicd, 'wss-inactive');
    const client = await connectWebSocket(`wss://localhost:${topicd.running.ports.alpn}/mqtt`, { protocolVersion: 5, ca: other.ca, cert: other.cert, key: other.key });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await topicd.iot.send(new UpdateCertificateCommand({ certificateId: other.certificateId, newStatus: 'INACTIVE' }));
    await closed;
    client.end(true);
  });

  it('websocket - a 128 KB payload crosses in both directions', async () => {
    const client = await connectWebSocket(await presignedUrl(topicd, topicd.running.ports.ws!), { protocolVersion: 5, ca: device.ca });
    const got = collect(client);
    await client.subscribeAsync('big/back', { qos: 1 });
    const payload = Buffer.alloc(128 * 1024, 7);
    await client.publishAsync('wss/big', payload, { qos: 1 });
    assert.equal((await received.waitForTopic('wss/big')).payload.length, payload.length);
    await subscriber.publishAsync('big/back', payload, { qos: 1 });
    assert.deepEqual((await got.waitFor(1))[0]?.payload, payload);
    await endClient(client);
  });

  it('websocket - a packet in a text frame closes the connection [MQTT-6.0.0-1]', async () => {
    const opened = await openWs(`wss://localhost:${topicd.running.ports.ws}/mqtt`, ['mqtt'], { ca: device.ca, cert: device.cert, key: device.key });
    const ws = opened.ws!;
    const reader = rawReader(ws);
    ws.send(connectPacket(4, 'wss-text').toString('latin1'));
    assert.equal(await reader.closed, 1003);
  });

  it('websocket - the ws port serves nothing but the upgrade', async () => {
    const result = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', device.caPath,
      `https://localhost:${topicd.running.ports.ws}/mqtt`]);
    assert.equal(result.stdout, '426');
  });

  it('websocket - on the ALPN port, x-amzn-http-ca and x-amzn-mqtt-ca without a client certificate are still refused', async () => {
    const port = topicd.running.ports.alpn!;
    for (const alpn of ['x-amzn-http-ca', 'x-amzn-mqtt-ca']) {
      assert.equal((await tlsHandshake(port, { ca: device.ca, ALPNProtocols: [alpn] })).ok, false, alpn);
      assert.equal((await tlsHandshake(port, { ca: device.ca, cert: device.cert, key: device.key, ALPNProtocols: [alpn] })).ok, true, `${alpn} with a certificate`);
    }
  });

  it('websocket - an HTTPS publish on the ALPN port with neither a client certificate nor a signature gets 403 MissingAuthenticationTokenException', async () => {
    const url = `https://localhost:${topicd.running.ports.alpn}/topics/wss%2Fhttps?qos=1`;
    const without = await run('curl', ['-sS', '-i', '--cacert', device.caPath, '--data', 'x', url]);
    assert.match(without.stdout, /^HTTP\/1\.1 403/);
    assert.match(without.stdout, /x-amzn-ErrorType: MissingAuthenticationTokenException/i);
    const withCert = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', device.caPath,
      '--cert', device.certPath, '--key', device.keyPath, '--data', 'x', url]);
    assert.equal(withCert.stdout, '200');
  });

  it('websocket - the HTTPS port does not upgrade to WebSocket (AWS serves WSS on 443 only)', async () => {
    const opened = await openWs(`wss://localhost:${topicd.running.ports.https}/mqtt`, ['mqtt'], { ca: device.ca, cert: device.cert, key: device.key });
    assert.notEqual(opened.status, 101);
  });
});
