/**
 * @module bench/scenarios-https
 * The HTTPS publish scenarios: (a) keep-alive publishers, every message counted at an MQTT
 * subscriber on `bench/#` where the server has one; (b) one-shot publishers, a new TLS connection per
 * request, with and without session resumption; (e) end-to-end latency HTTPS publish to an MQTT
 * subscriber at a fixed rate. The bare node server has no subscriber: it counts its 200s.
 */
import type { TLSSocket } from 'node:tls';
import { bodyOffset, loopbackAddress, openTls, publishRequest, ResponseScanner, type HttpsTarget } from './https-wire.js';
import {
  cellCapMs, clientId, failed, measureRate, medianCpu, payload, SocketPool, withCap,
  type Budget, type CellResult, type SystemId,
} from './kit.js';
import { PacedRun } from './latency.js';
import { median, sleep, waitFor, waitQuiet } from './measure.js';
import { payloadOffset, TYPE_PUBLISH, WireClient } from './mqtt-wire.js';
import type { RunningSystem } from './systems.js';

export const KEEPALIVE_CONNECTIONS = 64;
export const ONESHOT_CONCURRENCY = 16;
export const LATENCY_CONNECTIONS = 64;

function httpsTarget(system: RunningSystem): HttpsTarget {
  if (system.https === undefined) throw new Error(`${system.id} serves no HTTPS`);
  return { port: system.https, secureContext: system.secureContext, servername: system.servername };
}

/** An MQTT subscriber on `bench/#` (what the bench policy lets it subscribe to) over mutual TLS that counts PUBLISH frames (and hands each to `onPublish`). */
async function counter(system: RunningSystem, pool: SocketPool, onPublish?: (buf: Buffer, flags: number, bodyStart: number) => void): Promise<{ count: () => number }> {
  if (system.mqttTls === undefined) throw new Error(`${system.id} serves no MQTT`);
  let received = 0;
  const client = await WireClient.connect(
    { port: system.mqttTls, tls: { secureContext: system.secureContext, servername: system.servername } },
    { clientId: clientId('hsub') },
  );
  pool.add(client.socket);
  client.onFrame = (type, flags, buf, bodyStart) => {
    if (type !== TYPE_PUBLISH) return;
    received++;
    onPublish?.(buf, flags, bodyStart);
  };
  await client.subscribe('bench/#', 0);
  return { count: () => received };
}

/** (a) HTTPS publish with keep-alive: 64 connections, one request at a time each. */
export async function httpsKeepalive(budget: Budget, system: RunningSystem): Promise<CellResult[]> {
  const base = { scenario: 'https-keepalive' as const, system: system.id, transport: 'mtls' as const, variant: '64 connections', unit: 'req/s', higherIsBetter: true };
  const pool = new SocketPool();
  try {
    return await withCap(cellCapMs(budget), 'https keep-alive', (async (): Promise<CellResult[]> => {
      const target = httpsTarget(system);
      const subscriber = system.mqttTls === undefined ? undefined : await counter(system, pool);
      const body = payload();
      let running = true;
      let sent = 0;
      let ok = 0;
      let errors = 0;
      let lastError = '';
      const sockets = await Promise.all(Array.from({ length: KEEPALIVE_CONNECTIONS }, () => openTls(target).then((s) => pool.add(s))));
      sockets.forEach((socket, i) => {
        const request = publishRequest(target, `bench/https/${i}`, body, false);
        const scanner = new ResponseScanner((status) => {
          if (status === 200) ok++;
          else {
            errors++;
            lastError = `HTTP ${status}`;
          }
          if (running && sent < budget.messageCap) {
            sent++;
            socket.write(request);
          }
        });
        socket.on('data', (chunk: Buffer) => scanner.push(chunk));
        socket.on('close', () => {
          if (running) {
            errors++;
            lastError = 'connection closed by the server';
          }
        });
        sent++;
        socket.write(request);
      });
      const measured = await measureRate(budget, system.pid, () => ok);
      running = false;
      await waitFor(() => ok + errors >= sent, 3_000);
      const extra: Record<string, number | string> = { errors };
      if (lastError) extra.lastError = lastError;
      if (subscriber) {
        await waitQuiet(subscriber.count, 500, 3_000, () => subscriber.count() >= ok);
        extra.delivered = subscriber.count();
        extra.missing = ok - subscriber.count();
      }
      return [{ ...base, status: 'ok', runs: measured.runs, value: median(measured.runs), cpu: medianCpu(measured.cpu), extra }];
    })());
  } catch (err) {
    return [failed(base.scenario, base.system, base.transport, base.variant, base.unit, true, err)];
  } finally {
    pool.closeAll();
  }
}

