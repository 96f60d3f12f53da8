/**
 * @module bench/scenarios-mqtt
 * The MQTT scenarios: (c) fan-in, 8 publishers to 1 subscriber on `bench/#`; (d) fan-out, 1
 * publisher to 100 subscribers; (e) MQTT-to-MQTT latency at a fixed rate; (f) idle mutual-TLS
 * connections, memory per connection and connect rate; (g) QoS 1 into an offline persistent
 * session, then its drain on reconnect.
 *
 * Design note, QoS 0. A QoS 0 publisher has no acknowledgement to wait for, so flooding one would
 * measure how a server sheds load (or how fast it buffers until it cuts the subscriber off), not
 * how much it delivers. The publishers here may run at most a fixed number of messages ahead of
 * what the subscribers have received. The windows are about as wide as the servers' own QoS 0
 * bounds for one subscriber (Mosquitto: 1,000 queued messages; topicd: 1 MiB of unsent bytes):
 * wider, and the bench would measure their load shedding; they still hold tens of milliseconds of
 * messages at the rates measured, so a server that keeps streaming is not held back. Each payload
 * carries its publisher's index and a sequence number, and a subscriber's position is the highest
 * sequence it has seen: a message the server dropped counts as passed, so drops never shut the
 * window (they are counted at the end), and what is in flight stays bounded whatever happens.
 *
 * QoS 1 publishers keep 64 PUBLISH frames in flight each and send the next on each PUBACK.
 */
import { type Socket } from 'node:net';
import {
  cellCapMs, clientId, failed, measureRate, medianCpu, notApplicable, payload, SocketPool, withCap,
  type Budget, type CellResult, type Transport,
} from './kit.js';
import { PacedRun } from './latency.js';
import { CpuWindow, median, processRssBytes, sleep, waitQuiet } from './measure.js';
import { loopbackAddress } from './https-wire.js';
import {
  frameBodyStart, payloadOffset, pubackFrame, publishFrame, publishPacketId, TYPE_PUBACK, TYPE_PUBLISH, WireClient, writeBatched,
  type FrameHandler, type WireTarget,
} from './mqtt-wire.js';
import type { RunningSystem } from './systems.js';

export const FAN_IN_PUBLISHERS = 8;
export const FAN_OUT_SUBSCRIBERS = 100;
export const QOS1_WINDOW = 64;
/** Frames per write for QoS 0 publishers: one TLS record of ~8.6 KB. */
const BATCH = 32;
/** Messages the QoS 0 fan-in publishers may be ahead of the subscriber, all together (1.1 MB). */
export const FAN_IN_AHEAD = 4_096;
/**
 * Publishes the fan-out publisher may be ahead of its slowest subscriber: under Mosquitto's default
 * per-client queue (20 in flight + 1000 queued, which it applies to QoS 0 too), so the defaults do
 * not drop for the window's sake, and still 60 ms of messages at 8,000 publishes/s.
 */
export const FAN_OUT_AHEAD = 500;
/** Unsent bytes a publisher socket may hold before it waits for `drain`. */
const SOCKET_HIGH_WATER = 64 * 1024;
const NO_PLAIN_LISTENER = 'n/a (no plain listener yet)';

export function mqttTarget(system: RunningSystem, transport: Transport): WireTarget | undefined {
  if (transport === 'tcp') return system.mqttTcp === undefined ? undefined : { port: system.mqttTcp };
  if (system.mqttTls === undefined) return undefined;
  return { port: system.mqttTls, tls: { secureContext: system.secureContext, servername: system.servername } };
}

async function connect(pool: SocketPool, target: WireTarget, tag: string, onFrame?: FrameHandler, clean = true, id = clientId(tag)): Promise<WireClient> {
  const client = await WireClient.connect(target, { clientId: id, clean, ...(onFrame ? { onFrame } : {}) });
  pool.add(client.socket);
  return client;
}

/**
 * A subscriber that counts PUBLISH frames and, for QoS 1, acknowledges each: the PUBACKs of one
 * read go out in one write.
 */
class CountingSubscriber {
  received = 0;

