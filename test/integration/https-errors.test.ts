/**
 * HTTPS publish errors as AWS IoT sends them: status, `x-amzn-ErrorType`, `x-amzn-RequestId` and a
 * `{"message","traceId"}` body; and the server keeps serving after each.
 */
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { createDevice, httpsPost, startTestTopicd, type Device, type HttpsReply, type TestTopicd } from '../helpers/topicd.js';

type Reply = HttpsReply;
const post = httpsPost;

function assertAwsError(reply: Reply, status: number, type: string, message?: RegExp): void {
  assert.equal(reply.status, status, reply.body);
  assert.equal(reply.headers['x-amzn-errortype'], type);
  const body = JSON.parse(reply.body) as { message: string; traceId: string };
  assert.deepEqual(Object.keys(body).sort(), ['message', 'traceId']);
  assert.match(body.traceId, /^[0-9a-f-]{36}$/);
  assert.equal(reply.headers['x-amzn-requestid'], body.traceId);
  if (message) assert.match(body.message, message);
}

describe('https errors - AWS-shaped answers, and the server serves on', () => {
  let topicd: TestTopicd;
  let device: Device;

  before(async () => {
    topicd = await startTestTopicd();
    device = await createDevice(topicd, 'err-device');
  });
  after(() => topicd.stop());

  const stillServes = async (): Promise<void> => {
    const ok = await post(topicd, device, '/topics/still/ok?qos=1');
    assert.equal(ok.status, 200, ok.body);
  };

  const cases: Array<[string, string, number, string, RegExp]> = [
    ['a + wildcard', '/topics/a/%2B/b', 400, 'InvalidRequestException', /wildcard/],
    ['a # wildcard (encoded)', '/topics/a%2F%23', 400, 'InvalidRequestException', /wildcard/],
    ['an empty topic', '/topics/', 400, 'InvalidRequestException', /empty/],
    ['a topic over 256 bytes', `/topics/${'t'.repeat(257)}`, 400, 'InvalidRequestException', /257 bytes/],
    ['a topic with 8 slashes', '/topics/a/b/c/d/e/f/g/h/i', 400, 'InvalidRequestException', /slashes/],
    ['qos 2', '/topics/q?qos=2', 400, 'InvalidRequestException', /qos/],
    ['qos not a number', '/topics/q?qos=one', 400, 'InvalidRequestException', /qos/],
    ['retain not a boolean', '/topics/q?retain=yes', 400, 'InvalidRequestException', /retain/],
    ['a bad percent-encoding', '/topics/a%zz', 400, 'InvalidRequestException', /percent/],
    ['an unknown route', '/nothing/here', 404, 'ResourceNotFoundException', /No route/],
  ];
  for (const [what, path, status, type, message] of cases) {
    it(`https errors - ${what} → ${status} ${type}`, async () => {
      assertAwsError(await post(topicd, device, path), status, type, message);
      await stillServes();
    });
  }

  it('https errors - a wrong method → 405 MethodNotAllowedException', async () => {
    assertAwsError(await post(topicd, device, '/topics/a', '', { method: 'GET' }), 405, 'MethodNotAllowedException');
    assertAwsError(await post(topicd, device, '/topics/a', '', { method: 'PUT' }), 405, 'MethodNotAllowedException');
    // The iot-data routes as well (PUT is not a shadow operation; retained messages are read-only).
    assertAwsError(await post(topicd, device, '/things/lamp/shadow', '', { method: 'PUT' }), 405, 'MethodNotAllowedException');
    assertAwsError(await post(topicd, device, '/retainedMessage/a', '', { method: 'POST' }), 405, 'MethodNotAllowedException');
    assertAwsError(await post(topicd, device, '/api/things/shadow/ListNamedShadowsForThing/lamp', '', { method: 'DELETE' }), 405, 'MethodNotAllowedException');
    await stillServes();
  });

  it('https errors - a body over 128 KB → 413 RequestEntityTooLargeException; exactly 128 KB is fine', async () => {
    assertAwsError(await post(topicd, device, '/topics/big?qos=1', Buffer.alloc(128 * 1024 + 1)), 413, 'RequestEntityTooLargeException');
    const exact = await post(topicd, device, '/topics/big?qos=1', Buffer.alloc(128 * 1024));
    assert.equal(exact.status, 200);
    await stillServes();
  });

  it('https errors - a huge declared body is refused before it is read', async () => {
    // Declare 1 GB and send only the headers: the answer must come without the body.
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: 'localhost', port: topicd.running.ports.https, ca: device.ca, cert: device.cert, key: device.key, servername: 'localhost' }, () => {
        socket.write('POST /topics/huge HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1073741824\r\n\r\n');
      });
      let text = '';
      socket.on('data', (c: Buffer) => { text += c.toString(); });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(reply, /^HTTP\/1\.1 413 /);
    assert.match(reply, /x-amzn-ErrorType: RequestEntityTooLargeException/i);
    await stillServes();
  });

  it('https errors - a chunked body that grows past 128 KB → 413', async () => {
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = httpsRequest({
        host: 'localhost', port: topicd.running.ports.https, path: '/topics/chunked', method: 'POST',
        ca: device.ca, cert: device.cert, key: device.key, agent: false,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      for (let i = 0; i < 5; i++) req.write(Buffer.alloc(32 * 1024));
      req.end();
    });
    assertAwsError(reply, 413, 'RequestEntityTooLargeException');
    await stillServes();
  });

  it('https errors - a $aws topic that no service serves (jobs) is forbidden', async () => {
    assertAwsError(await post(topicd, device, '/topics/$aws/things/x/jobs/get'), 403, 'ForbiddenException');
  });

  it('https errors - an INACTIVE certificate → 403 ForbiddenException, ACTIVE again → 200', async () => {
    const other = await createDevice(topicd, 'inactive-device');
    await topicd.iot.send(new UpdateCertificateCommand({ certificateId: other.certificateId, newStatus: 'INACTIVE' }));
    assertAwsError(await post(topicd, other, '/topics/x'), 403, 'ForbiddenException', /Forbidden/);
    await topicd.iot.send(new UpdateCertificateCommand({ certificateId: other.certificateId, newStatus: 'ACTIVE' }));
    assert.equal((await post(topicd, other, '/topics/x')).status, 200);
  });

  it('https errors - HTTP/1.0 and HTTP/1.1 keep-alive both work', async () => {
    const raw = (request: string): Promise<string> => new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: 'localhost', port: topicd.running.ports.https, ca: device.ca, cert: device.cert, key: device.key, servername: 'localhost' }, () => socket.write(request));
      let text = '';
      socket.on('data', (c: Buffer) => {
        text += c.toString();
        if ((text.match(/"message":"OK"/g) ?? []).length === 2) socket.end();
      });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    const v10 = await raw('POST /topics/v10 HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi');
    assert.match(v10, /^HTTP\/1\.1 200 OK/);
    assert.match(v10, /"message":"OK"/);
    const two = await raw('POST /topics/k1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\naPOST /topics/k2 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nb');
    assert.equal((two.match(/HTTP\/1\.1 200 OK/g) ?? []).length, 2);
  });
});
