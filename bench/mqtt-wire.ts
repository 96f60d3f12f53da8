/**
 * @module bench/mqtt-wire
 * The load generator's MQTT side, made to cost the generator far less than the server: frames are
 * encoded once with mqtt-packet and written again and again as bytes; incoming bytes are split into
 * frames by reading the fixed header only, and a handler looks at just the bytes it needs (type,
 * packet id, a sequence number in the payload). No client library, no packet objects per message.
 * MQTT 3.1.1 everywhere: every server under test speaks it, and its frames are the smallest.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type SecureContext } from 'node:tls';
import mqttPacket from 'mqtt-packet';

const PROTOCOL = { protocolVersion: 4 };

export const TYPE_CONNACK = 2;
export const TYPE_PUBLISH = 3;
export const TYPE_PUBACK = 4;
export const TYPE_SUBACK = 9;

export const DISCONNECT = Buffer.from([0xe0, 0x00]);

export function connectFrame(clientId: string, clean: boolean, keepalive: number): Buffer {
  return mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId, clean, keepalive }, PROTOCOL);
}

export function subscribeFrame(messageId: number, topic: string, qos: 0 | 1): Buffer {
  return mqttPacket.generate({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos }] }, PROTOCOL);
}

export function publishFrame(topic: string, payload: Buffer, qos: 0 | 1, messageId = 0): Buffer {
  return mqttPacket.generate(
    { cmd: 'publish', topic, payload, qos, retain: false, dup: false, ...(qos === 1 ? { messageId } : {}) },
    PROTOCOL,
  );
}

export function pubackFrame(messageId: number): Buffer {
  return Buffer.from([0x40, 0x02, messageId >> 8, messageId & 0xff]);
}

const corked = new Set<Socket>();
let uncorkScheduled = false;

function uncorkAll(): void {
  uncorkScheduled = false;
  for (const socket of corked) socket.uncork();
  corked.clear();
}

/**
 * Writes `buf` at the end of this turn of the event loop, together with everything else written to
 * the same socket in this turn: one TLS record and one syscall for all the PUBACKs (or the next
 * PUBLISHes) that the reads of one turn called for, where a server that writes one packet per
 * record would otherwise have the generator answer record by record.
 */
export function writeBatched(socket: Socket, buf: Buffer): void {
  if (!corked.has(socket)) {
    socket.cork();
    corked.add(socket);
    if (!uncorkScheduled) {
      uncorkScheduled = true;
      setImmediate(uncorkAll);
    }
  }
  socket.write(buf);
}

/** The offset of the payload in a PUBLISH frame whose body starts at `bodyStart`. */
export function payloadOffset(buf: Buffer, flags: number, bodyStart: number): number {
  const topicLength = buf.readUInt16BE(bodyStart);
  return bodyStart + 2 + topicLength + ((flags & 0x06) !== 0 ? 2 : 0);
}

/** Where the variable header starts in a whole frame: after the type byte and the length bytes. */
export function frameBodyStart(frame: Buffer): number {
  let i = 1;
  while (((frame[i] ?? 0) & 0x80) !== 0) i++;
  return i + 1;
}

/** The packet id of a QoS 1 PUBLISH frame. */
export function publishPacketId(buf: Buffer, bodyStart: number): number {
  return buf.readUInt16BE(bodyStart + 2 + buf.readUInt16BE(bodyStart));
}

/** Called once per whole frame: `buf[bodyStart..end)` is the variable header and payload. */
export type FrameHandler = (type: number, flags: number, buf: Buffer, bodyStart: number, end: number) => void;

/**
 * Cuts a byte stream into MQTT frames. A frame cut across reads is kept and joined with the next
 * read; everything else is looked at in place.
 */
export class FrameScanner {
  private rest: Buffer | undefined;

  constructor(public onFrame: FrameHandler) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.rest !== undefined) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = undefined;
    }
    const n = buf.length;
    let i = 0;
    while (n - i >= 2) {
      const first = buf[i] ?? 0;
      let length = 0;
      let multiplier = 1;
      let j = i + 1;
      let complete = false;
      for (let k = 0; k < 4 && j < n; k++) {
        const byte = buf[j++] ?? 0;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || j + length > n) break;
      this.onFrame(first >> 4, first & 0x0f, buf, j, j + length);
      i = j + length;
    }
    if (i < n) this.rest = buf.subarray(i);
  }
}

