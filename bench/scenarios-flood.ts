/**
 * @module bench/scenarios-flood
 * (h) The unthrottled QoS 0 flood (issue 10, defect 7), beside the paced fan-in of (c): 8 publishers
 * write QoS 0 PUBLISHes as fast as TCP lets them, with no window and no flow control of the
 * generator's own (as a fleet of devices or a misbehaving bridge does), to 1 subscriber on `bench/#`
 * that reads as fast as it can. Per window: the messages the server read, the messages it delivered,
 * and their ratio. The question is how a server sheds load it cannot deliver: by reading no faster
 * than it delivers (TCP backpressure on the publishers), or by reading everything and dropping.
 *
 * "Read by the server" is what the server took from its sockets: its read(2) bytes (`rchar` in
 * /proc/PID/io) over the window, divided by the bytes of one message on the wire (over TLS, plus its
 * share of the records' overhead: within 0.2%). Counting at the publishers, what the kernel took from
 * them, is what the server can read in the long run, but not in a window of a second: on loopback the
 * kernel buffers up to ~10 MB per connection (tcp_wmem + tcp_rmem), which fills for seconds before a
 * slow server holds the publishers back, and then the writes complete in bursts of megabytes. That
 * count is kept as `writtenTotal`, a check (it is at least the read). Everything else the server reads
 * in a window (a wakeup's 8-byte eventfd) is far below one message in a thousand.
 *
 * The publishers write one pre-built batch of frames again and again (the same bytes, never copied or
 * patched), so the generator stays far below the server's cost; its CPU is reported next to the
 * server's.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { cellCapMs, clientId, failed, measureRates, medianCpu, notApplicable, payload, SocketPool, withCap, type Budget, type CellResult, type Transport } from './kit.js';
import { median, processReadBytes, processRssBytes } from './measure.js';
import { publishFrame, TYPE_PUBLISH, WireClient } from './mqtt-wire.js';
import { mqttTarget } from './scenarios-mqtt.js';
import type { RunningSystem } from './systems.js';

export const FLOOD_PUBLISHERS = 8;
/** Frames per write: ~69 KB, a handful of writes per millisecond at a million messages a second. */
export const FLOOD_BATCH = 256;
/** Unsent bytes a publisher keeps queued in node; the kernel's send buffer (up to 4 MB) is behind it. */
const FLOOD_HIGH_WATER = 256 * 1024;
export const FLOOD_VARIANT = 'qos0 flood';

/** Plaintext bytes of one TLS record at most, and what a record adds (TLS 1.3 AES-GCM; 1.2 GCM adds 29). */
const TLS_RECORD = 16_384;

/** Bytes one message takes on the wire: the frame, and over TLS its share of the records' overhead. */
function wireBytesPerMessage(frameBytes: number, socket: Socket, tls: boolean): number {
  if (!tls) return frameBytes;
  const overhead = (socket as TLSSocket).getProtocol() === 'TLSv1.3' ? 22 : 29;
  const batchBytes = frameBytes * FLOOD_BATCH;
  return frameBytes * (1 + Math.ceil(batchBytes / TLS_RECORD) * overhead / batchBytes);
}

/** A publisher with no window: it refills its socket whenever node's buffer has room. */
class FloodPublisher {
  /** Messages whose bytes the kernel has taken. */
  written = 0;
  running = true;
  private readonly onWritten = (err?: Error | null): void => {
    if (!err) this.written += FLOOD_BATCH;
  };

  constructor(private readonly socket: Socket, private readonly batch: Buffer) {
    socket.on('drain', () => this.pump());
  }

  pump(): void {
    const socket = this.socket;
    // The batch is never changed, so node may hold the same buffer in several queued writes.
    while (this.running && !socket.destroyed && socket.writableLength < FLOOD_HIGH_WATER) socket.write(this.batch, this.onWritten);
  }
}