  constructor(readonly client: WireClient, private readonly onRead: () => void, private readonly onPublish?: (buf: Buffer, flags: number, bodyStart: number) => void) {
    const socket = client.socket;
    client.onFrame = (type, flags, buf, bodyStart) => {
      if (type !== TYPE_PUBLISH) return;
      this.received++;
      if ((flags & 0x06) !== 0) writeBatched(socket, pubackFrame(publishPacketId(buf, bodyStart)));
      this.onPublish?.(buf, flags, bodyStart);
    };
    // Registered after WireClient's own listener, so it runs once the read has been scanned.
    socket.on('data', () => this.onRead());
  }
}

/** A QoS 1 publisher: 64 frames in flight, frame k sent again when PUBACK k comes back. */
class WindowedPublisher {
  acked = 0;
  /** When `acked` reached `mark` (performance.now()); the mark is 0 (none) unless a scenario sets it. */
  mark = 0;
  markedAt: number | undefined;
  private readonly frames: Buffer[] = [];
  running = true;

  constructor(readonly client: WireClient, topic: string, body: Buffer, private readonly mayContinue: () => boolean) {
    for (let id = 1; id <= QOS1_WINDOW; id++) this.frames[id] = publishFrame(topic, body, 1, id);
    client.onFrame = (type, _flags, buf, bodyStart) => {
      if (type !== TYPE_PUBACK) return;
      if (++this.acked === this.mark) this.markedAt = performance.now();
      const frame = this.frames[buf.readUInt16BE(bodyStart)];
      if (frame !== undefined && this.running && this.mayContinue()) writeBatched(client.socket, frame);
    };
  }

  /** Sends the first window; returns how many messages that was. */
  start(limit: number): number {
    const n = Math.min(QOS1_WINDOW, limit);
    this.client.socket.write(Buffer.concat(this.frames.slice(1, n + 1)));
    return n;
  }
}

/**
 * A QoS 0 publisher kept within a window (see the design note). Its frames are one pre-built batch,
 * copied per write with sequence numbers patched into the payloads; `progress()` is the sequence
 * the receivers have reached (for fan-out, the slowest subscriber), so messages a server dropped
 * count as passed and never hold the window shut.
 */
class GatedPublisher {
  sent = 0;
  running = true;
  private pumping = false;
  private readonly seqOffsets: number[] = [];

  constructor(
    private readonly socket: Socket,
    private readonly template: Buffer,
    private readonly ahead: number,
    private readonly progress: () => number,
    private readonly cap: number,
  ) {
    // Where each frame's payload starts in the batch: frames are all the same length.
    const frameLength = template.length / BATCH;
    const start = payloadOffset(template, 0, frameBodyStart(template));
    for (let k = 0; k < BATCH; k++) this.seqOffsets.push(k * frameLength + start);
    socket.on('drain', () => this.pump());
  }

  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    const socket = this.socket;
    while (this.running && !socket.destroyed && socket.writableLength < SOCKET_HIGH_WATER
      && this.sent + BATCH - this.progress() <= this.ahead && this.sent < this.cap) {
      // A fresh copy per write: node may hold a written buffer until it is flushed.
      const batch = Buffer.from(this.template);
      for (const offset of this.seqOffsets) batch.writeUInt32BE(this.sent++, offset);
      socket.write(batch);
    }
    this.pumping = false;
  }
}

/** Payload bytes 0-3: the message's sequence number from its publisher; byte 4: the publisher's index. */
function taggedPayload(publisher: number): Buffer {
  const body = payload();
  body[4] = publisher;
  return body;
}

function batchOf(topic: string, body: Buffer): Buffer {
  const frame = publishFrame(topic, body, 0);
  return Buffer.concat(Array.from({ length: BATCH }, () => frame));
}

/** Records, per publisher, the next sequence number a subscriber is waiting for. */
function sequenceTracker(publishers: number): { next: Uint32Array; see: (buf: Buffer, flags: number, bodyStart: number) => void } {
  const next = new Uint32Array(publishers);
  return {
    next,
    see: (buf, flags, bodyStart) => {
      const at = payloadOffset(buf, flags, bodyStart);
      const publisher = buf[at + 4] ?? 0;
      const seq = buf.readUInt32BE(at) + 1;
      if (publisher < publishers && seq > (next[publisher] ?? 0)) next[publisher] = seq;
    },
  };
}

