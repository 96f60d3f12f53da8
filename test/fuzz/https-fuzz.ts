/**
 * @module test/fuzz/https-fuzz
 * The HTTPS publish parser's fuzzer: requests built from parts, each part valid or broken (request
 * lines, methods, HTTP versions, percent-encoded topics, query strings, headers, Content-Length,
 * chunked encodings), some then mutated byte by byte, one to three per keep-alive connection over real
 * mutual TLS. Every answer must be a well-formed status line, and none a 500 (InternalFailure).
 */
import { connect as tlsConnect, type SecureContext } from 'node:tls';
import { mutateBytes } from './mutate.js';
import type { Random } from './random.js';

/** How long a TLS handshake may take on a loaded machine before the exchange is given up. */
const HANDSHAKE_MS = 5_000;

export interface HttpsFuzzStats {
  connections: number;
  requests: number;
  mutated: number;
  /** Answers by status code. */
  statuses: Record<string, number>;
}

export interface HttpsFuzzFailure {
  what: string;
  /** The bytes sent on that connection, as a JSON string. */
  input: string;
}

/** Each part of a request: [what a client would send, what it should not]. */
type Part = readonly [readonly string[], readonly string[]];
const TOPICS: Part = [
  ['fuzz/a', 'fuzz%2Fb', 'fuzz/%C3%BC', 'fuzz/%E2%82%AC/x', 'fuzz/x/y'],
  ['%24aws/things/x', 'fuzz/%zz', 'fuzz/%', 'fuzz/%00', 'fuzz/%C3%28', 'fuzz/%ED%A0%80', 'fuzz/+', 'fuzz/#', 'fuzz//x', 'fuzz/../x', '', '/',
    'fuzz%2F%2B', `fuzz/${'a'.repeat(300)}`, 'fuzz/a b', 'fuzz/\u00fc', 'a/b/c/d/e/f/g/h/i/j'],
];
const QUERIES: Part = [
  ['', '?qos=0', '?qos=1', '?retain=true', '?qos=1&retain=true', '?retain=false'],
  ['?qos=2', '?qos=-1', '?qos=abc', '?qos=1.5', '?qos=01', '?qos=', '?qos=1&qos=0', '?retain=maybe', '?retain=1', '?', '?&', '?&&=', '?=',
    '?%zz=1', '?qos=%31', `?x=${'y'.repeat(2000)}`, '?qos=1#frag', '?contentType=x', '?messageExpiry=60', '?userProperties=W3siYSI6ImIifV0='],
];
const METHODS: Part = [['POST'], ['GET', 'PUT', 'HEAD', 'OPTIONS', 'DELETE', 'P0ST', 'post', '', 'X'.repeat(64)]];
const VERSIONS: Part = [['HTTP/1.1', 'HTTP/1.0'], ['HTTP/2.0', 'HTTP/1.1x', 'HTTP/9.9', '', 'http/1.1']];
const EXTRA_HEADERS: Part = [
  ['content-type: application/json', 'content-type: text/plain; charset=utf-8', 'connection: close', 'connection: keep-alive',
    'expect: 100-continue', 'x-amz-date: 20240101T000000Z', 'user-agent: fuzz', 'content-encoding: gzip', 'host: other'],
  ['bad header: x', 'x-é: 1', ' leading: space', 'obs: a\r\n folded', `x-long: ${'v'.repeat(9000)}`, 'no-colon', 'transfer-encoding: gzip, chunked'],
];

/** A valid choice most of the time, a broken one otherwise. */
const part = (rng: Random, [valid, broken]: Part): string => rng.pick(rng.chance(0.07) ? broken : valid);

function body(rng: Random): Buffer {
  if (rng.chance(0.02)) return Buffer.alloc(130 * 1024, 0x61);
  return rng.chance(0.5) ? Buffer.from('{"hello":"fuzz"}') : rng.bytes(rng.int(200));
}

/** A chunked body: valid, or with broken sizes, extensions, trailers or no end. */
function chunked(rng: Random, data: Buffer): string {
  const parts: string[] = [];
  let at = 0;
  while (at < data.length) {
    const n = Math.min(data.length - at, rng.range(1, 64));
    const size = rng.chance(0.95) ? n.toString(16) : rng.pick(['zz', '-1', 'ffffffffffffffff', `${n.toString(16)};ext=1`, '', ' 1', '0x10']);
    parts.push(`${size}\r\n${data.subarray(at, at + n).toString('latin1')}\r\n`);
    at += n;
  }
  const end = rng.chance(0.85) ? '0\r\n\r\n' : rng.pick(['0\r\nx-trailer: 1\r\n\r\n', '', '0\r\n', '1\r\n']);
  return parts.join('') + end;
}