/** (h) 8 publishers flooding QoS 0 at 1 subscriber on `bench/#`; the value is the delivered rate. */
export async function flood(budget: Budget, system: RunningSystem, transport: Transport): Promise<CellResult[]> {
  const base = { scenario: 'flood' as const, system: system.id, transport, variant: FLOOD_VARIANT, unit: 'msg/s', higherIsBetter: true };
  const target = mqttTarget(system, transport);
  if (target === undefined) return [notApplicable(base.scenario, base.system, transport, base.variant, base.unit, true, 'n/a (no plain listener yet)')];
  const pool = new SocketPool();
  const publishers: FloodPublisher[] = [];
  try {
    return await withCap(cellCapMs(budget), `flood ${transport}`, (async (): Promise<CellResult[]> => {
      let delivered = 0;
      const subscriber = await WireClient.connect(target, { clientId: clientId('flsub') });
      pool.add(subscriber.socket);
      subscriber.onFrame = (type) => {
        if (type === TYPE_PUBLISH) delivered++;
      };
      await subscriber.subscribe('bench/#', 0);
      const clients = await Promise.all(Array.from({ length: FLOOD_PUBLISHERS }, async () => {
        const client = await WireClient.connect(target, { clientId: clientId('flpub') });
        pool.add(client.socket);
        return client;
      }));
      const body = payload();
      // Every topic is as long as the others (bench/flood/0-7), so every frame has the same length.
      const frames = clients.map((_c, i) => publishFrame(`bench/flood/${i}`, body, 0));
      const perMessage = wireBytesPerMessage(frames[0]?.length ?? 1, clients[0]?.socket ?? subscriber.socket, target.tls !== undefined);
      const readAtStart = processReadBytes(system.pid);
      if (readAtStart === undefined) throw new Error(`/proc/${system.pid}/io is not readable: the server's reads cannot be counted`);
      let lastRead = readAtStart;
      const read = (): number => {
        lastRead = processReadBytes(system.pid) ?? lastRead;
        return (lastRead - readAtStart) / perMessage;
      };
      clients.forEach((client, i) => {
        const frame = frames[i] ?? Buffer.alloc(0);
        publishers.push(new FloodPublisher(client.socket, Buffer.concat(Array.from({ length: FLOOD_BATCH }, () => frame))));
      });
      for (const p of publishers) p.pump();
      // No message cap: the flood is bounded by its time (the warm-up and the windows) alone.
      const measured = await measureRates(budget, system.pid, [read, () => delivered]);
      const totals = { read: Math.round(read()), written: publishers.reduce((sum, p) => sum + p.written, 0), delivered };
      const rss = processRssBytes(system.pid);
      for (const p of publishers) p.running = false;
      const readRuns = measured.runs[0] ?? [];
      const deliveredRuns = measured.runs[1] ?? [];
      const shares = deliveredRuns.map((d, w) => {
        const r = readRuns[w] ?? 0;
        return r > 0 ? d / r * 100 : NaN;
      }).filter(Number.isFinite);
      const extra: Record<string, number | string> = {
        read: Math.round(median(readRuns)),
        deliveredPct: Math.round(median(shares) * 10) / 10,
        readTotal: totals.read,
        writtenTotal: totals.written,
        deliveredTotal: totals.delivered,
        ...(rss === undefined ? {} : { serverRssMiB: Math.round(rss / 1024 / 1024) }),
      };
      if (subscriber.closed) extra.subscriberClosedByServer = 'yes';
      const closed = clients.filter((c) => c.closed).length;
      if (closed > 0) extra.publishersClosedByServer = closed;
      return [{ ...base, status: 'ok', runs: deliveredRuns, value: median(deliveredRuns), cpu: medianCpu(measured.cpu), extra }];
    })());
  } catch (err) {
    return [failed(base.scenario, base.system, transport, base.variant, base.unit, true, err)];
  } finally {
    for (const p of publishers) p.running = false;
    pool.closeAll();
  }
}