/** Connections the server closed during the run: their messages in flight are lost, and say why drops happened. */
function noteClosed(extra: Record<string, number | string>, subscriber: WireClient, publishers: readonly WireClient[]): void {
  if (subscriber.closed) extra.subscriberClosedByServer = 'yes';
  const closed = publishers.filter((p) => p.closed).length;
  if (closed > 0) extra.publishersClosedByServer = closed;
}

/** (c) Fan-in: 8 publishers to 1 subscriber on `bench/#`. */
export async function fanIn(budget: Budget, system: RunningSystem, transport: Transport, qos: 0 | 1): Promise<CellResult[]> {
  const base = { scenario: 'fan-in' as const, system: system.id, transport, variant: `qos${qos}`, unit: 'msg/s', higherIsBetter: true };
  const target = mqttTarget(system, transport);
  if (target === undefined) return [notApplicable(base.scenario, base.system, transport, base.variant, base.unit, true, NO_PLAIN_LISTENER)];
  const pool = new SocketPool();
  const stops: Array<() => void> = [];
  try {
    return await withCap(cellCapMs(budget), `fan-in ${transport} qos${qos}`, (async (): Promise<CellResult[]> => {
      let kick = (): void => undefined;
      const tracker = sequenceTracker(FAN_IN_PUBLISHERS);
      const subscriber = new CountingSubscriber(await connect(pool, target, 'fisub'), () => kick(), qos === 0 ? tracker.see : undefined);
      await subscriber.client.subscribe('bench/#', qos);
      const publishers = await Promise.all(Array.from({ length: FAN_IN_PUBLISHERS }, () => connect(pool, target, 'fipub')));
      if (qos === 0) {
        // One window per publisher, each its share of the total: no publisher starves the others.
        const gated = publishers.map((p, i) => new GatedPublisher(
          p.socket, batchOf(`bench/in/${i}`, taggedPayload(i)), FAN_IN_AHEAD / FAN_IN_PUBLISHERS,
          () => tracker.next[i] ?? 0, budget.messageCap / FAN_IN_PUBLISHERS,
        ));
        const stopAll = (): void => gated.forEach((g) => {
          g.running = false;
        });
        stops.push(stopAll);
        kick = () => {
          for (const g of gated) g.pump();
        };
        kick();
        const published = (): number => gated.reduce((sum, g) => sum + g.sent, 0);
        const measured = await measureRate(budget, system.pid, () => subscriber.received);
        stopAll();
        await waitQuiet(() => subscriber.received, 500, 3_000, () => subscriber.received >= published());
        const extra: Record<string, number | string> = { published: published(), delivered: subscriber.received, dropped: Math.max(0, published() - subscriber.received) };
        noteClosed(extra, subscriber.client, publishers);
        return [{ ...base, status: 'ok', runs: measured.runs, value: median(measured.runs), cpu: medianCpu(measured.cpu), extra }];
      }
      const body = payload();
      let sent = 0;
      const mayContinue = (): boolean => {
        if (sent >= budget.messageCap) return false;
        sent++;
        return true;
      };
      const windowed = publishers.map((p, i) => new WindowedPublisher(p, `bench/in/${i}`, body, mayContinue));
      stops.push(() => windowed.forEach((w) => {
        w.running = false;
      }));
      for (const w of windowed) sent += w.start(budget.messageCap - sent);
      const measured = await measureRate(budget, system.pid, () => subscriber.received);
      for (const w of windowed) w.running = false;
      const acked = (): number => windowed.reduce((sum, w) => sum + w.acked, 0);
      await waitQuiet(() => acked() + subscriber.received, 500, 3_000, () => subscriber.received >= acked());
      const extra: Record<string, number | string> = { acked: acked(), delivered: subscriber.received, dropped: Math.max(0, acked() - subscriber.received) };
      noteClosed(extra, subscriber.client, publishers);
      return [{ ...base, status: 'ok', runs: measured.runs, value: median(measured.runs), cpu: medianCpu(measured.cpu), extra }];
    })());
  } catch (err) {
    return [failed(base.scenario, base.system, transport, base.variant, base.unit, true, err)];
  } finally {
    for (const stop of stops) stop();
    pool.closeAll();
  }
}