/** One request, built from parts that are each valid or broken. */
export function request(rng: Random): Buffer {
  const method = part(rng, METHODS);
  const path = rng.chance(0.95) ? `/topics/${part(rng, TOPICS)}${part(rng, QUERIES)}` : rng.pick(['/', '/topics', '/topics/', '*', '/other/x', 'topics/a']);
  const version = part(rng, VERSIONS);
  const data = body(rng);
  const headers: string[] = [];
  if (rng.chance(0.95)) headers.push('host: localhost');
  if (rng.chance(0.05)) headers.push('host: localhost');
  let encoded: string;
  if (rng.chance(0.2)) {
    headers.push('transfer-encoding: chunked');
    if (rng.chance(0.05)) headers.push(`content-length: ${data.length}`);
    encoded = chunked(rng, data);
  } else {
    encoded = data.toString('latin1');
    if (rng.chance(0.95)) headers.push(`content-length: ${rng.chance(0.9) ? data.length : rng.pick([0, -1, data.length + 10, Math.max(0, data.length - 1), 1e12, 'abc', '1, 2'])}`);
    if (rng.chance(0.05)) headers.push(`content-length: ${data.length + 1}`);
  }
  for (let n = rng.int(3); n > 0; n--) headers.push(part(rng, EXTRA_HEADERS));
  return Buffer.from(`${method} ${path} ${version}\r\n${headers.join('\r\n')}\r\n\r\n${encoded}`, 'latin1');
}

export interface HttpsFuzzTarget {
  port: number;
  secureContext: SecureContext;
}

/** One keep-alive connection with one to three requests, 25 % of them mutated byte by byte. */
export async function fuzzHttpsConnection(rng: Random, target: HttpsFuzzTarget, stats: HttpsFuzzStats, failures: HttpsFuzzFailure[]): Promise<void> {
  const requests: Buffer[] = [];
  for (let n = rng.range(1, 3); n > 0; n--) {
    const built = request(rng);
    if (rng.chance(0.25)) {
      requests.push(mutateBytes(rng, built));
      stats.mutated++;
    } else {
      requests.push(built);
    }
  }
  stats.connections++;
  stats.requests += requests.length;
  const input = Buffer.concat(requests);
  const answer = (await exchange(rng, target, input, requests.length)).toString('latin1');
  const fail = (what: string): void => { failures.push({ what, input: JSON.stringify(input.toString('latin1')) }); };
  if (answer.length > 0 && !answer.startsWith('HTTP/1.')) fail(`an answer that is not HTTP: ${JSON.stringify(answer.slice(0, 80))}`);
  for (const match of answer.matchAll(/HTTP\/1\.[01] (\d{3}) /g)) {
    const status = match[1]!;
    stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
    if (status === '500') fail('topicd answered 500 (internal failure)');
  }
}

/** Writes `input` in random pieces; resolves with the answers once `expected` status lines came (and a moment more), the socket closed, or 400 ms passed. */
function exchange(rng: Random, target: HttpsFuzzTarget, input: Buffer, expected: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = tlsConnect({ host: 'localhost', port: target.port, servername: 'localhost', secureContext: target.secureContext });
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks));
    };
    // An incomplete request waits for bytes that never come: the answers so far are what counts.
    let timer = setTimeout(finish, HANDSHAKE_MS);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if ((Buffer.concat(chunks).toString('latin1').match(/HTTP\/1\.[01] [2-5]\d\d /g)?.length ?? 0) >= expected) {
        clearTimeout(timer);
        timer = setTimeout(finish, 30);
      }
    });
    socket.on('close', finish);
    socket.on('error', () => undefined);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      timer = setTimeout(finish, 400);
      let at = 0;
      while (at < input.length) {
        const end = rng.chance(0.6) ? input.length : Math.min(input.length, at + rng.range(1, 256));
        socket.write(input.subarray(at, end));
        at = end;
      }
    });
  });
}
