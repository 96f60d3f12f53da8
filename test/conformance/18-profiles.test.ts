/**
 * 18-profiles: where `--profile aws` (AWS IoT Core) and `--profile mqtt` (the OASIS standards)
 * differ, the same bytes against both; and the rate quotas, off by default, when set.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