export interface WireTarget {
  port: number;
  /** Present for MQTT over mutual TLS. */
  tls?: { secureContext: SecureContext; servername: string };
}

export interface WireClientOptions {
  clientId: string;
  clean?: boolean;
  keepalive?: number;
  /** Spreads many connections over loopback addresses, so ephemeral ports never run out. */
  localAddress?: string;
  /** Set before CONNECT, so frames that arrive with the CONNACK (a session's queue) are seen too. */
  onFrame?: FrameHandler;
}

/** A bare MQTT connection: CONNECT/CONNACK and SUBSCRIBE/SUBACK done for you, then raw frames. */
export class WireClient {
  readonly scanner: FrameScanner;
  sessionPresent = false;
  closed = false;
  private waiting: { type: number; resolve: (flagsOrCode: number) => void } | undefined;
  private nextId = 1;

  private constructor(readonly socket: Socket) {
    this.scanner = new FrameScanner(() => undefined);
    socket.on('data', (chunk: Buffer) => this.scanner.push(chunk));
    socket.on('close', () => {
      this.closed = true;
    });
  }

  /** Connects and waits for a successful CONNACK; rejects on refusal, error, close or timeout. */
  static connect(target: WireTarget, options: WireClientOptions, timeoutMs = 15_000): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const host = '127.0.0.1';
      const local = options.localAddress === undefined ? {} : { localAddress: options.localAddress };
      const socket = target.tls
        ? tlsConnect({
          host, port: target.port, servername: target.tls.servername, secureContext: target.tls.secureContext,
          rejectUnauthorized: false, ...local,
        })
        : netConnect({ host, port: target.port, ...local });
      socket.setNoDelay(true);
      const client = new WireClient(socket);
      if (options.onFrame) client.onFrame = options.onFrame;
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(new Error(`no CONNACK within ${timeoutMs} ms`)), timeoutMs);
      socket.once('error', fail);
      socket.once('close', () => fail(new Error('connection closed before CONNACK')));
      client.scanner.onFrame = (type, _flags, buf, bodyStart) => {
        if (type !== TYPE_CONNACK || settled) return;
        const code = buf[bodyStart + 1] ?? 255;
        if (code !== 0) return fail(new Error(`CONNACK refused the connection (return code ${code})`));
        settled = true;
        clearTimeout(timer);
        socket.removeListener('error', fail);
        socket.on('error', () => socket.destroy());
        client.sessionPresent = ((buf[bodyStart] ?? 0) & 1) === 1;
        client.scanner.onFrame = client.dispatch;
        resolve(client);
      };
      const start = (): void => {
        socket.write(connectFrame(options.clientId, options.clean ?? true, options.keepalive ?? 600));
      };
      if (target.tls) socket.once('secureConnect', start);
      else socket.once('connect', start);
    });
  }

  /** Frames after CONNACK go here; a scenario replaces it with its own counter. */
  onFrame: FrameHandler = () => undefined;

  private readonly dispatch: FrameHandler = (type, flags, buf, bodyStart, end) => {
    const waiting = this.waiting;
    if (waiting !== undefined && type === waiting.type) {
      this.waiting = undefined;
      waiting.resolve(buf[end - 1] ?? 255);
      return;
    }
    this.onFrame(type, flags, buf, bodyStart, end);
  };

  /** Subscribes to one filter and waits for the SUBACK; rejects when it refuses. */
  subscribe(filter: string, qos: 0 | 1, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no SUBACK for ${filter} within ${timeoutMs} ms`)), timeoutMs);
      this.waiting = {
        type: TYPE_SUBACK,
        resolve: (granted) => {
          clearTimeout(timer);
          if (granted === 0x80) reject(new Error(`SUBACK refused ${filter}`));
          else resolve();
        },
      };
      this.socket.write(subscribeFrame(this.nextId++, filter, qos));
    });
  }

  /** Sends DISCONNECT and waits for the server to close (or a short while). */
  async disconnect(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 2_000);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.end(DISCONNECT);
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}
