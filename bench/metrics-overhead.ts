/**
 * @module bench/metrics-overhead
 * What counting messages costs the route path, measured where nothing else is: the real publish gate,
 * router, sessions and channels of a topicd build, in process, on links that drop their bytes, so the
 * only work is topicd's own. Fan-out: 1 publisher to 100 QoS 0 subscribers; fan-in: 8 publishers to 1
 * QoS 1 subscriber that acknowledges each delivery. Prints the CPU time per delivery (fan-out) and per
 * message (fan-in), the median of 5 rounds, as JSON.
 *
 * Compare two builds interleaved (the machine may be shared: run A, B, A, B, ... and compare medians):
 *   node dist/bench/metrics-overhead.js /path/to/checkout-without-counters
 *   node dist/bench/metrics-overhead.js .
 * Each checkout must be built (its dist/). `npm run bench` measures the same paths end to end.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Packet } from 'mqtt-packet';
import type * as Auth from '../src/auth/authorizer.js';
import type * as Channels from '../src/broker/channel/channel.js';
import type * as Clocks from '../src/broker/clock.js';
import type * as Core from '../src/broker/core.js';
import type * as Profiles from '../src/broker/profile.js';

type ChannelT = InstanceType<typeof Channels.Channel>;

const root = resolve(process.argv[2] ?? '.');
const load = <T>(path: string): Promise<T> => import(pathToFileURL(`${root}/dist/src/${path}`).href) as Promise<T>;
const [{ startBrokerCore }, { MQTT_PROFILE }, { Channel }, { PlainListenerAuthorizer }, { SYSTEM_CLOCK }] = await Promise.all([
  load<typeof Core>('broker/core.js'), load<typeof Profiles>('broker/profile.js'), load<typeof Channels>('broker/channel/channel.js'),
  load<typeof Auth>('auth/authorizer.js'), load<typeof Clocks>('broker/clock.js'),
]);

const core = await startBrokerCore(MQTT_PROFILE, { store: undefined, clock: SYSTEM_CLOCK, onStoreError: (err) => { throw err; } });
const authorizer = new PlainListenerAuthorizer({ publish: true, subscribe: true });
const payload = Buffer.alloc(64, 1);

class NullLink {
  buffered = 0;
  remoteAddress = '127.0.0.1';
  write(): void {}
  end(): void {}
}

function open(clientId: string, filter?: string, qos: 0 | 1 = 0): ChannelT {
  const channel = new Channel(new NullLink(), {
    gate: core.gate, broker: core.broker, wills: core.wills, authorizer, principal: { kind: 'anonymous', sourceIp: '127.0.0.1' },
    limits: MQTT_PROFILE.limits, clock: SYSTEM_CLOCK, lifecycle: core.lifecycle,
  });
  channel.handle({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 0 } as Packet);
  if (filter !== undefined) channel.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos }] } as Packet);
  return channel;
}

const cpuMicros = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return used.user + used.system;
};

function fanOut(publishes: number): number {
  const subs = Array.from({ length: 100 }, (_, i) => open(`fo-sub-${i}`, 'fo/#'));
  const pub = open('fo-pub');
  const publish = { cmd: 'publish', topic: 'fo/a', payload, qos: 0, retain: false, dup: false } as Packet;
  const start = process.cpuUsage();
  for (let i = 0; i < publishes; i++) pub.handle(publish);
  const micros = cpuMicros(start);
  for (const c of [...subs, pub]) c.close(undefined);
  return micros / (publishes * 100);
}

function fanIn(messages: number): number {
  const sub = open('fi-sub', 'fi/#', 1);
  const pubs = Array.from({ length: 8 }, (_, i) => open(`fi-pub-${i}`));
  let acked = 0;
  const start = process.cpuUsage();
  for (let i = 0; i < messages; i++) {
    pubs[i & 7]!.handle({ cmd: 'publish', topic: `fi/${i & 7}`, payload, qos: 1, retain: false, dup: false, messageId: (i % 65535) + 1 } as Packet);
    // The subscriber's packet ids run 1, 2, ... in order: it acknowledges each at once.
    acked = acked === 65535 ? 1 : acked + 1;
    sub.handle({ cmd: 'puback', messageId: acked } as Packet);
  }
  const micros = cpuMicros(start);
  for (const c of [sub, ...pubs]) c.close(undefined);
  return micros / messages;
}

const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
fanOut(20_000);
fanIn(50_000);
const out: number[] = [];
const inn: number[] = [];
for (let round = 0; round < 5; round++) {
  out.push(fanOut(20_000));
  inn.push(fanIn(100_000));
}
console.log(JSON.stringify({ build: root, fanOutNsPerDelivery: Math.round(median(out) * 1000 * 10) / 10, fanInNsPerMessage: Math.round(median(inn) * 1000) }));
process.exit(0);
