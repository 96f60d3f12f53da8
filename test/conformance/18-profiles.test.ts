/**
 * 18-profiles: where `--profile aws` (AWS IoT Core) and `--profile mqtt` (the OASIS standards)
 * differ, the same bytes against both; and the rate quotas, off by default, when set.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { conformanceBroker, connectPacket, publishPacket, subscribePacket, type RawClient } from '../helpers/raw-mqtt.js';

interface Expectations {
  maximumQoS: number | undefined;
  subscriptionIdentifiersAvailable: boolean | undefined;
  topicAliasMaximum: number;
  grantedForQos2: number;
  retainedToWildcard: boolean;
  hashMatchesParent: boolean;
  longClientId: boolean;
  reasonString: string | undefined;
}

const PROFILES: Array<[string, Record<string, unknown>, Expectations]> = [
  ['aws', {}, {
    maximumQoS: 1, subscriptionIdentifiersAvailable: false, topicAliasMaximum: 8, grantedForQos2: 1,
    retainedToWildcard: false, hashMatchesParent: false, longClientId: false, reasonString: undefined,
  }],
  ['mqtt', { profile: 'mqtt' }, {
    maximumQoS: undefined, subscriptionIdentifiersAvailable: undefined, topicAliasMaximum: 65535, grantedForQos2: 2,
    retainedToWildcard: true, hashMatchesParent: true, longClientId: true, reasonString: 'topic must not contain the wildcards + or #',
  }],
];

for (const [name, flags, want] of PROFILES) {
  describe(`18-profiles - ${name}`, () => {
    const { open } = conformanceBroker(`profile-${name}`, flags);

    async function connected(version: 4 | 5, id: string, properties?: Record<string, unknown>): Promise<RawClient> {
      const c = await open();
      c.send(connectPacket(version, id, properties ? { properties } : {}));
      assert.equal((await c.packet(version)).cmd, 'connack');
      return c;
    }

    it(`18-profiles - ${name}: CONNACK advertises the profile's capabilities`, async () => {
      const c = await open();
      c.send(connectPacket(5, `caps-${name}`));
      const connack = await c.packet(5);
      assert.ok(connack.cmd === 'connack');
      assert.equal(connack.properties?.maximumQoS, want.maximumQoS, 'Maximum QoS (absent: 2)');
      assert.equal(connack.properties?.subscriptionIdentifiersAvailable, want.subscriptionIdentifiersAvailable);
      assert.equal(connack.properties?.topicAliasMaximum, want.topicAliasMaximum);
      assert.equal(connack.properties?.retainAvailable, true);
      assert.equal(connack.properties?.sharedSubscriptionAvailable, true);
      c.close();
    });

    for (const version of [4, 5] as const) {
      it(`18-profiles - ${name}: v${version} SUBSCRIBE at QoS 2 is granted QoS ${want.grantedForQos2}`, async () => {
        const c = await connected(version, `grant-${name}-${version}`);
        c.send(subscribePacket(version, 'g/t', 2));
        const suback = await c.packet(version);
        assert.ok(suback.cmd === 'suback');
        assert.deepEqual(suback.granted, [want.grantedForQos2]);
        c.close();
      });
    }

    it(`18-profiles - ${name}: retained messages ${want.retainedToWildcard ? 'go' : 'do not go'} to wildcard subscriptions`, async () => {
      const pub = await connected(4, `ret-pub-${name}`);
      pub.send(publishPacket(4, 'rw/a', 'kept', 1, { retain: true }));
      await pub.expect('40 02 0001', 'PUBACK');
      const c = await connected(4, `ret-sub-${name}`);
      c.send(subscribePacket(4, 'rw/+', 0));
      assert.equal((await c.packet(4)).cmd, 'suback');
      if (want.retainedToWildcard) {
        const p = await c.packet(4);
        assert.ok(p.cmd === 'publish' && p.topic === 'rw/a' && p.retain === true);
      } else {
        assert.equal((await c.read(1, 300)).length, 0, 'AWS: exact filters only');
      }
      // An exact filter gets it in both profiles.
      c.send(subscribePacket(4, 'rw/a', 0, {}, 2));
      assert.equal((await c.packet(4)).cmd, 'suback');
      const exact = await c.packet(4);
      assert.ok(exact.cmd === 'publish' && exact.retain === true);
      pub.close();
      c.close();
    });

    it(`18-profiles - ${name}: a/# ${want.hashMatchesParent ? 'matches' : 'does not match'} a (AWS: sensor/# does not match sensor)`, async () => {
      const only = await connected(4, `hash-only-${name}`);
      only.send(subscribePacket(4, 'hp/#', 0));
      assert.equal((await only.packet(4)).cmd, 'suback');
      const pub2 = await connected(4, `hash-pub2-${name}`);
      pub2.send(publishPacket(4, 'hp', 'parent', 0));
      pub2.send(publishPacket(4, 'hp/y', 'child', 0));
      const got = await only.packet(4);
      assert.ok(got.cmd === 'publish');
      assert.equal(got.topic, want.hashMatchesParent ? 'hp' : 'hp/y');
      pub2.close();
      only.close();
    });

    it(`18-profiles - ${name}: a 129-byte client id is ${want.longClientId ? 'accepted' : 'refused (AWS: 128 bytes)'}`, async () => {
      const c = await open();
      c.send(connectPacket(4, 'c'.repeat(129)));
      if (want.longClientId) {
        await c.expect('20 02 00 00', 'CONNACK accepted');
        c.close();
      } else {
        await c.expectClose('20 02 00 02');
      }
    });

    it(`18-profiles - ${name}: a v5 DISCONNECT ${want.reasonString === undefined ? 'carries no' : 'carries a'} Reason String unless Request Problem Information is 0`, async () => {
      const c = await connected(5, `why-${name}`);
      c.send('30 06 0003 742f23 00');
      const d = await c.packet(5);
      assert.ok(d.cmd === 'disconnect' && d.reasonCode === 0x90);
      assert.equal(d.properties?.reasonString, want.reasonString);
      const quiet = await connected(5, `quiet-${name}`, { requestProblemInformation: false });
      quiet.send('30 06 0003 742f23 00');
      await quiet.expectClose('e0 02 90 00');
    });
  });
}

describe('18-profiles - rate quotas (aws profile, set)', () => {
  const { open } = conformanceBroker('profile-rates', { publishRate: 2, subscribeRate: 1, connectRate: 1 });

  it('18-profiles - AWS: publishes over the per-connection rate are dropped, a v5 client told 0x97', async () => {
    const sub = await open();
    sub.send(connectPacket(5, 'rate-sub'));
    await sub.packet(5);
    sub.send(subscribePacket(5, 'rate/t', 0));
    await sub.packet(5);
    const pub = await open();
    pub.send(connectPacket(5, 'rate-pub'));
    await pub.packet(5);
    // Ten at once fall in at most two one-second windows: at most four pass.
    for (let i = 1; i <= 10; i++) pub.send(publishPacket(5, 'rate/t', `m${i}`, 1, { messageId: i }));
    let refused = 0;
    for (let i = 1; i <= 10; i++) {
      const ack = await pub.packet(5);
      assert.ok(ack.cmd === 'puback');
      if (ack.reasonCode === 0x97) refused++;
      else assert.equal(ack.reasonCode ?? 0, 0);
    }
    assert.ok(refused >= 6, `${refused} of 10 refused`);
    let delivered = 0;
    while ((await sub.read(1, 300)).length > 0) delivered++;
    assert.ok(delivered > 0, 'some messages were delivered');
    pub.close();
    sub.close();
  });

  it('18-profiles - AWS: SUBSCRIBE over the per-connection rate gets 0x97 per filter', async () => {
    const c = await open();
    c.send(connectPacket(5, 'rate-subscribe'));
    await c.packet(5);
    const codes: number[] = [];
    for (let i = 1; i <= 4; i++) c.send(subscribePacket(5, `rs/${i}`, 0, {}, i));
    for (let i = 1; i <= 4; i++) {
      const suback = await c.packet(5);
      assert.ok(suback.cmd === 'suback');
      codes.push(suback.granted[0] as number);
    }
    assert.ok(codes.filter((g) => g === 0x97).length >= 2, `codes ${codes.join(',')}`);
    c.close();
  });

  it('18-profiles - AWS: a CONNECT over the per-client-id rate is refused (v5 CONNACK 0x97, v3.1.1 3)', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await open();
      c.send(connectPacket(5, 'rate-connect'));
      const connack = await c.packet(5);
      assert.ok(connack.cmd === 'connack');
      codes.push(connack.reasonCode ?? 0);
      c.close();
    }
    assert.ok(codes.includes(0x97), `codes ${codes.join(',')}`);
    const v4 = await open();
    v4.send(connectPacket(4, 'rate-connect-4'));
    await v4.expect('20 02 00 00');
    v4.close();
    const again = await open();
    again.send(connectPacket(4, 'rate-connect-4'));
    const connack = await again.packet(4);
    assert.ok(connack.cmd === 'connack');
    // The second may fall in the next second; then it is accepted.
    assert.ok(connack.returnCode === 3 || connack.returnCode === 0);
    again.close();
  });
});

/** MQTT 5 Session Expiry changed by DISCONNECT [MQTT-3.14.2-2.2], as Paho's client_test5.py test_session_expiry checks it, in both profiles. */
for (const [name, flags] of [['aws', {}], ['mqtt', { profile: 'mqtt' }]] as const) {
  describe(`18-profiles - ${name}: session expiry on DISCONNECT`, () => {
    const { open } = conformanceBroker(`expiry-${name}`, flags);
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

    async function connect(id: string, clean: boolean, expiry: number): Promise<{ c: RawClient; present: boolean }> {
      const c = await open();
      c.send(connectPacket(5, id, { clean, properties: { sessionExpiryInterval: expiry } }));
      const connack = await c.packet(5);
      assert.ok(connack.cmd === 'connack' && connack.reasonCode === 0);
      return { c, present: connack.sessionPresent };
    }

    it(`18-profiles - ${name}: [MQTT-3.14.2-2.2] a Session Expiry Interval in DISCONNECT replaces CONNECT's; 0 there ends the session`, async () => {
      const id = `sx-${name}`;
      const first = await connect(id, true, 1);
      first.c.send(subscribePacket(5, 'sx/t', 1));
      await first.c.packet(5);
      // DISCONNECT, reason 0, properties: Session Expiry Interval (0x11) = 5
      first.c.send('e0 07 00 05 11 00000005');
      await first.c.expectClose();
      await sleep(1_500);
      const second = await connect(id, false, 1);
      assert.equal(second.present, true, 'kept past CONNECT\'s 1 s by DISCONNECT\'s 5 s');
      // DISCONNECT with Session Expiry Interval 0: the session ends with the connection
      second.c.send('e0 07 00 05 11 00000000');
      await second.c.expectClose();
      const third = await connect(id, false, 1);
      assert.equal(third.present, false);
      third.c.close();
    });

    it(`18-profiles - ${name}: [MQTT-3.14.2-2.2] after 0 at CONNECT, a non-zero expiry in DISCONNECT is a Protocol Error (0x82)`, async () => {
      const { c } = await connect(`sx0-${name}`, true, 0);
      c.send('e0 07 00 05 11 0000000a');
      const disconnect = await c.packet(5);
      assert.ok(disconnect.cmd === 'disconnect' && disconnect.reasonCode === 0x82, 'DISCONNECT 0x82 Protocol Error');
      await c.expectClose();
    });
  });
}

