/**
 * @module test/unit/channel.test
 * The MQTT channel in process, without sockets: real broker core (router, publish gate, wills), a real
 * PolicyAuthorizer over one compiled policy, a Link that records what the channel writes, and a fake
 * clock, so keep-alive, will delays, takeover and expiry are driven in virtual time.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { PlainListenerAuthorizer, type Authorizer, type Principal } from '../../src/auth/authorizer.js';
import { PolicyAuthorizer } from '../../src/auth/policy-authorizer.js';
import { compilePolicy } from '../../src/auth/policy/index.js';
import { Channel } from '../../src/broker/channel/channel.js';
import type { Link } from '../../src/broker/channel/context.js';
import { startBrokerCore, type BrokerCore } from '../../src/broker/core.js';
import { AWS_PROFILE, resolveProfile, type Profile } from '../../src/broker/profile.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { FakeClock } from '../helpers/fake-clock.js';

const ALLOW_ALL = compilePolicy('all', JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }],
}));

/** A Link that keeps what the channel writes and decodes it as the client would. */
class RecordingLink implements Link {
  readonly remoteAddress = '192.0.2.7';
  ended = false;
  private readonly parser: ReturnType<typeof mqttPacket.parser>;
  readonly packets: Packet[] = [];

  constructor(version: 4 | 5) {
    this.parser = mqttPacket.parser({ protocolVersion: version });
    this.parser.on('packet', (p: Packet) => this.packets.push(p));
  }

  get buffered(): number {
    return 0;
  }

  write(buf: Buffer): void {
    this.parser.parse(buf);
  }

  end(): void {
    this.ended = true;
  }

  take(): Packet[] {
    return this.packets.splice(0, this.packets.length);
  }
}

interface Harness {
  clock: FakeClock;
  core: BrokerCore;
  connect(clientId: string, version: 4 | 5, extra?: Record<string, unknown>, principal?: Principal, authorizer?: Authorizer): { channel: Channel; link: RecordingLink };
}

/** A store error is a test failure: kept here and checked by the test that passes a store. */
async function harness(profile: Profile = AWS_PROFILE, store?: SqliteStore, storeErrors: unknown[] = []): Promise<Harness> {
  const clock = new FakeClock();
  const core = await startBrokerCore(profile, { store, clock, onStoreError: (err) => { storeErrors.push(err); } });
  const policyAuthorizer = new PolicyAuthorizer({
    source: { generation: 0, policiesOf: () => [ALLOW_ALL], thing: () => undefined },
    region: 'us-east-1', accountId: '123456789012',
    certificateActive: () => true, accessKeyExists: () => true, accessKeyIsAdmin: () => false,
  });
  const device: Principal = { kind: 'certificate', certificateId: 'a'.repeat(64), sourceIp: '192.0.2.7' };
  return {
    clock,
    core,
    connect(clientId, version, extra = {}, principal = device, authorizer = policyAuthorizer) {
      const link = new RecordingLink(version);
      const channel = new Channel(link, {
        gate: core.gate, broker: core.broker, wills: core.wills, authorizer, principal,
        limits: profile.limits, clock, lifecycle: core.lifecycle,
      });
      channel.handle({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clean: true, clientId, keepalive: 60, ...extra } as Packet);
      return { channel, link };
    },
  };
}

const connack = (p: Packet | undefined): mqttPacket.IConnackPacket => {
  assert.equal(p?.cmd, 'connack');
  return p as mqttPacket.IConnackPacket;
};

