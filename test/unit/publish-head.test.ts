/**
 * @module test/unit/publish-head.test
 * The fast path's reader of a device's publish head (transports/iot-data/publish-head.ts): what it
 * takes, what it leaves to node's parser, and, against node's own HTTP parser on a real socket, that
 * whatever it takes node reads the same way (method, target, body length): a request is never read
 * two ways.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MAX_HEAD_BYTES, OTHER, PARTIAL, readPublishHead, type PublishHead } from '../../src/transports/iot-data/publish-head.js';

const SAMPLE = 'POST /topics/topic_1?qos=1 HTTP/1.1\r\nHost: localhost:8443\r\nUser-Agent: curl/8.0\r\nAccept: */*\r\nContent-Length: 11\r\n\r\nhello world';

function head(text: string, at = 0): PublishHead | typeof PARTIAL | typeof OTHER {
  return readPublishHead(Buffer.from(text, 'latin1'), at);
}

function taken(text: string): PublishHead {
  const read = head(text);
  assert.ok(typeof read === 'object', `taken: ${JSON.stringify(text.slice(0, 80))}`);
  return read;
}

describe('publish head - what the fast path takes', () => {
  it('publish head - the samples\' request: topic, QoS, body, keep-alive', () => {
    const read = taken(SAMPLE);
    assert.deepEqual(read, { bodyStart: SAMPLE.indexOf('hello'), contentLength: 11, topic: 'topic_1', qos: 1, keepAlive: true });
  });

  it('publish head - a percent-encoded topic is decoded; a raw one with slashes is kept', () => {
    assert.equal(taken('POST /topics/a%2Fb%2F%C3%A9 HTTP/1.1\r\n\r\n').topic, 'a/b/é');
    assert.equal(taken('POST /topics/a/b/c?qos=0 HTTP/1.1\r\n\r\n').topic, 'a/b/c');
    assert.equal(taken('POST /topics/a/b/c?qos=0 HTTP/1.1\r\n\r\n').qos, 0);
    assert.equal(taken('POST /topics/a HTTP/1.1\r\n\r\n').qos, 0, 'no query: QoS 0, as AWS');
  });

  it('publish head - no Content-Length is an empty body', () => {
    assert.equal(taken('POST /topics/a HTTP/1.1\r\nHost: x\r\n\r\n').contentLength, 0);
  });

  it('publish head - keep-alive: HTTP/1.1 unless close, HTTP/1.0 only when asked', () => {
    assert.equal(taken('POST /topics/a HTTP/1.1\r\nConnection: close\r\n\r\n').keepAlive, false);
    assert.equal(taken('POST /topics/a HTTP/1.1\r\nconnection: Keep-Alive, Close\r\n\r\n').keepAlive, false);
    assert.equal(taken('POST /topics/a HTTP/1.0\r\n\r\n').keepAlive, false);
    assert.equal(taken('POST /topics/a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n').keepAlive, true);
  });

  it('publish head - a head that starts further on in the buffer (pipelining)', () => {
    const two = `${SAMPLE}POST /topics/second HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi`;
    const first = taken(two);
    const second = head(two, first.bodyStart + first.contentLength);
    assert.ok(typeof second === 'object');
    assert.equal(second.topic, 'second');
    assert.equal(two.slice(second.bodyStart, second.bodyStart + second.contentLength), 'hi');
  });
});

