/**
 * @module transports/socket-link
 * A channel's Link over a socket. Writes are corked and flushed once per event-loop turn (in the
 * check phase, after every I/O callback of the turn has run), so the deliveries caused by many
 * publishers' packets in one turn become one TLS record and one syscall instead of one each.
 * (process.nextTick would flush after every single I/O callback.)
 * The flush waits for the store (Durability.afterDurable), so no acknowledgement leaves before what it
 * acknowledges is durable; when a write failed, the socket is cut instead, unflushed bytes and all,
 * and the client resends what it was never told was taken.
 * A delivery that congests the connection holds back the publisher being read, for a while
 * (flow-control.ts). A peer that stops reading is cut off once its unsent bytes pass a bound, so one
 * slow client can neither grow our memory without limit nor hold up anyone else.
 */
import { peerAddress } from './address.js';
import type { Socket } from 'node:net';
import type { Link } from '../broker/channel/context.js';
import type { Durability } from '../store/store.js';
import { Congestion } from './flow-control.js';

/** Unsent bytes a connection may hold before it is treated as stalled and closed. */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

function flush(link: SocketLink, durable: boolean): void {
  link.corked = false;
  if (durable) link.socket.uncork();
  else link.socket.destroy();
}

export class SocketLink implements Link {
  corked = false;
  readonly remoteAddress: string;
  readonly congestion: Congestion;

  /** `bytesOut[bytesAt]` counts what this link writes (observe/counters.ts). */
  constructor(readonly socket: Socket, private readonly durability: Durability, private readonly bytesOut: Float64Array, private readonly bytesAt: number) {
    this.remoteAddress = peerAddress(socket);
    this.congestion = new Congestion(socket);
  }

  get buffered(): number {
    return this.socket.writableLength;
  }

  write(buf: Buffer): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    if (socket.writableLength > MAX_BUFFERED_BYTES) {
      socket.destroy();
      return;
    }
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      this.durability.afterDurable(flush, this);
    }
    socket.write(buf);
    this.bytesOut[this.bytesAt]! += buf.length;
    this.congestion.wrote();
  }

  queueCongested(over: boolean): void {
    this.congestion.queue(over);
  }

  end(): void {
    if (this.socket.destroyed) return;
    this.socket.end();
    // A socket held back for a congested subscriber (flow-control.ts) must read again, or it would never see its peer's end.
    this.socket.resume();
    // A peer that never reads would keep a half-closed socket forever.
    setTimeout(() => this.socket.destroy(), 5_000).unref();
  }
}
