/**
 * @module console/web/test-client
 * The MQTT test client's connection, kept for the whole visit so that leaving its page keeps the
 * subscriptions and messages (as AWS's console does). MQTT.js speaks MQTT 5 over the control
 * listener's WebSocket (`/console/mqtt`); the session cookie names the signed-in access key, whose
 * policies decide every CONNECT, SUBSCRIBE, PUBLISH and delivery like any other client's.
 */
import mqtt, { type IClientPublishOptions, type MqttClient } from 'mqtt';

export interface ReceivedMessage {
  id: number;
  topic: string;
  payload: Uint8Array;
  qos: number;
  retain: boolean;
  /** Epoch milliseconds, when it arrived. */
  time: number;
  /** MQTT 5 publish properties, as MQTT.js gives them. */
  properties: Record<string, unknown>;
}

export interface Subscription {
  filter: string;
  qos: 0 | 1;
}

export type Status = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** Messages kept on the page (newest first), and held while paused. */
const KEEP = 500;

export class TestClient {
  status: Status = 'connecting';
  error: string | undefined;
  subscriptions: Subscription[] = [];
  messages: ReceivedMessage[] = [];
  held: ReceivedMessage[] = [];
  paused = false;
  readonly clientId = `iotconsole-${crypto.randomUUID()}`;
  private readonly client: MqttClient;
  private readonly listeners = new Set<() => void>();
  private nextId = 1;

  constructor(url: string) {
    this.client = mqtt.connect(url, {
      protocolVersion: 5, clientId: this.clientId, clean: true, reconnectPeriod: 3_000, connectTimeout: 10_000, keepalive: 60,
      // MQTT.js would start its keep-alive timer in a worker made from a blob: URL, which the pages'
      // CSP (script-src 'self') refuses; the page's own timers do.
      timerVariant: 'native',
    });
    this.client.on('connect', () => this.update({ status: 'connected', error: undefined }));
    this.client.on('reconnect', () => this.update({ status: 'reconnecting' }));
    this.client.on('close', () => this.update({ status: this.client.disconnecting ? 'closed' : 'reconnecting' }));
    this.client.on('error', (err) => this.update({ error: err.message }));
    this.client.on('disconnect', (packet) => this.update({ error: `The server disconnected the client (reason ${hexCode(packet.reasonCode ?? 0)}${packet.properties?.reasonString ? `: ${packet.properties.reasonString}` : ''}).` }));
    this.client.on('message', (topic, payload, packet) => {
      const message: ReceivedMessage = {
        id: this.nextId++, topic, payload: new Uint8Array(payload), qos: packet.qos, retain: packet.retain, time: Date.now(),
        properties: { ...(packet.properties ?? {}) },
      };
      if (this.paused) this.held = [message, ...this.held].slice(0, KEEP);
      else this.messages = [message, ...this.messages].slice(0, KEEP);
      this.emit();
    });
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async subscribe(filter: string, qos: 0 | 1): Promise<void> {
    const granted = await this.client.subscribeAsync(filter, { qos });
    // MQTT.js puts a v5 reason code where the granted QoS goes.
    const code: number = granted[0]?.qos ?? 0x80;
    // [MQTT-3.9.3] a reason code of 0x80 or more refuses the subscription.
    if (code >= 0x80) throw new Error(`Subscribing to ${filter} was refused (reason ${hexCode(code)}${code === 0x87 ? ': not authorized by the access key\'s policies' : ''}).`);
    this.subscriptions = [...this.subscriptions.filter((s) => s.filter !== filter), { filter, qos }];
    this.emit();
  }

  async unsubscribe(filter: string): Promise<void> {
    await this.client.unsubscribeAsync(filter);
    this.subscriptions = this.subscriptions.filter((s) => s.filter !== filter);
    this.emit();
  }

  async publish(topic: string, payload: string, qos: 0 | 1, retain: boolean, userProperties: Array<[string, string]>): Promise<void> {
    const options: IClientPublishOptions = { qos, retain };
    if (userProperties.length > 0) {
      const props: Record<string, string | string[]> = {};
      for (const [k, v] of userProperties) {
        const had = props[k];
        props[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
      }
      options.properties = { userProperties: props };
    }
    await this.client.publishAsync(topic, payload, options);
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    if (!paused) {
      this.messages = [...this.held, ...this.messages].slice(0, KEEP);
      this.held = [];
    }
    this.emit();
  }

  clear(): void {
    this.messages = [];
    this.held = [];
    this.emit();
  }

  end(): void {
    this.client.end(true);
    this.listeners.clear();
  }

  private update(change: Partial<Pick<TestClient, 'status' | 'error'>>): void {
    Object.assign(this, change);
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

export const hexCode = (code: number): string => `0x${code.toString(16).padStart(2, '0')}`;

let current: TestClient | undefined;

/** The visit's client, connected on first use. */
export function testClient(): TestClient {
  current ??= new TestClient(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/console/mqtt`);
  return current;
}

/** Ends the visit's client (sign-out). */
export function endTestClient(): void {
  current?.end();
  current = undefined;
}
