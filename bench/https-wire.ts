/**
 * @module bench/https-wire
 * The load generator's HTTPS side: publish requests built once as bytes and written on TLS sockets
 * opened with node's tls, and responses recognised by their status line, Content-Length (or the
 * last chunk) and nothing else. One request at a time per connection, as curl and `requests` do:
 * no pipelining. node's http client would cost the generator more than the servers it measures.
 */
import { connect as tlsConnect, type SecureContext, type TLSSocket } from 'node:tls';

export interface HttpsTarget {
  port: number;
  secureContext: SecureContext;
  servername: string;
}

/** `POST /topics/{topic}?qos=1` with a binary body, as the AWS IoT HTTPS samples send it. */
export function publishRequest(target: HttpsTarget, topic: string, payload: Buffer, close: boolean): Buffer {
  const head = `POST /topics/${topic}?qos=1 HTTP/1.1\r\n`
    + `Host: ${target.servername}:${target.port}\r\n`
    + 'Content-Type: application/octet-stream\r\n'
    + `Content-Length: ${payload.length}\r\n`
    + (close ? 'Connection: close\r\n' : '')
    + '\r\n';
  return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
}

/** Where the body starts in a request from publishRequest: the spot to patch a sequence number into. */
export function bodyOffset(request: Buffer): number {
  return request.indexOf('\r\n\r\n') + 4;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/;
const CHUNKED = /\r\ntransfer-encoding:[^\r]*chunked/;

/** Splits a stream of HTTP/1.1 responses; calls back once per whole response with its status. */
export class ResponseScanner {
  private rest: Buffer | undefined;

  constructor(public onResponse: (status: number) => void) {}

  push(chunk: Buffer): void {
    let buf = this.rest === undefined ? chunk : Buffer.concat([this.rest, chunk]);
    this.rest = undefined;
    while (buf.length > 0) {
      const headerEnd = buf.indexOf(HEADER_END);
      if (headerEnd === -1) break;
      // "HTTP/1.1 200 OK": the status code is bytes 9-11.
      const status = (buf[9] ?? 0) * 100 + (buf[10] ?? 0) * 10 + (buf[11] ?? 0) - 48 * 111;
      const head = buf.toString('latin1', 0, headerEnd).toLowerCase();
      let end: number;
      const length = CONTENT_LENGTH.exec(head);
      if (length?.[1] !== undefined) {
        end = headerEnd + 4 + Number(length[1]);
        if (buf.length < end) break;
      } else if (CHUNKED.test(head)) {
        const last = buf.indexOf(LAST_CHUNK, headerEnd + 4);
        if (last === -1) break;
        end = last + LAST_CHUNK.length;
      } else {
        end = headerEnd + 4; // 1xx, 204, 304: no body
      }
      buf = buf.subarray(end);
      if (status >= 200) this.onResponse(status);
    }
    if (buf.length > 0) this.rest = buf;
  }
}

export interface OpenOptions {
  localAddress?: string;
  /** A TLS session to resume (from the `session` event of an earlier connection). */
  session?: Buffer;
  /** Told of every session (ticket) the server gives this connection, for later resumption. */
  onSession?: (session: Buffer) => void;
  timeoutMs?: number;
}

/** Opens a TLS connection and resolves once the handshake is done (the server has our certificate). */
export function openTls(target: HttpsTarget, options: OpenOptions = {}): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: target.port,
      servername: target.servername,
      secureContext: target.secureContext,
      // See certs.ts clientContext: the generator does not spend its CPU verifying the server.
      rejectUnauthorized: false,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      ...(options.session === undefined ? {} : { session: options.session }),
    });
    socket.setNoDelay(true);
    if (options.onSession) socket.on('session', options.onSession);
    const timer = setTimeout(() => fail(new Error('TLS handshake timed out')), options.timeoutMs ?? 15_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.removeListener('error', fail);
      socket.on('error', () => socket.destroy());
      resolve(socket);
    });
  });
}

/** Loopback addresses to spread connections over: 127.0.0.2 .. 127.0.0.250. */
export function loopbackAddress(i: number): string {
  return `127.0.0.${2 + (i % 249)}`;
}
