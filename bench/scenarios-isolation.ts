/**
 * @module bench/scenarios-isolation
 * (i) A stalled subscriber costs only itself (issue 10, defect 2): a backend publishes QoS 1 round
 * robin to 12 devices' topics (`bench/dev/N`), 64 in flight; every device subscribes at QoS 1 to its
 * own topic and acknowledges, except, in the second variant, device 0, which subscribes and then
 * never reads again. The value is the backend's acknowledged publishes per second; `vsAllReading` is
 * the stalled variant's rate over the first's, measured in the same run on the same server. Once a
 * stalled device throttled a backend's publishes to every device a thousandfold (PUBACKs held for it).
 * The windows start after a warm-up of at least 2 s, so a server that holds its publishers for a
 * bounded moment before it counts a subscriber as stalled (topicd: 1 s) is measured past it.
 */
import {
  cellCapMs, clientId, failed, measureRate, medianCpu, notApplicable, payload, SocketPool, withCap, type Budget, type CellResult, type Transport,
} from './kit.js';
import { median } from './measure.js';
import { publishFrame, publishPacketId, pubackFrame, TYPE_PUBACK, TYPE_PUBLISH, WireClient, writeBatched } from './mqtt-wire.js';
import { mqttTarget, QOS1_WINDOW } from './scenarios-mqtt.js';
import type { RunningSystem } from './systems.js';

export const ISOLATION_DEVICES = 12;
export const ISOLATION_VARIANTS = { all: 'all devices reading', stalled: 'one device stalled' } as const;
const WARMUP_MS = 2_000;

/** Rolls `ms` of real time (the warm-up the scenario needs beyond the budget's own). */
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function isolation(budget: Budget, system: RunningSystem, transport: Transport = 'mtls'): Promise<CellResult[]> {
  const cells: CellResult[] = [];
  for (const stalled of [false, true]) cells.push(await oneVariant(budget, system, transport, stalled));
  const [all, withStalled] = cells;
  if (all?.status === 'ok' && withStalled?.status === 'ok') withStalled.extra.vsAllReading = Number((withStalled.value / all.value).toFixed(3));
  return cells;
}

async function oneVariant(budget: Budget, system: RunningSystem, transport: Transport, stalled: boolean): Promise<CellResult> {
  const variant = stalled ? ISOLATION_VARIANTS.stalled : ISOLATION_VARIANTS.all;
  const base = { scenario: 'isolation' as const, system: system.id, transport, variant, unit: 'msg/s', higherIsBetter: true };
  const target = mqttTarget(system, transport);
  if (target === undefined) return notApplicable(base.scenario, base.system, transport, variant, base.unit, true, 'no listener for this transport');
  const pool = new SocketPool();
  let running = true;
  try {
    return await withCap(cellCapMs(budget) + WARMUP_MS, `isolation ${variant}`, (async (): Promise<CellResult> => {
      let delivered = 0;
      for (let i = 0; i < ISOLATION_DEVICES; i++) {
        const device = await WireClient.connect(target, {
          clientId: clientId(`iso${i}`), clean: true,
          onFrame: (type, flags, buf, bodyStart) => {
            if (type !== TYPE_PUBLISH) return;
            delivered++;
            if ((flags & 0x06) !== 0) writeBatched(device.socket, pubackFrame(publishPacketId(buf, bodyStart)));
          },
        });
        pool.add(device.socket);
        await device.subscribe(`bench/dev/${i}`, 1);
        // Device 0 never reads again: its window fills, its queue grows, and it stays so.
        if (stalled && i === 0) device.socket.pause();
      }
      const backend = await WireClient.connect(target, { clientId: clientId('isoback'), clean: true });
      pool.add(backend.socket);
      // Packet id k always goes to device k mod 12: round robin over the window.
      const body = payload();
      const frames: Buffer[] = [];
      for (let id = 1; id <= QOS1_WINDOW; id++) frames[id] = publishFrame(`bench/dev/${id % ISOLATION_DEVICES}`, body, 1, id);
      let acked = 0;
      backend.onFrame = (type, _flags, buf, bodyStart) => {
        if (type !== TYPE_PUBACK) return;
        acked++;
        const frame = frames[buf.readUInt16BE(bodyStart)];
        if (frame !== undefined && running && acked < budget.messageCap * 4) writeBatched(backend.socket, frame);
      };
      backend.socket.write(Buffer.concat(frames.slice(1)));
      await pause(WARMUP_MS);
      const measured = await measureRate(budget, system.pid, () => acked);
      running = false;
      return { ...base, status: 'ok', runs: measured.runs, value: median(measured.runs), cpu: medianCpu(measured.cpu), extra: { acked, delivered } };
    })());
  } catch (err) {
    return failed(base.scenario, base.system, transport, variant, base.unit, true, err);
  } finally {
    running = false;
    pool.closeAll();
  }
}
