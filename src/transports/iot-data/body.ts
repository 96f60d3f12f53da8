/**
 * @module transports/iot-data/body
 * Reading a request body under a cap: a chunked body is refused as soon as it passes the cap, with a
 * clean 413 that the client can read (a modest rest is drained first; a huge one cuts the socket).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { IotDataError, sendError } from './answer.js';

/** A refused body larger than this is not drained for the sake of a clean 413; the socket is cut. */
const MAX_DRAIN_BYTES = 8 * 1024 * 1024;

/** Refuses a body over the cap: answers 413, then drains a modest rest so the client reads the answer. */
export function refuseTooLarge(req: IncomingMessage, res: ServerResponse, traceId: string, maxBytes: number): void {
  const declared = Number(req.headers['content-length'] ?? NaN);
  res.shouldKeepAlive = false;
  sendError(res, new IotDataError('RequestEntityTooLargeException', `The payload exceeds the maximum size allowed (${maxBytes} bytes)`), traceId);
  if (Number.isFinite(declared) && declared > MAX_DRAIN_BYTES) {
    res.on('finish', () => req.socket.destroy());
    return;
  }
  let drained = 0;
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > MAX_DRAIN_BYTES) req.socket.destroy();
  });
  req.resume();
}

/** Reads the whole body, at most `maxBytes` (over it: 413 and `done` is never called). */
export function readBody(req: IncomingMessage, res: ServerResponse, traceId: string, maxBytes: number, done: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  req.on('data', (chunk: Buffer) => {
    if (refused) return;
    size += chunk.length;
    if (size > maxBytes) {
      refused = true;
      chunks.length = 0;
      refuseTooLarge(req, res, traceId, maxBytes);
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (refused || res.headersSent) return;
    done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
  });
}
