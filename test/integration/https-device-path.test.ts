/**
 * @module test/integration/https-device-path.test
 * The fast path of a device's HTTPS publish (transports/iot-data/device-path.ts) over real TLS sockets:
 * pipelined requests answered in order, a body that arrives in pieces, a connection handed to node's
 * server mid-way (its next requests answered there, in order), `Connection: close` and HTTP/1.0, a
 * refusal that keeps the connection, the same answer bytes as node's path, and a certificate made
 * INACTIVE cutting an idle keep-alive connection.
 */
import assert from 'node:assert/strict';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { UpdateCertificateCommand } from '@aws-sdk/client-iot';
import type { MqttClient } from 'mqtt';
import { collect, connectMqtt, createDevice, endClient, startTestTopicd, type Collector, type Device, type TestTopicd } from '../helpers/topicd.js';

interface Answer {
  status: number;
  /** Lower-case names, in order. */
  headers: Array<[string, string]>;
  body: string;
}

/** A raw TLS connection to the HTTPS port that reads the answers, one after another, as they come. */
class RawClient {
  private text = '';
  readonly answers: Answer[] = [];
  closed = false;
  private readonly waiters: Array<() => void> = [];

  private constructor(readonly socket: TLSSocket) {
    socket.on('data', (c: Buffer) => {
      this.text += c.toString('latin1');
      this.parse();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static open(topicd: TestTopicd, device: Device): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: 'localhost', port: topicd.running.ports.https, ca: device.ca, cert: device.cert, key: device.key }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private parse(): void {
    for (;;) {
      const end = this.text.indexOf('\r\n\r\n');
      if (end === -1) return;
      const [statusLine, ...lines] = this.text.slice(0, end).split('\r\n');
      const headers = lines.map((l): [string, string] => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]);
      const length = Number(headers.find(([n]) => n === 'content-length')?.[1] ?? 0);
      if (this.text.length < end + 4 + length) return;
      this.answers.push({ status: Number(statusLine!.split(' ')[1]), headers, body: this.text.slice(end + 4, end + 4 + length) });
      this.text = this.text.slice(end + 4 + length);
      this.wake();
    }
  }

  /** Resolves once `n` answers have arrived (or rejects when the connection closes first). */
  waitFor(n: number, timeoutMs = 5_000): Promise<Answer[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`expected ${n} answers, got ${this.answers.length}`)), timeoutMs);
      const check = (): void => {
        if (this.answers.length >= n) {
          clearTimeout(timer);
          resolve(this.answers.slice(0, n));
        } else if (this.closed) {
          clearTimeout(timer);
          reject(new Error(`closed after ${this.answers.length} of ${n} answers`));
        } else this.waiters.push(check);
      };
      check();
    });
  }

  waitClosed(timeoutMs = 5_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('still open')), timeoutMs);
      const check = (): void => {
        if (this.closed) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      check();
    });
  }
}

