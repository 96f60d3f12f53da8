/**
 * @module test/helpers/raw-mqtt
 * A raw MQTT peer for conformance tests, in the style of mosquitto's test/broker: exact bytes out,
 * exact bytes expected back, over a real mutual-TLS socket.
 */
import assert from 'node:assert/strict';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import mqttPacket from 'mqtt-packet';
import { after, before } from 'node:test';
import { createDevice, startTestTopicd, type Device, type TestTopicd } from './topicd.js';

export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

export class RawClient {
  private buffered = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  closed = false;

  private constructor(readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number, device: Pick<Device, 'ca' | 'cert' | 'key'>): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: 'localhost', port, servername: 'localhost', ca: device.ca, cert: device.cert, key: device.key }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  send(bytes: Buffer | string): void {
    this.socket.write(typeof bytes === 'string' ? hex(bytes) : bytes);
  }

  /** Waits until `n` bytes arrived (or the socket closed) and takes them. */
  async read(n: number, timeoutMs = 3_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffered.length < n && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => { clearTimeout(t); resolve(); };
      });
    }
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(out.length);
    return out;
  }

  /** Expects exactly these bytes next. */
  async expect(bytes: Buffer | string, what = 'reply'): Promise<void> {
    const want = typeof bytes === 'string' ? hex(bytes) : bytes;
    const got = await this.read(want.length);
    assert.equal(got.toString('hex'), want.toString('hex'), what);
  }

  /** Reads one whole packet and decodes it. */
  async packet(version: 4 | 5 = 4, timeoutMs = 3_000): Promise<mqttPacket.Packet> {
    const head = await this.read(2, timeoutMs);
    assert.equal(head.length, 2, 'a packet arrives');
    let length = head[1]! & 0x7f;
    let multiplier = 128;
    let header = head;
    let last = head[1]!;
    while (last & 0x80) {
      const more = await this.read(1);
      header = Buffer.concat([header, more]);
      last = more[0]!;
      length += (last & 0x7f) * multiplier;
      multiplier *= 128;
    }
    const body = await this.read(length);
    const parser = mqttPacket.parser({ protocolVersion: version });
    let packet: mqttPacket.Packet | undefined;
    parser.on('packet', (p) => { packet = p; });
    parser.parse(Buffer.concat([header, body]));
    assert.ok(packet, 'the packet decodes');
    return packet;
  }

  /** Expects the server to close the connection, having sent nothing more than `bytes`. */
  async expectClose(bytes: Buffer | string = '', timeoutMs = 3_000): Promise<void> {
    if (bytes.length > 0) await this.expect(bytes, 'last bytes before close');
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(this.closed, true, 'the server closed the connection');
    assert.equal(this.buffered.toString('hex'), '', 'nothing else was sent');
  }

  close(): void {
    this.socket.destroy();
  }
}

/** CONNECT bytes for a version, client id and flags, built with mqtt-packet (the peer codec). */
export function connectPacket(version: 4 | 5, clientId: string, extra: Partial<mqttPacket.IConnectPacket> = {}): Buffer {
  return mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clean: true, keepalive: 60, clientId, ...extra }, { protocolVersion: version });
}

export const CONNACK_OK_V4 = '20020000';

/**
 * One topicd with one device for a conformance file: started before its tests, stopped after.
 * `flags` are start settings (e.g. `{ profile: 'mqtt' }`); the default is the aws profile.
 */
export function conformanceBroker(deviceName: string, flags: Record<string, unknown> = {}): { open(): Promise<RawClient>; readonly topicd: TestTopicd; readonly device: Device } {
  let topicd: TestTopicd | undefined;
  let device: Device | undefined;
  before(async () => {
    topicd = await startTestTopicd(flags);
    device = await createDevice(topicd, deviceName);
  });
  after(() => topicd?.stop());
  return {
    open: () => RawClient.open(topicd!.running.ports.mqtt, device!),
    get topicd() { return topicd!; },
    get device() { return device!; },
  };
}

export interface SubscriptionOptions {
  nl?: boolean;
  rap?: boolean;
  rh?: number;
}

/** SUBSCRIBE bytes for one filter, built with mqtt-packet (the peer codec); v5 may carry a Subscription Identifier. */
export function subscribePacket(version: 4 | 5, filter: string, qos: 0 | 1 | 2, options: SubscriptionOptions = {}, messageId = 1, subscriptionId?: number): Buffer {
  return mqttPacket.generate({
    cmd: 'subscribe', messageId, subscriptions: [{ topic: filter, qos, ...(version === 5 ? options : {}) }],
    ...(subscriptionId === undefined ? {} : { properties: { subscriptionIdentifier: subscriptionId } }),
  }, { protocolVersion: version });
}

/** PUBLISH bytes, built with mqtt-packet. */
export function publishPacket(
  version: 4 | 5, topic: string, payload: Buffer | string, qos: 0 | 1 | 2,
  options: { retain?: boolean; messageId?: number; dup?: boolean; properties?: mqttPacket.IPublishPacket['properties'] } = {},
): Buffer {
  return mqttPacket.generate({
    cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos,
    messageId: qos > 0 ? (options.messageId ?? 1) : undefined, retain: options.retain ?? false, dup: options.dup ?? false,
    ...(options.properties ? { properties: options.properties } : {}),
  }, { protocolVersion: version });
}