describe('channel - in process, virtual time', () => {
  it('channel - [MQTT-3.1.4-1] a connection that never sends CONNECT is closed at the deadline', async () => {
    const h = await harness();
    const link = new RecordingLink(4);
    new Channel(link, {
      gate: h.core.gate, broker: h.core.broker, wills: h.core.wills, authorizer: new PolicyAuthorizer({
        source: { generation: 0, policiesOf: () => [], thing: () => undefined }, region: 'us-east-1', accountId: '123456789012',
        certificateActive: () => true, accessKeyExists: () => false, accessKeyIsAdmin: () => false,
      }),
      principal: { kind: 'certificate', certificateId: 'b'.repeat(64), sourceIp: '' }, limits: AWS_PROFILE.limits, clock: h.clock,
    });
    h.clock.advance(AWS_PROFILE.limits.connectTimeoutMs - 1);
    assert.equal(link.ended, false);
    h.clock.advance(1);
    assert.equal(link.ended, true);
  });

  it('channel - [MQTT-3.1.2-22] AWS: closed after 1.5 times the keep-alive without a packet; any packet resets it', async () => {
    const h = await harness();
    const { channel, link } = h.connect('ka', 5);
    connack(link.take()[0]);
    h.clock.advance(89_000);
    channel.handle({ cmd: 'pingreq' });
    assert.equal(link.take()[0]?.cmd, 'pingresp');
    h.clock.advance(89_999);
    assert.equal(link.ended, false, 'the PINGREQ restarted the 90 s');
    h.clock.advance(1);
    const disconnect = link.take()[0] as mqttPacket.IDisconnectPacket;
    assert.equal(disconnect.cmd, 'disconnect');
    assert.equal(disconnect.reasonCode, 0x8d, 'Keep Alive timeout');
    assert.equal(link.ended, true);
  });

  it('channel - [MQTT-3.1.4-2] a second connection with the client id takes the session over: the first gets DISCONNECT 0x8E', async () => {
    const h = await harness();
    const first = h.connect('dup', 5, { clean: false, properties: { sessionExpiryInterval: 60 } });
    connack(first.link.take()[0]);
    const second = h.connect('dup', 5, { clean: false, properties: { sessionExpiryInterval: 60 } });
    const [disconnect] = first.link.take();
    assert.equal((disconnect as mqttPacket.IDisconnectPacket).reasonCode, 0x8e);
    assert.equal(first.link.ended, true);
    assert.equal(connack(second.link.take()[0]).sessionPresent, true);
  });

  it('channel - [MQTT-3.1.4-2] a takeover that ends a non-persistent session starts a new one: never two sessions for one client id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'topicd-channel-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const store = SqliteStore.open(join(dir, 'topicd.db'));
    after(() => store.close());
    const storeErrors: unknown[] = [];
    const h = await harness(AWS_PROFILE, store, storeErrors);
    const first = h.connect('swap', 5, { clean: true });
    first.link.take();
    first.channel.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'swap/a', qos: 1 }] });
    // [MQTT-3.1.2-5]-style: the first session ended with its connection (expiry 0), so nothing is resumed.
    const second = h.connect('swap', 5, { clean: false, properties: { sessionExpiryInterval: 60 } });
    assert.equal(first.link.ended, true);
    assert.equal(connack(second.link.take()[0]).sessionPresent, false);
    second.channel.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'swap/b', qos: 1 }] });
    second.link.take();
    // The next connection with the id takes over the second one: it is the session of record.
    const third = h.connect('swap', 5, { clean: false, properties: { sessionExpiryInterval: 60 } });
    assert.equal(second.link.ended, true, 'the second connection was taken over');
    assert.equal(connack(third.link.take()[0]).sessionPresent, true);
    third.channel.handle({ cmd: 'disconnect', properties: { sessionExpiryInterval: 0 } } as Packet);
    // A publish to the ended session's filter reaches no stale session (its rows are gone from the store).
    const publisher = h.connect('swap-pub', 5);
    publisher.link.take();
    publisher.channel.handle({ cmd: 'publish', topic: 'swap/b', payload: Buffer.from('x'), qos: 1, messageId: 7, retain: false, dup: false });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(storeErrors, []);
    assert.equal(connack(h.connect('swap', 5, { clean: false, properties: { sessionExpiryInterval: 60 } }).link.take()[0]).sessionPresent, false);
  });

  it('channel - [MQTT-3.1.3-9] a delayed will goes out after its delay, and a reconnect in time cancels it', async () => {
    const h = await harness();
    const watcher = h.connect('watcher', 4);
    watcher.link.take();
    watcher.channel.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'wills/#', qos: 0 }] });
    watcher.link.take();
    const will = { topic: 'wills/a', payload: Buffer.from('gone'), qos: 0, retain: false, properties: { willDelayInterval: 30 } };
    const dying = h.connect('dying', 5, { will, properties: { sessionExpiryInterval: 300 } });
    dying.channel.linkClosed();
    h.clock.advance(29_999);
    assert.deepEqual(watcher.link.take(), [], 'not before the delay');
    h.clock.advance(1);
    const [sent] = watcher.link.take() as mqttPacket.IPublishPacket[];
    assert.equal(sent?.topic, 'wills/a');
    assert.equal(String(sent?.payload), 'gone');

    const again = h.connect('dying2', 5, { will: { ...will, topic: 'wills/b' }, properties: { sessionExpiryInterval: 300 } });
    again.channel.linkClosed();
    h.clock.advance(10_000);
    h.connect('dying2', 5, { clean: false, properties: { sessionExpiryInterval: 300 } });
    h.clock.advance(60_000);
    assert.deepEqual(watcher.link.take(), [], 'the reconnect cancelled the will');
  });

  it('channel - a subscriber that never acknowledges holds no publisher back: every PUBACK is written at once', async () => {
    const h = await harness();
    const sub = h.connect('stalled', 5, { properties: { receiveMaximum: 1 } });
    sub.channel.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'dev/#', qos: 1 }] });
    sub.link.take();
    const pub = h.connect('backend', 4);
    pub.link.take();
    for (let id = 1; id <= 2_000; id++) {
      pub.channel.handle({ cmd: 'publish', topic: 'dev/x', payload: Buffer.from([id & 0xff]), qos: 1, messageId: id, retain: false, dup: false });
    }
    const acks = pub.link.take();
    assert.equal(acks.length, 2_000);
    assert.ok(acks.every((p, i) => p.cmd === 'puback' && p.messageId === i + 1), 'in PUBLISH order');
    assert.equal(sub.link.take().length, 1, 'the subscriber got what its window allows');
    const session = h.core.broker.session('stalled')!;
    assert.equal(session.owed, 1 + AWS_PROFILE.broker.maxQueuedPerSession, 'its window and queue are full');
    assert.equal(session.dropped, 2_000 - session.owed, 'the rest was dropped and counted, on its session alone');
  });

  it('channel - MQTT 5 [MQTT-3.14.2-2.2]: DISCONNECT sets a new Session Expiry Interval; after 0 at CONNECT it is a Protocol Error', async () => {
    const h = await harness();
    const zero = h.connect('zero', 5, { clean: true });
    zero.link.take();
    zero.channel.handle({ cmd: 'disconnect', properties: { sessionExpiryInterval: 30 } } as Packet);
    assert.equal((zero.link.take()[0] as mqttPacket.IDisconnectPacket).reasonCode, 0x82);

    const kept = h.connect('kept', 5, { properties: { sessionExpiryInterval: 30 } });
    kept.link.take();
    kept.channel.handle({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'k/t', qos: 1 }] });
    kept.channel.handle({ cmd: 'disconnect', properties: { sessionExpiryInterval: 600 } } as Packet);
    h.clock.advance(300_000);
    assert.equal(connack(h.connect('kept', 5, { clean: false, properties: { sessionExpiryInterval: 30 } }).link.take()[0]).sessionPresent, true,
      'the session outlived its CONNECT expiry (30 s) under the DISCONNECT one (600 s)');

    const ended = h.connect('ended', 5, { properties: { sessionExpiryInterval: 600 } });
    ended.link.take();
    ended.channel.handle({ cmd: 'disconnect', properties: { sessionExpiryInterval: 0 } } as Packet);
    assert.equal(connack(h.connect('ended', 5, { clean: false, properties: { sessionExpiryInterval: 600 } }).link.take()[0]).sessionPresent, false,
      'expiry 0 at DISCONNECT ended the session with the connection');
  });

  it('channel - an anonymous client never resumes or takes over a session a certificate made', async () => {
    const h = await harness(resolveProfile('aws'));
    const device = h.connect('devA', 4, { clean: false });
    device.link.take();
    const anonymous: Principal = { kind: 'anonymous', sourceIp: '127.0.0.1' };
    // The plain listener's own authorizer allows the connect (mqtt-plain-allow all); the session's owner refuses it.
    const plain = new PlainListenerAuthorizer({ publish: true, subscribe: true });
    for (const clean of [false, true]) {
      const intruder = h.connect('devA', 4, { clean }, anonymous, plain);
      assert.equal(connack(intruder.link.take()[0]).returnCode, 5, 'CONNACK 5: not authorized');
      assert.equal(intruder.link.ended, true);
    }
    assert.equal(device.link.ended, false, 'the device keeps its connection');
    assert.equal(connack(h.connect('anon-own', 4, {}, anonymous, plain).link.take()[0]).returnCode, 0, 'an anonymous client keeps its own client ids');
  });
});
