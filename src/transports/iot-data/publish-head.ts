/**
 * @module transports/iot-data/publish-head
 * The head of a device's publish request, read straight from the socket's bytes for the fast path
 * (device-path.ts): `POST /topics/{topic}[?qos=0|1] HTTP/1.1` (or 1.0) with at most a Content-Length
 * among the headers that change how the request is read. Everything else is `OTHER`, and the connection
 * goes to node's parser, which answers it as the rest of the API is answered: another method or route,
 * another query (retain, the MQTT 5 members), `Transfer-Encoding`, `Expect`, `Upgrade`, an
 * `x-amz-mqtt5-*` header, a repeated or non-numeric Content-Length, any byte outside printable ASCII, a
 * folded header line, a head over 8 KiB. The reader is stricter than node's llhttp on purpose: it may
 * decline a request node would take, never take one node would refuse, so no request is read two ways
 * (request smuggling needs two readers that disagree).
 *
 * Written by hand because node's HTTP server is the ceiling the bench measures this path against
 * (issue 9 §4: at least as fast as a bare node HTTPS server): the request objects, streams and events
 * node builds per request cost more than the whole publish. What this reader covers is the samples'
 * and the devices' request, and nothing it declines is lost.
 */

/** A publish request's head, as the fast path needs it. */
export interface PublishHead {
  /** Offset of the body's first byte in the buffer read. */
  readonly bodyStart: number;
  readonly contentLength: number;
  /** Decoded (the topic may arrive raw, with slashes, or percent-encoded). */
  readonly topic: string;
  readonly qos: 0 | 1;
  /** HTTP/1.1 without `Connection: close`, or HTTP/1.0 with `Connection: keep-alive`. */
  readonly keepAlive: boolean;
}

/** No complete head in the buffer yet. */
export const PARTIAL = 0;
/** Not a request this reader takes: node's parser reads it. */
export const OTHER = 1;

/** Longer heads go to node's parser (which allows 16 KiB). */
export const MAX_HEAD_BYTES = 8 * 1024;

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const PREFIX = Buffer.from('POST /topics/', 'latin1');
/** ` HTTP/1.` before the minor version and the line's CRLF. */
const VERSION = Buffer.from(' HTTP/1.', 'latin1');
const CR = 13;
const LF = 10;

/** RFC 9110 tchar: the bytes of a header name. */
const TOKEN = new Uint8Array(256);
for (const c of '!#$%&\'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ') TOKEN[c.charCodeAt(0)] = 1;

/** Whether a header name of this length and (lower-cased) first byte may be one `readPublishHead` looks at. */
function mayMatter(length: number, first: number): boolean {
  switch (first) {
    case 0x63: return length === 14 || length === 10; // content-length, connection
    case 0x74: return length === 17; // transfer-encoding
    case 0x65: return length === 6; // expect
    case 0x75: return length === 7; // upgrade
    case 0x78: return length > 12; // x-amz-mqtt5-*
    default: return false;
  }
}

/** A percent-encoded or raw topic from the path after `/topics/`; undefined when its encoding is broken. */
export function decodeTopic(raw: string): string | undefined {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** Reads the head of the request that starts at `at`. */
export function readPublishHead(buf: Buffer, at: number): PublishHead | typeof PARTIAL | typeof OTHER {
  const end = buf.indexOf(HEAD_END, at);
  if (end === -1) return buf.length - at > MAX_HEAD_BYTES ? OTHER : PARTIAL;
  if (end - at > MAX_HEAD_BYTES || buf.compare(PREFIX, 0, PREFIX.length, at, at + PREFIX.length) !== 0) return OTHER;

  // The request line: the target's bytes are printable ASCII without spaces, up to ` HTTP/1.x`.
  const lineEnd = buf.indexOf(CR, at);
  if (buf[lineEnd + 1] !== LF) return OTHER;
  const versionAt = lineEnd - 9;
  if (versionAt < at + PREFIX.length || buf.compare(VERSION, 0, VERSION.length, versionAt, versionAt + 8) !== 0) return OTHER;
  const minor = buf[versionAt + 8];
  if (minor !== 0x31 && minor !== 0x30) return OTHER;
  let query = -1;
  for (let i = at + PREFIX.length; i < versionAt; i++) {
    const c = buf[i]!;
    if (c < 0x21 || c > 0x7e) return OTHER;
    if (c === 0x3f /* ? */ && query === -1) query = i;
  }
  const pathEnd = query === -1 ? versionAt : query;
  let qos: 0 | 1 = 0;
  if (query !== -1) {
    // The samples' query, `qos=1`, and `qos=0`; any other goes to node's parser and the full reader.
    if (versionAt - query !== 6 || buf.toString('latin1', query + 1, query + 5) !== 'qos=') return OTHER;
    const q = buf[query + 5];
    if (q === 0x31) qos = 1;
    else if (q !== 0x30) return OTHER;
  }
  const topic = decodeTopic(buf.toString('latin1', at + PREFIX.length, pathEnd));
  if (topic === undefined || topic === '') return OTHER;

  // The headers: name, colon, value of printable ASCII (and tabs); no folding.
  let contentLength = -1;
  let close = false;
  let keepAliveAsked = false;
  let line = lineEnd + 2;
  while (line < end + 2) {
    const first = buf[line]!;
    if (first === 0x20 || first === 0x09) return OTHER;
    let colon = line;
    while (colon < end && TOKEN[buf[colon]!] === 1) colon++;
    if (colon === line || buf[colon] !== 0x3a /* : */) return OTHER;
    let next = colon + 1;
    while (buf[next] !== CR) {
      const c = buf[next]!;
      if ((c < 0x20 && c !== 0x09) || c > 0x7e) return OTHER;
      next++;
    }
    if (buf[next + 1] !== LF) return OTHER;
    // Only the names that change how a request is read are looked at (no string is made for Host,
    // User-Agent, Accept, Content-Type, ...): by length and first letter, then in full.
    if (mayMatter(colon - line, buf[line]! | 0x20)) {
      const name = buf.toString('latin1', line, colon).toLowerCase();
      if (name === 'content-length') {
        if (contentLength !== -1) return OTHER;
        // Digits after spaces, and nothing after them: node refuses a tab or a trailing space here.
        const value = /^ *(\d{1,9})$/.exec(buf.toString('latin1', colon + 1, next));
        if (value === null) return OTHER;
        contentLength = Number(value[1]);
      } else if (name === 'connection') {
        for (const option of buf.toString('latin1', colon + 1, next).toLowerCase().split(',')) {
          const o = option.trim();
          if (o === 'close') close = true;
          else if (o === 'keep-alive') keepAliveAsked = true;
          else if (o === 'upgrade') return OTHER;
        }
      } else if (name === 'transfer-encoding' || name === 'expect' || name === 'upgrade' || name.startsWith('x-amz-mqtt5-')) {
        return OTHER;
      }
    }
    line = next + 2;
  }
  return {
    bodyStart: end + 4,
    contentLength: contentLength === -1 ? 0 : contentLength,
    topic,
    qos,
    keepAlive: !close && (minor === 0x31 || keepAliveAsked),
  };
}