/** (d) Fan-out: 1 publisher to 100 subscribers on `bench/#`, QoS 0; the rate counts deliveries. */
export async function fanOut(budget: Budget, system: RunningSystem, transport: Transport): Promise<CellResult[]> {
  const base = { scenario: 'fan-out' as const, system: system.id, transport, variant: 'qos0', unit: 'deliveries/s', higherIsBetter: true };
  const target = mqttTarget(system, transport);
  if (target === undefined) return [notApplicable(base.scenario, base.system, transport, base.variant, base.unit, true, NO_PLAIN_LISTENER)];
  const pool = new SocketPool();
  let gated: GatedPublisher | undefined;
  try {
    return await withCap(cellCapMs(budget), `fan-out ${transport}`, (async (): Promise<CellResult[]> => {
      const subscribers: Array<{ counter: CountingSubscriber; next: Uint32Array }> = [];
      // The slowest subscriber's position, cached: recomputed only when the window looks shut.
      let slowest = 0;
      const progress = (): number => {
        if (gated !== undefined && gated.sent + BATCH - slowest > FAN_OUT_AHEAD) {
          let min = Infinity;
          for (const s of subscribers) min = Math.min(min, s.next[0] ?? 0);
          slowest = min === Infinity ? 0 : min;
        }
        return slowest;
      };
      for (let i = 0; i < FAN_OUT_SUBSCRIBERS; i += 50) {
        const batch = await Promise.all(Array.from({ length: Math.min(50, FAN_OUT_SUBSCRIBERS - i) }, async () => {
          const tracker = sequenceTracker(1);
          const counter = new CountingSubscriber(await connect(pool, target, 'fosub'), () => gated?.pump(), tracker.see);
          await counter.client.subscribe('bench/#', 0);
          return { counter, next: tracker.next };
        }));
        subscribers.push(...batch);
      }
      const publisher = await connect(pool, target, 'fopub');
      gated = new GatedPublisher(publisher.socket, batchOf('bench/out', taggedPayload(0)), FAN_OUT_AHEAD, progress, budget.messageCap);
      gated.pump();
      const delivered = (): number => subscribers.reduce((sum, s) => sum + s.counter.received, 0);
      const measured = await measureRate(budget, system.pid, delivered);
      gated.running = false;
      const expected = gated.sent * FAN_OUT_SUBSCRIBERS;
      await waitQuiet(delivered, 500, 3_000, () => delivered() >= expected);
      const lost = subscribers.filter((s) => s.counter.client.closed).length;
      const extra: Record<string, number | string> = {
        published: gated.sent, delivered: delivered(), dropped: Math.max(0, expected - delivered()),
        ...(lost > 0 ? { subscribersDisconnected: lost } : {}),
        publishRate: Math.round(median(measured.runs) / FAN_OUT_SUBSCRIBERS),
      };
      return [{ ...base, status: 'ok', runs: measured.runs, value: median(measured.runs), cpu: medianCpu(measured.cpu), extra }];
    })());
  } catch (err) {
    return [failed(base.scenario, base.system, transport, base.variant, base.unit, true, err)];
  } finally {
    if (gated) gated.running = false;
    pool.closeAll();
  }
}

