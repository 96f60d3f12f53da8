/**
 * @module broker/wills
 * Delayed wills (MQTT 5 Will Delay Interval): a will waits for its delay, or for its session's end,
 * unless the client id connects again first [MQTT-3.1.3-9]. Each waiting will is written to the
 * Store with its due time, so a restart (SIGKILL included) still sends it. Wills are sent through the
 * publish gate as the service: the client's right to publish them was checked at CONNECT and again
 * when its connection ended.
 */
import type { PublishProperties, QoS } from '../protocol/codec.js';
import type { SessionStore } from '../store/store.js';
import { after, type Clock, type Timer } from './clock.js';
import type { PublishGate } from './ingress.js';
import { parseProperties, serializeProperties } from './message-codec.js';

/** A last will as it is sent (CONNECT's will, without its delay). */
export interface WillMessage {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties: PublishProperties | undefined;
}

export interface WillsDeps {
  gate: PublishGate;
  clock: Clock;
  store?: SessionStore | undefined;
  onStoreError?: ((err: unknown, context: string) => void) | undefined;
}

export class Wills {
  private readonly pending = new Map<string, Timer>();

  constructor(private readonly deps: WillsDeps) {}

  /** Sends a will now; its message is made here, so its expiry runs from now. */
  send(will: WillMessage): void {
    this.deps.gate.publishAsService(will.topic, will.payload, will.qos, will.retain, will.properties);
  }

  /** Sends a will after `ms` unless the client id connects again first (see `cancel`). */
  schedule(clientId: string, will: WillMessage, ms: number): void {
    const { clock, store } = this.deps;
    store?.putWill({
      clientId, topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain,
      properties: serializeProperties(will.properties), dueAt: clock.now() + ms,
    }).catch(this.storeFailed);
    this.arm(clientId, will, ms);
  }

  /** [MQTT-3.1.3-9] a new connection for the client id before the Will Delay Interval cancels the will. */
  cancel(clientId: string): void {
    const timer = this.pending.get(clientId);
    if (timer === undefined) return;
    this.deps.clock.clearTimeout(timer);
    this.pending.delete(clientId);
    this.deps.store?.deleteWill(clientId).catch(this.storeFailed);
  }

  /**
   * Loads the delayed wills the Store kept: those due are sent now, the others wait for the rest of
   * their delay. Call once after the sessions are loaded (so persistent subscribers get them queued)
   * and before serving (so a reconnect cancels them).
   */
  async load(): Promise<number> {
    const store = this.deps.store;
    if (!store) return 0;
    const now = this.deps.clock.now();
    const rows = await store.wills();
    for (const row of rows) {
      const will: WillMessage = { topic: row.topic, payload: row.payload, qos: row.qos, retain: row.retain, properties: parseProperties(row.properties) };
      if (row.dueAt > now) {
        this.arm(row.clientId, will, row.dueAt - now);
        continue;
      }
      await store.deleteWill(row.clientId);
      this.send(will);
    }
    return rows.length;
  }

  /** Shutdown: no will fires any more in this process (each waiting one stays in the Store for the next start). */
  close(): void {
    for (const timer of this.pending.values()) this.deps.clock.clearTimeout(timer);
    this.pending.clear();
  }

  private arm(clientId: string, will: WillMessage, ms: number): void {
    this.deps.clock.clearTimeout(this.pending.get(clientId));
    after(this.deps.clock, ms, () => {
      this.pending.delete(clientId);
      this.deps.store?.deleteWill(clientId).catch(this.storeFailed);
      this.send(will);
    }, (timer) => this.pending.set(clientId, timer));
  }

  private readonly storeFailed = (err: unknown): void => this.deps.onStoreError?.(err, 'will store write');
}
