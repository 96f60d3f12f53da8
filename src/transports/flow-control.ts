/**
 * @module transports/flow-control
 * Reading no faster than topicd can deliver, without letting one subscriber slow anyone for long.
 *
 * Design note. Under a flood (publishers writing QoS 0 as fast as TCP lets them) topicd once read
 * 1.3 million messages a second and delivered 2% of them: every message read was routed, and the
 * subscriber's unsent bytes passed their bound, so nearly all were dropped, while reading took the CPU
 * that delivering needed (issue 10, defect 7). So a delivery that leaves a subscriber's connection
 * congested (unsent bytes over HIGH_WATER) pauses the socket whose bytes caused it, the publisher
 * being read at that moment, until the subscriber drains: TCP then holds the publishers back, as a
 * single-threaded broker such as Mosquitto does by its nature. But a subscriber that stays congested
 * for STALL_MS is stalled, not slow to catch up: it stops pausing anyone and costs only itself from
 * then on (its QoS 0 messages dropped past their bound, its QoS 1 ones past its queue; defect 2),
 * until it drains again. QoS 1 backlogs wait in the session's queue, not in the socket, so a stalled
 * QoS 1 subscriber never pauses a publisher at all.
 *
 * The publisher is known without passing it down the routing path: the transport marks the socket
 * whose bytes it hands to the decoder (`reading`), and everything the broker does for them runs
 * synchronously inside that call.
 */
import type { Duplex } from 'node:stream';

/** Unsent bytes past which a subscriber's connection counts as congested (a few TLS records). */
export const HIGH_WATER = 256 * 1024;
/** How long a connection may stay congested before it is stalled and pauses nobody. */
export const STALL_MS = 1_000;

/** The socket whose bytes are being handled now (set by the transports around each read). */
let reading: Duplex | undefined;

/** How many congested subscribers hold each paused publisher. */
const holds = new WeakMap<Duplex, number>();

/**
 * Marks `socket` as the one being read until `doneReading` is given what this returns; transports
 * call the pair around each read they hand on (in a try/finally).
 */
export function startReading(socket: Duplex): Duplex | undefined {
  const previous = reading;
  reading = socket;
  return previous;
}

export function doneReading(previous: Duplex | undefined): void {
  reading = previous;
}

function hold(publisher: Duplex): void {
  const n = holds.get(publisher) ?? 0;
  holds.set(publisher, n + 1);
  if (n === 0) publisher.pause();
}

function release(publisher: Duplex): void {
  const n = (holds.get(publisher) ?? 1) - 1;
  if (n > 0) {
    holds.set(publisher, n);
    return;
  }
  holds.delete(publisher);
  if (!publisher.destroyed) publisher.resume();
}

/** Where a subscriber's backlog is. */
const SOCKET = 1;
const QUEUE = 2;

/** One subscriber connection's congestion: its sources, when it began, and the publishers it holds. */
export class Congestion {
  private sources = 0;
  private since = 0;
  private held: Duplex[] | undefined;
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(private readonly socket: Duplex) {}

  /** Call after each write to this connection. */
  wrote(): void {
    if (this.socket.writableLength <= HIGH_WATER) return;
    if ((this.sources & SOCKET) === 0) {
      this.sources |= SOCKET;
      this.socket.once('drain', this.socketDrained);
    }
    this.note();
  }

  /** The session's queue is over its high-water mark (`true`, on each message queued so) or back under its low-water mark. */
  queue(over: boolean): void {
    if (over) {
      this.sources |= QUEUE;
      this.note();
    } else if ((this.sources & QUEUE) !== 0) {
      this.sources &= ~QUEUE;
      if (this.sources === 0) this.clear();
    }
  }

  /** The connection closed: whoever it held goes on. */
  closed(): void {
    this.sources = 0;
    this.socket.off('drain', this.socketDrained);
    this.clear();
  }

  /** A delivery found this subscriber congested: hold the publisher being read, unless the subscriber is stalled. */
  private note(): void {
    const now = Date.now();
    if (this.since === 0) {
      this.since = now;
      this.stallTimer = setTimeout(this.stalled, STALL_MS);
      this.stallTimer.unref();
    } else if (now - this.since >= STALL_MS) {
      return;
    }
    const publisher = reading;
    if (publisher === undefined || publisher === this.socket || publisher.destroyed) return;
    const held = (this.held ??= []);
    if (held.includes(publisher)) return;
    held.push(publisher);
    hold(publisher);
  }

  private readonly socketDrained = (): void => {
    this.sources &= ~SOCKET;
    if (this.sources === 0) this.clear();
  };

  private clear(): void {
    this.since = 0;
    if (this.stallTimer !== undefined) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    this.releaseAll();
  }

  /** Congested for STALL_MS: it stops holding anyone back (and `since` stays, so it holds no one new). */
  private readonly stalled = (): void => {
    this.stallTimer = undefined;
    this.releaseAll();
  };

  private releaseAll(): void {
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) for (const publisher of held) release(publisher);
  }
}