/** (b) One-shot publishes: a new TLS connection per request, 16 at once, as curl and `requests` do. */
export async function httpsOneShot(budget: Budget, system: RunningSystem, resume: boolean): Promise<CellResult[]> {
  const variant = resume ? 'resumed' : 'full handshake';
  const base = { scenario: 'https-oneshot' as const, system: system.id, transport: 'mtls' as const, variant, unit: 'req/s', higherIsBetter: true };
  const pool = new SocketPool();
  let running = true;
  try {
    return await withCap(cellCapMs(budget), 'https one-shot', (async (): Promise<CellResult[]> => {
      const target = httpsTarget(system);
      const request = publishRequest(target, 'bench/oneshot', payload(), true);
      let session: Buffer | undefined;
      let serial = 0;
      let ok = 0;
      let handshakes = 0;
      let reused = 0;
      let errors = 0;
      let lastError = '';
      const onSession = (s: Buffer): void => {
        session = s;
      };
      const once = async (): Promise<void> => {
        const socket: TLSSocket = pool.add(await openTls(target, {
          localAddress: loopbackAddress(serial++),
          ...(resume && session !== undefined ? { session } : {}),
          ...(resume ? { onSession } : {}),
        }));
        handshakes++;
        if (socket.isSessionReused()) reused++;
        await new Promise<void>((resolve, reject) => {
          const scanner = new ResponseScanner((status) => {
            if (status === 200) ok++;
            else {
              errors++;
              lastError = `HTTP ${status}`;
            }
            socket.destroy();
            resolve();
          });
          socket.on('data', (chunk: Buffer) => scanner.push(chunk));
          socket.once('close', () => reject(new Error('closed before the response')));
          socket.write(request);
        });
      };
      const worker = async (): Promise<void> => {
        while (running && ok + errors < budget.messageCap) {
          try {
            await once();
          } catch (err) {
            errors++;
            lastError = (err as Error).message;
            await sleep(5);
          }
        }
      };
      const workers = Array.from({ length: ONESHOT_CONCURRENCY }, () => worker());
      const measured = await measureRate(budget, system.pid, () => ok);
      running = false;
      await Promise.race([Promise.all(workers), sleep(5_000)]);
      const extra: Record<string, number | string> = { errors, resumedPct: handshakes === 0 ? 0 : Math.round(reused / handshakes * 1000) / 10 };
      if (lastError) extra.lastError = lastError;
      return [{ ...base, status: 'ok', runs: measured.runs, value: median(measured.runs), cpu: medianCpu(measured.cpu), extra }];
    })());
  } catch (err) {
    return [failed(base.scenario, base.system, base.transport, base.variant, base.unit, true, err)];
  } finally {
    running = false;
    pool.closeAll();
  }
}

/** (e) HTTPS publish -> MQTT subscriber latency at a fixed rate, over 16 keep-alive connections. */
export async function httpsLatency(budget: Budget, system: RunningSystem): Promise<CellResult[]> {
  const base = {
    scenario: 'latency' as const, system: system.id, transport: 'mtls' as const,
    variant: `https to mqtt @ ${budget.latencyRate}/s`, unit: 'ms p99', higherIsBetter: false,
  };
  const pool = new SocketPool();
  try {
    return await withCap(cellCapMs(budget), 'https latency', (async (): Promise<CellResult[]> => {
      const target = httpsTarget(system);
      const run = new PacedRun(budget);
      await counter(system, pool, (buf, flags, bodyStart) => run.arrive(buf.readUInt32BE(payloadOffset(buf, flags, bodyStart))));
      const template = publishRequest(target, 'bench/latency', payload(), false);
      const seqAt = bodyOffset(template);
      const idle: TLSSocket[] = [];
      const backlog: number[] = [];
      let errors = 0;
      let maxBacklog = 0;
      const sendOn = (socket: TLSSocket, seq: number): void => {
        const request = Buffer.from(template);
        request.writeUInt32BE(seq, seqAt);
        socket.write(request);
      };
      const sockets = await Promise.all(Array.from({ length: LATENCY_CONNECTIONS }, () => openTls(target).then((s) => pool.add(s))));
      for (const socket of sockets) {
        const scanner = new ResponseScanner((status) => {
          if (status !== 200) errors++;
          const next = backlog.shift();
          if (next === undefined) idle.push(socket);
          else sendOn(socket, next);
        });
        socket.on('data', (chunk: Buffer) => scanner.push(chunk));
        idle.push(socket);
      }
      const result = await run.run(system.pid, (seq) => {
        const socket = idle.pop();
        if (socket === undefined) {
          backlog.push(seq);
          if (backlog.length > maxBacklog) maxBacklog = backlog.length;
        } else sendOn(socket, seq);
      });
      return [{
        ...base, status: 'ok', runs: result.p99, value: median(result.p99), cpu: medianCpu(result.cpu),
        extra: {
          p50: median(result.p50), max: result.max, rate: Math.round(result.rate),
          missing: result.released - result.arrived, errors,
          // Requests waiting for a free connection: above zero, the server could not keep up with the rate.
          maxBacklog,
        },
      }];
    })());
  } catch (err) {
    return [failed(base.scenario, base.system, base.transport, base.variant, base.unit, false, err)];
  } finally {
    pool.closeAll();
  }
}

/** Systems the HTTPS scenarios run against. */
export const HTTPS_SYSTEMS: readonly SystemId[] = ['topicd', 'bare-https'];