const publish = (path: string, body: string, extra = ''): string =>
  `POST ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

const header = (answer: Answer, name: string): string | undefined => answer.headers.find(([n]) => n === name)?.[1];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('https device path - a device\'s publish without node\'s request objects', () => {
  let topicd: TestTopicd;
  let device: Device;
  let limited: Device;
  let subscriber: MqttClient;
  let got: Collector;

  before(async () => {
    topicd = await startTestTopicd();
    device = await createDevice(topicd, 'fast-device');
    limited = await createDevice(topicd, 'fast-limited', {
      name: 'fast-limited-policy',
      document: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:*:*:topic/fast/allowed' }],
      }),
    });
    subscriber = await connectMqtt(topicd, device);
    got = collect(subscriber);
    await subscriber.subscribeAsync('fast/#', { qos: 1 });
  });
  after(async () => {
    await endClient(subscriber);
    await topicd.stop();
  });

  /** The messages on `topic` received so far, in order. */
  const payloadsOn = (topic: string): string[] => got.messages.filter((m) => m.topic === topic).map((m) => m.payload.toString());

  it('https device path - pipelined requests in one write: answered in order, delivered in order', async () => {
    const client = await RawClient.open(topicd, device);
    client.socket.write(['one', 'two', 'three'].map((p) => publish('/topics/fast%2Fpipe?qos=1', p)).join(''));
    const answers = await client.waitFor(3);
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200]);
    const traceIds = answers.map((a) => (JSON.parse(a.body) as { traceId: string }).traceId);
    assert.equal(new Set(traceIds).size, 3, 'one trace id per request');
    assert.deepEqual(answers.map((a) => header(a, 'x-amzn-requestid')), traceIds);
    await got.waitFor(3);
    assert.deepEqual(payloadsOn('fast/pipe'), ['one', 'two', 'three']);
    client.socket.end();
  });

  it('https device path - a body in pieces (head, then the body over three writes) is one message', async () => {
    const client = await RawClient.open(topicd, device);
    client.socket.write('POST /topics/fast/pieces?qos=1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 12\r\n\r\n');
    for (const piece of ['abcd', 'efgh', 'ijkl']) {
      await sleep(50);
      assert.equal(client.answers.length, 0, 'no answer before the whole body');
      client.socket.write(piece);
    }
    assert.equal((await client.waitFor(1))[0]!.status, 200);
    await got.waitForTopic('fast/pieces');
    assert.deepEqual(payloadsOn('fast/pieces'), ['abcdefghijkl']);
    client.socket.end();
  });

  it('https device path - a request the fast path does not take hands the connection to node\'s server, in order', async () => {
    const client = await RawClient.open(topicd, device);
    client.socket.write(
      publish('/topics/fast/handoff?qos=1', 'first')
      + publish('/topics/fast/handoff?qos=1&retain=true', 'second')
      + publish('/topics/fast/handoff?qos=1', 'third')
      + 'GET /retainedMessage/fast%2Fhandoff HTTP/1.1\r\nHost: localhost\r\n\r\n',
    );
    const answers = await client.waitFor(4);
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200]);
    const retained = JSON.parse(answers[3]!.body) as { topic: string; payload: string };
    assert.equal(retained.topic, 'fast/handoff');
    assert.equal(Buffer.from(retained.payload, 'base64').toString(), 'second');
    await waitUntil(() => payloadsOn('fast/handoff').length === 3);
    assert.deepEqual(payloadsOn('fast/handoff'), ['first', 'second', 'third']);
    client.socket.end();
  });

  it('https device path - Connection: close is answered with close, and the server closes; what follows is not read', async () => {
    const client = await RawClient.open(topicd, device);
    client.socket.write(publish('/topics/fast/close?qos=1', 'last', 'Connection: close\r\n') + publish('/topics/fast/close?qos=1', 'ignored'));
    const [answer] = await client.waitFor(1);
    assert.equal(answer!.status, 200);
    assert.equal(header(answer!, 'connection'), 'close');
    await client.waitClosed();
    assert.equal(client.answers.length, 1);
    await got.waitForTopic('fast/close');
    await sleep(100);
    assert.deepEqual(payloadsOn('fast/close'), ['last']);
  });

  it('https device path - HTTP/1.0 closes after its answer unless it asks for keep-alive', async () => {
    const once = await RawClient.open(topicd, device);
    once.socket.write('POST /topics/fast/v10 HTTP/1.0\r\nContent-Length: 1\r\n\r\na');
    assert.equal((await once.waitFor(1))[0]!.status, 200);
    await once.waitClosed();

    const kept = await RawClient.open(topicd, device);
    for (const body of ['b', 'c']) {
      kept.socket.write(`POST /topics/fast/v10 HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n${body}`);
      await kept.waitFor(body === 'b' ? 1 : 2);
    }
    assert.equal(header(kept.answers[0]!, 'connection'), 'keep-alive');
    assert.equal(kept.closed, false);
    await waitUntil(() => payloadsOn('fast/v10').length === 3);
    assert.deepEqual(payloadsOn('fast/v10'), ['a', 'b', 'c']);
    kept.socket.end();
  });

  it('https device path - a refusal keeps the connection, and the next request is served', async () => {
    const client = await RawClient.open(topicd, limited);
    client.socket.write(publish('/topics/fast/denied?qos=1', 'no'));
    const [refused] = await client.waitFor(1);
    assert.equal(refused!.status, 403);
    assert.equal(header(refused!, 'x-amzn-errortype'), 'ForbiddenException');
    client.socket.write(publish('/topics/fast/allowed?qos=1', 'yes'));
    assert.equal((await client.waitFor(2))[1]!.status, 200);
    await got.waitForTopic('fast/allowed');
    assert.deepEqual(payloadsOn('fast/denied'), []);
    client.socket.end();
  });

  it('https device path - the same answer as node\'s path, header for header (but Date and the ids)', async () => {
    // `&retain=false` means the same publish, but the fast path leaves it to node's server.
    for (const [device_, topic, status] of [[device, 'fast/same', 200], [limited, 'fast/denied', 403]] as const) {
      const fast = await RawClient.open(topicd, device_);
      fast.socket.write(publish(`/topics/${topic}?qos=1`, 'x'));
      const node = await RawClient.open(topicd, device_);
      node.socket.write(publish(`/topics/${topic}?qos=1&retain=false`, 'x'));
      const [a] = await fast.waitFor(1);
      const [b] = await node.waitFor(1);
      assert.equal(a!.status, status);
      assert.equal(b!.status, status);
      // Node's path refuses before it reads the body, so it must close (the unread body would be taken for
      // the next request); the fast path has the whole request and keeps the connection (the test above).
      const unlike = status === 200 ? ['date', 'x-amzn-requestid'] : ['date', 'x-amzn-requestid', 'connection', 'keep-alive'];
      const comparable = (x: Answer): Array<[string, string]> => x.headers.filter(([n]) => n !== 'keep-alive' || status === 200).map(([n, v]) => [n, unlike.includes(n) ? '' : v]);
      assert.deepEqual(comparable(a!), comparable(b!));
      const body = (x: Answer): unknown => ({ ...(JSON.parse(x.body) as object), traceId: '' });
      assert.deepEqual(body(a!), body(b!));
      fast.socket.end();
      node.socket.end();
    }
  });

  it('https device path - a client that pipelines and does not read its answers is not read either; once it reads, all are answered', async () => {
    const counter = await connectMqtt(topicd, device);
    let delivered = 0;
    counter.on('message', () => { delivered++; });
    await counter.subscribeAsync('flood/#', { qos: 0 });
    const client = await RawClient.open(topicd, device);
    client.socket.pause();
    const total = 60_000;
    const one = publish('/topics/flood/x', 'x');
    for (let sent = 0; sent < total; sent += 1_000) client.socket.write(one.repeat(1_000));
    // Its answers (about 15 MB) are more than the loopback buffers hold: topicd stops reading it.
    let last = -1;
    while (delivered !== last) {
      last = delivered;
      await sleep(300);
    }
    assert.ok(delivered < total, `topicd stopped reading (${delivered} of ${total} read)`);
    client.socket.resume();
    await client.waitFor(total, 30_000);
    assert.ok(client.answers.every((a) => a.status === 200));
    await waitUntil(() => delivered === total);
    client.socket.end();
    await endClient(counter);
  });

  it('https device path - a certificate made INACTIVE cuts its idle keep-alive connection at once', async () => {
    const doomed = await createDevice(topicd, 'fast-doomed');
    const client = await RawClient.open(topicd, doomed);
    client.socket.write(publish('/topics/fast/doomed?qos=1', 'x'));
    assert.equal((await client.waitFor(1))[0]!.status, 200);
    await topicd.iot.send(new UpdateCertificateCommand({ certificateId: doomed.certificateId, newStatus: 'INACTIVE' }));
    await client.waitClosed(3_000);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}