/** (e) MQTT publish -> MQTT subscriber latency at a fixed rate, QoS 0, mutual TLS. */
export async function mqttLatency(budget: Budget, system: RunningSystem): Promise<CellResult[]> {
  const base = {
    scenario: 'latency' as const, system: system.id, transport: 'mtls' as const,
    variant: `mqtt to mqtt @ ${budget.latencyRate}/s`, unit: 'ms p99', higherIsBetter: false,
  };
  const target = mqttTarget(system, 'mtls');
  if (target === undefined) return [notApplicable(base.scenario, base.system, 'mtls', base.variant, base.unit, false, 'no MQTT')];
  const pool = new SocketPool();
  try {
    return await withCap(cellCapMs(budget), 'mqtt latency', (async (): Promise<CellResult[]> => {
      const run = new PacedRun(budget);
      const subscriber = new CountingSubscriber(await connect(pool, target, 'lsub'), () => undefined,
        (buf, flags, bodyStart) => run.arrive(buf.readUInt32BE(payloadOffset(buf, flags, bodyStart))));
      await subscriber.client.subscribe('bench/#', 0);
      const publisher = await connect(pool, target, 'lpub');
      const template = publishFrame('bench/latency', payload(), 0);
      const seqAt = payloadOffset(template, 0, frameBodyStart(template));
      const result = await run.run(system.pid, (seq) => {
        const frame = Buffer.from(template);
        frame.writeUInt32BE(seq, seqAt);
        publisher.socket.write(frame);
      });
      return [{
        ...base, status: 'ok', runs: result.p99, value: median(result.p99), cpu: medianCpu(result.cpu),
        extra: { p50: median(result.p50), max: result.max, rate: Math.round(result.rate), missing: result.released - result.arrived },
      }];
    })());
  } catch (err) {
    return [failed(base.scenario, base.system, 'mtls', base.variant, base.unit, false, err)];
  } finally {
    pool.closeAll();
  }
}

/**
 * (f) Idle mutual-TLS MQTT connections: `count` connected 100 at a time; the connect rate, and the
 * server's RSS growth per connection once they are all up and the server has settled.
 */
export async function idleConnections(budget: Budget, system: RunningSystem, count: number, why: string): Promise<CellResult[]> {
  const memory = { scenario: 'idle' as const, system: system.id, transport: 'mtls' as const, variant: 'memory', unit: 'KiB/conn', higherIsBetter: false };
  const rate = { ...memory, variant: 'connect rate', unit: 'conn/s', higherIsBetter: true };
  const target = mqttTarget(system, 'mtls');
  if (target === undefined) return [notApplicable('idle', system.id, 'mtls', 'memory', memory.unit, false, 'no MQTT')];
  const pool = new SocketPool();
  try {
    return await withCap(budget.idleConnectMs + 60_000, 'idle connections', (async (): Promise<CellResult[]> => {
      await sleep(500);
      const rssBefore = processRssBytes(system.pid) ?? NaN;
      let next = 0;
      let connected = 0;
      let errors = 0;
      let lastError = '';
      const cpu = new CpuWindow(system.pid);
      const t0 = performance.now();
      const deadline = t0 + budget.idleConnectMs;
      const worker = async (): Promise<void> => {
        while (next < count && performance.now() < deadline) {
          const i = next++;
          try {
            const client = await WireClient.connect(target, { clientId: clientId('idle'), keepalive: 1_200, localAddress: loopbackAddress(i) });
            pool.add(client.socket);
            connected++;
          } catch (err) {
            errors++;
            lastError = (err as Error).message;
          }
        }
      };
      await Promise.all(Array.from({ length: 100 }, () => worker()));
      const seconds = (performance.now() - t0) / 1000;
      const share = cpu.stop();
      // Let the server finish its post-handshake work and the allocator settle.
      await sleep(budget.quick ? 500 : 2_000);
      const rssAfter = processRssBytes(system.pid) ?? NaN;
      const alive = pool.size;
      const perConnection = (rssAfter - rssBefore) / 1024 / Math.max(1, connected);
      const extra: Record<string, number | string> = {
        asked: count, connected, alive, errors,
        serverRssMiB: Math.round(rssAfter / 1024 / 1024), generatorRssMiB: Math.round(process.memoryUsage().rss / 1024 / 1024),
      };
      if (lastError) extra.lastError = lastError;
      const capped = next < count ? `stopped at ${connected.toLocaleString('en-US')} connections: the ${budget.idleConnectMs / 1000} s connect cap` : '';
      const note = [why, capped].filter(Boolean).join('; ') || undefined;
      return [
        { ...memory, status: 'ok', runs: [perConnection], value: perConnection, cpu: undefined, extra, ...(note ? { note } : {}) },
        { ...rate, status: 'ok', runs: [connected / seconds], value: connected / seconds, cpu: share, extra: { connected, errors }, ...(note ? { note } : {}) },
      ];
    })());
  } catch (err) {
    return [failed('idle', system.id, 'mtls', 'memory', memory.unit, false, err)];
  } finally {
    pool.closeAll();
  }
}

