/**
 * @module transports/socket-link
 * A channel's Link over a socket. Writes are corked and flushed once per event-loop turn (in the
 * check phase, after every I/O callback of the turn has run), so the deliveries caused by many
 * publishers' packets in one turn become one TLS record and one syscall instead of one each.
 * (process.nextTick would flush after every single I/O callback.)
 * The flush runs after the store's commit of the same turn (src/turn.ts), so no acknowledgement
 * leaves before what it acknowledges is durable.
 * A peer that stops reading is cut off once its unsent bytes pass a bound, so one slow client can
 * neither grow our memory without limit nor hold up anyone else.
 */
import type { Socket } from 'node:net';
import type { Link } from '../broker/channel.js';
import { atTurnEnd } from '../turn.js';

/** Unsent bytes a connection may hold before it is treated as stalled and closed. */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

function uncork(link: SocketLink): void {
  link.corked = false;
  link.socket.uncork();
}

export class SocketLink implements Link {
  corked = false;
  readonly remoteAddress: string;

  constructor(readonly socket: Socket) {
    this.remoteAddress = socket.remoteAddress ?? '';
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
      atTurnEnd(uncork, this);
    }
    socket.write(buf);
  }

  end(): void {
    if (this.socket.destroyed) return;
    this.socket.end();
    // A peer that never reads would keep a half-closed socket forever.
    setTimeout(() => this.socket.destroy(), 5_000).unref();
  }
}
