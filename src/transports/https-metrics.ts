/**
 * @module transports/https-metrics
 * What the data-plane HTTPS servers count per answer: its route (a small fixed set, so a label never
 * carries a topic or a thing name) and its status, once the answer is done, and a connection's bytes
 * when it closes. Counting happens in the listeners the servers already keep per request and per
 * connection: no closure is added per request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { BYTES_HTTPS, type Counters } from '../observe/counters.js';

/** AWS iot-data routes, by their first path segment (reference §1, §6). */
const ROUTES: Readonly<Record<string, string>> = {
  topics: 'publish',
  things: 'shadow',
  // GET /api/things/shadow/ListNamedShadowsForThing/{thing}
  api: 'shadow',
  retainedMessage: 'retained',
  connections: 'connections',
  mqtt: 'mqtt-upgrade',
};

/** The `route` label of a request: the AWS operation family its path names, or `other`. */
export function httpsRoute(url: string | undefined): string {
  if (url === undefined || url.charCodeAt(0) !== 47 /* / */) return 'other';
  let end = 1;
  while (end < url.length) {
    const c = url.charCodeAt(end);
    if (c === 47 || c === 63 /* ? */) break;
    end++;
  }
  return ROUTES[url.slice(1, end)] ?? 'other';
}

/** One finished answer; an answer never sent (the connection died first) counts as status 0. */
export function countHttpsResponse(counters: Counters, req: IncomingMessage, res: ServerResponse): void {
  counters.httpsResponse(httpsRoute(req.url), res.headersSent ? res.statusCode : 0);
}

/** A closed HTTPS connection's bytes, as its TLS socket read and wrote them. */
export function countHttpsBytes(counters: Counters, socket: Socket): void {
  counters.bytesIn[BYTES_HTTPS]! += socket.bytesRead;
  counters.bytesOut[BYTES_HTTPS]! += socket.bytesWritten;
}