/**
 * Every server here keeps at least this many messages for an offline session (topicd's and
 * Mosquitto's default queue bound), so the publish rate up to the mark is the rate of publishes that
 * are written to the session's queue (topicd: its Store), where the rate past it may be of drops.
 */
const OFFLINE_STORED_MARK = 1_000;

/**
 * (g) A persistent session (clean session off) subscribes at QoS 1 and goes away; `count` QoS 1
 * messages are published to it; it reconnects and drains. Reports the drain rate and how many of
 * the messages the server kept.
 */
export async function offlineDrain(budget: Budget, system: RunningSystem, runs: number): Promise<CellResult[]> {
  const base = { scenario: 'offline' as const, system: system.id, transport: 'mtls' as const, variant: 'qos1 drain', unit: 'msg/s', higherIsBetter: true };
  const target = mqttTarget(system, 'mtls');
  if (target === undefined) return [notApplicable('offline', system.id, 'mtls', base.variant, base.unit, true, 'no MQTT')];
  const count = budget.offlineMessages;
  const pool = new SocketPool();
  try {
    return await withCap(Math.max(60_000, count * 2), 'offline drain', (async (): Promise<CellResult[]> => {
      const drainRates: number[] = [];
      const publishRates: number[] = [];
      const storedRates: number[] = [];
      const kept: number[] = [];
      for (let r = 0; r < runs; r++) {
        const id = clientId('off');
        const first = await connect(pool, target, 'off', undefined, false, id);
        await first.subscribe('bench/offline/#', 1);
        await first.disconnect();

        const publisher = await connect(pool, target, 'offp');
        let sent = 0;
        const windowed = new WindowedPublisher(publisher, 'bench/offline/x', payload(), () => {
          if (sent >= count) return false;
          sent++;
          return true;
        });
        windowed.mark = Math.min(count, OFFLINE_STORED_MARK);
        const p0 = performance.now();
        sent += windowed.start(count);
        await waitQuiet(() => windowed.acked, 1_000, Math.max(10_000, count), () => windowed.acked >= count);
        if (windowed.acked < count) throw new Error(`only ${windowed.acked} of ${count} publishes were acknowledged`);
        publishRates.push(count / ((performance.now() - p0) / 1000));
        storedRates.push(windowed.mark / (((windowed.markedAt ?? performance.now()) - p0) / 1000));
        await publisher.disconnect();
        await sleep(200);

        let received = 0;
        let lastAt = performance.now();
        const d0 = performance.now();
        let client: WireClient | undefined = undefined;
        // The PUBACKs of frames that came with the CONNACK wait until the client exists.
        const early: Buffer[] = [];
        const onFrame: FrameHandler = (type, flags, buf, bodyStart) => {
          if (type !== TYPE_PUBLISH) return;
          received++;
          lastAt = performance.now();
          if ((flags & 0x06) === 0) return;
          const ack = pubackFrame(publishPacketId(buf, bodyStart));
          if (client === undefined) early.push(ack);
          else writeBatched(client.socket, ack);
        };
        client = await connect(pool, target, 'off', onFrame, false, id);
        if (early.length > 0) client.socket.write(Buffer.concat(early));
        if (!client.sessionPresent) {
          return [notApplicable('offline', system.id, 'mtls', base.variant, base.unit, true, 'n/a (no persistent sessions: the reconnect\'s CONNACK said session present 0)')];
        }
        await waitQuiet(() => received, 500, Math.max(10_000, count), () => received >= count);
        drainRates.push(received / Math.max(0.001, (lastAt - d0) / 1000));
        kept.push(received);
        // End the session so the next run starts clean.
        await client.disconnect();
        const cleanup = await connect(pool, target, 'off', undefined, true, id);
        await cleanup.disconnect();
      }
      return [{
        ...base, status: 'ok', runs: drainRates, value: median(drainRates), cpu: undefined,
        extra: { published: count, kept: median(kept), keptPct: Math.round(median(kept) / count * 1000) / 10, publishRate: Math.round(median(publishRates)), storedPublishRate: Math.round(median(storedRates)) },
      }];
    })());
  } catch (err) {
    return [failed('offline', system.id, 'mtls', base.variant, base.unit, true, err)];
  } finally {
    pool.closeAll();
  }
}