describe('publish head - what it leaves to node', () => {
  it('publish head - an incomplete head is PARTIAL until it passes 8 KiB', () => {
    assert.equal(head('POST /topics/a HTTP/1.1\r\nHost: x\r\n'), PARTIAL);
    assert.equal(head('POST /top'), PARTIAL);
    assert.equal(head(`POST /topics/a HTTP/1.1\r\nX-Long: ${'a'.repeat(MAX_HEAD_BYTES)}`), OTHER);
    assert.equal(head(`POST /topics/a HTTP/1.1\r\nX-Long: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`), OTHER);
  });

  const others: Array<[string, string]> = [
    ['another method', 'GET /topics/a HTTP/1.1\r\n\r\n'],
    ['another route', 'POST /things/a/shadow HTTP/1.1\r\n\r\n'],
    ['/topics without a topic', 'POST /topics HTTP/1.1\r\n\r\n'],
    ['an empty topic', 'POST /topics/ HTTP/1.1\r\n\r\n'],
    ['retain', 'POST /topics/a?qos=1&retain=true HTTP/1.1\r\n\r\n'],
    ['qos 2', 'POST /topics/a?qos=2 HTTP/1.1\r\n\r\n'],
    ['MQTT 5 members in the query', 'POST /topics/a?contentType=json HTTP/1.1\r\n\r\n'],
    ['a broken percent-encoding', 'POST /topics/a%zz HTTP/1.1\r\n\r\n'],
    ['HTTP/2.0', 'POST /topics/a HTTP/2.0\r\n\r\n'],
    ['no version', 'POST /topics/a\r\n\r\n'],
    ['two spaces', 'POST  /topics/a HTTP/1.1\r\n\r\n'],
    ['a space in the target', 'POST /topics/a b HTTP/1.1\r\n\r\n'],
    ['a byte over 0x7e in the target', 'POST /topics/\xe9 HTTP/1.1\r\n\r\n'],
    ['chunked', 'POST /topics/a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['Expect', 'POST /topics/a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n'],
    ['Upgrade', 'POST /topics/a HTTP/1.1\r\nUpgrade: websocket\r\n\r\n'],
    ['Connection: upgrade', 'POST /topics/a HTTP/1.1\r\nConnection: Upgrade\r\n\r\n'],
    ['MQTT 5 user properties', 'POST /topics/a HTTP/1.1\r\nx-amz-mqtt5-user-properties: W10=\r\n\r\n'],
    ['two Content-Lengths', 'POST /topics/a HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx'],
    ['a signed Content-Length', 'POST /topics/a HTTP/1.1\r\nContent-Length: +1\r\n\r\nx'],
    ['a Content-Length list', 'POST /topics/a HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\nx'],
    ['a tab after the Content-Length', 'POST /topics/a HTTP/1.1\r\nContent-Length: 1\t\r\n\r\nx'],
    ['a huge Content-Length', 'POST /topics/a HTTP/1.1\r\nContent-Length: 9999999999\r\n\r\n'],
    ['a folded header', 'POST /topics/a HTTP/1.1\r\nX-A: b\r\n c\r\n\r\n'],
    ['a space before the colon', 'POST /topics/a HTTP/1.1\r\nContent-Length : 1\r\n\r\nx'],
    ['a line without a colon', 'POST /topics/a HTTP/1.1\r\nnocolon\r\n\r\n'],
    ['a bare LF in a value', 'POST /topics/a HTTP/1.1\r\nX-A: b\nContent-Length: 5\r\n\r\n'],
    ['a bare CR in a value', 'POST /topics/a HTTP/1.1\r\nX-A: b\rc\r\n\r\n'],
    ['a NUL in a value', 'POST /topics/a HTTP/1.1\r\nX-A: b\0\r\n\r\n'],
    ['a byte over 0x7e in a value', 'POST /topics/a HTTP/1.1\r\nX-A: \xe9\r\n\r\n'],
    ['a bare LF after the request line', 'POST /topics/a HTTP/1.1\nHost: x\r\n\r\n'],
  ];
  for (const [what, text] of others) {
    it(`publish head - ${what}: OTHER`, () => assert.equal(head(text), OTHER));
  }
});

/** node's HTTP parser on a real socket: what it read of a request, or its error. */
interface NodeRead {
  method: string;
  url: string;
  bodyLength: number;
}

describe('publish head - never read two ways (against node\'s parser)', () => {
  let server: Server;
  let port: number;
  const seen: NodeRead[] = [];
  before(async () => {
    // As topicd's server (iot-data/server.ts): AWS does not require a Host header.
    server = createServer({ requireHostHeader: false }, (req: IncomingMessage, res) => {
      let bodyLength = 0;
      req.on('data', (c: Buffer) => { bodyLength += c.length; });
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', bodyLength });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Sends one request's bytes; resolves with what node read of it, or undefined when it refused it. */
  const nodeReads = (bytes: Buffer): Promise<NodeRead | undefined> => new Promise((resolve, reject) => {
    const before = seen.length;
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    let answer = '';
    socket.on('data', (c: Buffer) => { answer += c.toString('latin1'); });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer.startsWith('HTTP/1.1 200') && seen.length === before + 1 ? seen[before] : undefined));
  });

  it('publish head - every mutation of the sample it takes, node reads the same way', async () => {
    // A seeded generator, so a failure names a case that can be replayed.
    let seed = 0x9e3779b9;
    const random = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const pieces = ['\r\n', '\n', '\r', ' ', '\t', ':', '\0', '\x7f', '\xff', 'Content-Length: 3\r\n', 'Transfer-Encoding: chunked\r\n', 'content-length: 0\r\n', 'Connection: close\r\n', 'X: y\r\n', '?', '%', '%2', '#', '0', '9'];
    const sample = Buffer.from(SAMPLE, 'latin1');
    let compared = 0;
    for (let i = 0; i < 400; i++) {
      let bytes = Buffer.from(sample);
      for (let edits = 1 + random(3); edits > 0; edits--) {
        const at = random(bytes.length);
        const kind = random(3);
        if (kind === 0) bytes[at] = random(256);
        else if (kind === 1) bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(pieces[random(pieces.length)]!, 'latin1'), bytes.subarray(at)]);
        else bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + random(4))]);
      }
      const read = readPublishHead(bytes, 0);
      if (typeof read !== 'object' || read.bodyStart + read.contentLength > bytes.length) continue;
      const request = bytes.subarray(0, read.bodyStart + read.contentLength);
      const node = await nodeReads(request);
      const replay = `case ${i}: ${JSON.stringify(request.toString('latin1'))}`;
      assert.ok(node !== undefined, `node refused what the fast path took: ${replay}`);
      assert.equal(node.method, 'POST', replay);
      assert.equal(node.bodyLength, read.contentLength, replay);
      assert.equal(decodeURIComponent(node.url.slice('/topics/'.length).split('?')[0]!), read.topic, replay);
      compared++;
    }
    assert.ok(compared >= 50, `enough mutations were taken to compare (${compared})`);
  });
});