describe('18-profiles - $ topics', () => {
  const aws = conformanceBroker('dollar-aws');
  const std = conformanceBroker('dollar-mqtt', { profile: 'mqtt' });

  it('18-profiles - mqtt: a QoS 1 PUBLISH to a $ topic is acknowledged; +/+ and # do not match it [MQTT-4.7.2-1], $x/+ does', async () => {
    for (const version of [4, 5] as const) {
      const sub = await std.open();
      sub.send(connectPacket(version, `dollar-sub-${version}`));
      await sub.packet(version);
      sub.send(mqttSubscribe(version, ['+/+', '#', '$TopicA/+']));
      await sub.packet(version);
      const pub = await std.open();
      pub.send(connectPacket(version, `dollar-pub-${version}`));
      await pub.packet(version);
      pub.send(publishPacket(version, '$TopicA/B', '', 1, { messageId: 7 }));
      const ack = await pub.packet(version);
      assert.ok(ack.cmd === 'puback' && ack.messageId === 7 && (ack.reasonCode ?? 0) === 0, `v${version}: PUBACK 0 (Paho test_dollar_topics)`);
      const got = await sub.packet(version);
      assert.ok(got.cmd === 'publish' && got.topic === '$TopicA/B');
      assert.equal((await sub.read(1, 300)).length, 0, 'one copy: only $TopicA/+ matched');
      sub.close();
      pub.close();
    }
  });

  it('18-profiles - aws: a PUBLISH to a $ topic no service serves is never left unanswered: the connection ends (v5: DISCONNECT 0x90)', async () => {
    for (const version of [4, 5] as const) {
      const pub = await aws.open();
      pub.send(connectPacket(version, `dollar-aws-${version}`));
      await pub.packet(version);
      pub.send(publishPacket(version, '$TopicA/B', '', 1, { messageId: 7 }));
      await pub.expectClose(version === 5 ? 'e0029000' : undefined);
    }
  });

  it('18-profiles - mqtt: --keep-alive-max lowers a v5 client\'s keep-alive with CONNACK Server Keep Alive', async () => {
    // The shared broker has no keep-alive-max: a client's 600 s stands and no Server Keep Alive is sent.
    const c = await std.open();
    c.send(connectPacket(5, 'ka-std', { keepalive: 600 }));
    const connack = await c.packet(5);
    assert.ok(connack.cmd === 'connack');
    assert.equal(connack.properties?.serverKeepAlive, undefined);
    c.close();
  });
});

describe('18-profiles - mqtt with --keep-alive-max 60', () => {
  const { open } = conformanceBroker('ka-max', { profile: 'mqtt', keepAliveMax: 60 });

  it('18-profiles - mqtt: --keep-alive-max 60 sets Server Keep Alive 60 for a v5 client asking 600 or 0 [MQTT-3.2.2-21]', async () => {
    for (const keepalive of [600, 0]) {
      const c = await open();
      c.send(connectPacket(5, `ka-max-${keepalive}`, { keepalive }));
      const connack = await c.packet(5);
      assert.ok(connack.cmd === 'connack');
      assert.equal(connack.properties?.serverKeepAlive, 60);
      c.close();
    }
  });
});

function mqttSubscribe(version: 4 | 5, filters: string[]): Buffer {
  return mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: filters.map((topic) => ({ topic, qos: 1 as const })) }, { protocolVersion: version });
}
