/**
 * @module test/integration/socket-bounds.test
 * Every socket is bounded in time and number (issue 10, defect 3: idle and trickling HTTP sockets
 * were held for 590 s and more, and 3,000 sockets without a certificate were held on the ALPN port).
 * Real TLS sockets against a topicd started with short bounds; each test first shows the bound, then
 * that the server still serves a well-behaved client.
 */
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { createDevice, httpsPost, startTestTopicd, type Device, type TestTopicd } from '../helpers/topicd.js';

/** Resolves with the ms the socket lived after `since`, once it closes (or rejects after `limitMs`). */
function closedWithin(socket: Socket, limitMs: number, since = Date.now()): Promise<number> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return resolve(Date.now() - since);
    const timer = setTimeout(() => reject(new Error(`still open after ${limitMs} ms`)), limitMs);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - since);
    });
  });
}

function deviceSocket(topicd: TestTopicd, device: Device, port = topicd.running.ports.https, alpn?: string[]): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: 'localhost', port, ca: device.ca, cert: device.cert, key: device.key, ...(alpn ? { ALPNProtocols: alpn } : {}) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('socket bounds - time', () => {
  let topicd: TestTopicd;
  let device: Device;
  before(async () => {
    topicd = await startTestTopicd({ tlsHandshakeTimeout: 1, httpHeadersTimeout: 1, httpRequestTimeout: 2, httpKeepAliveTimeout: 1 });
    device = await createDevice(topicd, 'bounds-time');
  });
  after(() => topicd.stop());

  it('socket bounds - a TCP connection that never starts its TLS handshake is closed at --tls-handshake-timeout', async () => {
    const raw = netConnect(topicd.running.ports.https, '127.0.0.1');
    await new Promise((r) => raw.once('connect', r));
    const lived = await closedWithin(raw, 5_000);
    assert.ok(lived >= 900, `not before the bound (${lived} ms)`);
  });

  it('socket bounds - an HTTPS connection that sends nothing is closed at --http-headers-timeout', async () => {
    const socket = await deviceSocket(topicd, device);
    await closedWithin(socket, 5_000);
  });

  it('socket bounds - headers trickled a byte at a time are cut at --http-headers-timeout', async () => {
    const socket = await deviceSocket(topicd, device);
    const request = 'POST /topics/trickle?qos=1 HTTP/1.1\r\nhost: localhost\r\ncontent-length: 1\r\n';
    let i = 0;
    const trickle = setInterval(() => { if (!socket.destroyed && i < request.length) socket.write(request[i++]!); }, 100);
    try {
      await closedWithin(socket, 6_000);
      assert.ok(i < request.length, 'cut before the headers were complete');
    } finally {
      clearInterval(trickle);
    }
  });

  it('socket bounds - a body trickled past --http-request-timeout is cut', async () => {
    const socket = await deviceSocket(topicd, device);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.write('POST /topics/trickle?qos=1 HTTP/1.1\r\nhost: localhost\r\ncontent-length: 1000\r\n\r\n');
    const trickle = setInterval(() => { if (!socket.destroyed) socket.write('x'); }, 200);
    try {
      await closedWithin(socket, 8_000);
    } finally {
      clearInterval(trickle);
    }
    const answer = Buffer.concat(chunks).toString();
    assert.ok(answer === '' || answer.startsWith('HTTP/1.1 408'), `no 200 for a request never finished: ${answer.slice(0, 40)}`);
  });

  it('socket bounds - an idle keep-alive connection is closed at --http-keep-alive-timeout', async () => {
    const socket = await deviceSocket(topicd, device);
    const answered = new Promise<string>((resolve) => socket.once('data', (c: Buffer) => resolve(c.toString())));
    socket.write('POST /topics/ka?qos=1 HTTP/1.1\r\nhost: localhost\r\ncontent-length: 1\r\n\r\nx');
    assert.match(await answered, /^HTTP\/1\.1 200/);
    const since = Date.now();
    const lived = await closedWithin(socket, 5_000, since);
    assert.ok(lived >= 800, `kept for the keep-alive timeout (${lived} ms)`);
  });

  it('socket bounds - a body that pauses past the idle bound, within the request deadline, is served; idle after, the connection is closed', async () => {
    const socket = await deviceSocket(topicd, device);
    const answered = new Promise<string>((resolve) => socket.once('data', (c: Buffer) => resolve(c.toString())));
    socket.write('POST /topics/paused?qos=1 HTTP/1.1\r\nhost: localhost\r\ncontent-length: 2\r\n\r\na');
    await new Promise((r) => setTimeout(r, 1_300));
    socket.write('b');
    assert.match(await answered, /^HTTP\/1\.1 200/);
    const lived = await closedWithin(socket, 5_000);
    assert.ok(lived >= 800, `kept for the keep-alive timeout (${lived} ms)`);
  });

  it('socket bounds - a well-behaved client is served all along', async () => {
    const reply = await httpsPost(topicd, device, '/topics/fine?qos=1');
    assert.equal(reply.status, 200, reply.body);
  });
});

describe('socket bounds - number', () => {
  let topicd: TestTopicd;
  let device: Device;
  before(async () => {
    topicd = await startTestTopicd({ maxUnauthenticated: 5, maxConnections: 12 });
    device = await createDevice(topicd, 'bounds-number');
  });
  after(() => topicd.stop());

  it('socket bounds - past --max-unauthenticated, a new connection without a certificate is closed at once; a device still gets in', async () => {
    const port = topicd.running.ports.alpn!;
    const held: Socket[] = [];
    try {
      // Five TLS connections without a client certificate, on the port where one is optional.
      for (let i = 0; i < 5; i++) {
        const socket = await new Promise<TLSSocket>((resolve, reject) => {
          const s = tlsConnect({ host: 'localhost', port, ca: device.ca, ALPNProtocols: ['http/1.1'] }, () => resolve(s));
          s.once('error', reject);
        });
        held.push(socket);
      }
      const sixth = netConnect(port, '127.0.0.1');
      held.push(sixth);
      const lived = await closedWithin(sixth, 2_000);
      assert.ok(lived < 1_000, `refused at once (${lived} ms)`);
      // A device with its certificate is authenticated by its handshake: it is served.
      for (const s of held) s.destroy();
      await new Promise((r) => setTimeout(r, 100));
      const reply = await httpsPost(topicd, device, '/topics/still?qos=1');
      assert.equal(reply.status, 200);
    } finally {
      for (const s of held) s.destroy();
    }
  });

  it('socket bounds - past --max-connections, a listener refuses new connections; closing one makes room', async () => {
    const held: TLSSocket[] = [];
    try {
      for (let i = 0; i < 12; i++) held.push(await deviceSocket(topicd, device, topicd.running.ports.mqtt, ['x-amzn-mqtt-ca']));
      const extra = netConnect(topicd.running.ports.mqtt, '127.0.0.1');
      await closedWithin(extra, 2_000);
      held.pop()!.destroy();
      await new Promise((r) => setTimeout(r, 100));
      held.push(await deviceSocket(topicd, device, topicd.running.ports.mqtt, ['x-amzn-mqtt-ca']));
    } finally {
      for (const s of held) s.destroy();
    }
  });
});
