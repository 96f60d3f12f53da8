/**
 * @module test/unit/bus-contract
 * The one contract every Bus backend passes (LocalBus on a shared hub, NatsBus on a real
 * nats-server): interest-based routing, once per node, in the publisher's order, shared
 * subscriptions to one node, events to the others, claims answered by the holder only.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Bus } from '../../src/bus/bus.js';
import { createMessage, type Message } from '../../src/protocol/codec.js';

/** Makes the buses of a cluster of `n` nodes, connected; `done` ends them and what they stand on. */
export interface BusCluster {
  buses: Bus[];
  done(): Promise<void>;
}

const settle = (ms = 150): Promise<void> => new Promise((r) => setTimeout(r, ms));

function inbox(bus: Bus): Array<{ message: Message; share: string | undefined }> {
  const got: Array<{ message: Message; share: string | undefined }> = [];
  bus.onMessage((message, share) => got.push({ message, share }));
  return got;
}

export function busContract(name: string, make: (n: number) => Promise<BusCluster>): void {
  describe(`bus contract: ${name}`, () => {
    const clusters: BusCluster[] = [];
    const cluster = async (n: number): Promise<Bus[]> => {
      const c = await make(n);
      clusters.push(c);
      return c.buses;
    };
    after(async () => {
      for (const c of clusters) await c.done();
    });

    it('bus - a message reaches only the nodes with a matching interest, once each, in order, with everything it carries', async () => {
      const [a, b, c] = await cluster(3);
      const gotB = inbox(b!);
      const gotC = inbox(c!);
      inbox(a!);
      b!.interest('room/+/temp', true);
      b!.interest('room/#', true);
      c!.interest('other/#', true);
      await settle();
      for (let i = 0; i < 50; i++) a!.forward(createMessage('room/1/temp', Buffer.from(String(i)), 1, false));
      a!.forward(createMessage('room/é x/temp', Buffer.from('odd'), 0, true, { contentType: 'text/plain', messageExpiryInterval: 60 }, 123456));
      await settle(300);
      assert.deepEqual(gotB.slice(0, 50).map((g) => g.message.payload.toString()), Array.from({ length: 50 }, (_, i) => String(i)));
      assert.equal(gotB.length, 51, 'once per node, although two of its filters match');
      const odd = gotB[50]!.message;
      assert.equal(odd.topic, 'room/é x/temp');
      assert.equal(odd.qos, 0);
      assert.equal(odd.retain, true);
      assert.equal(odd.expiresAt, 123456);
      assert.equal(odd.properties?.contentType, 'text/plain');
      assert.equal(gotB[0]!.message.qos, 1);
      assert.equal(gotC.length, 1, 'no interest: only the retained message, which every node keeps');
      assert.equal(gotC[0]!.message.topic, 'room/é x/temp');
    });

    it('bus - the sender does not get its own message back; a withdrawn interest receives nothing', async () => {
      const [a, b] = await cluster(2);
      const gotA = inbox(a!);
      const gotB = inbox(b!);
      a!.interest('t', true);
      b!.interest('t', true);
      b!.interest('t', true);
      await settle();
      a!.forward(createMessage('t', Buffer.from('1'), 0, false));
      await settle();
      b!.interest('t', false);
      await settle();
      a!.forward(createMessage('t', Buffer.from('2'), 0, false));
      await settle();
      b!.interest('t', false);
      await settle();
      a!.forward(createMessage('t', Buffer.from('3'), 0, false));
      await settle();
      assert.equal(gotA.length, 0);
      assert.deepEqual(gotB.map((g) => g.message.payload.toString()), ['1', '2']);
    });

    it('bus - a shared subscription gets each message on one of its nodes, the sender\'s included', async () => {
      const [a, b, c] = await cluster(3);
      const got = [inbox(a!), inbox(b!), inbox(c!)];
      for (const bus of [a!, b!]) bus.interest('jobs/+', true, '$share/g/jobs/+');
      await settle();
      for (let i = 0; i < 40; i++) c!.forward(createMessage(`jobs/${i}`, Buffer.from(String(i)), 1, false));
      await settle(300);
      const all = [...got[0]!, ...got[1]!].map((g) => Number(g.message.payload.toString())).sort((x, y) => x - y);
      assert.deepEqual(all, Array.from({ length: 40 }, (_, i) => i), 'each message exactly once across the group');
      assert.ok(got[0]!.every((g) => g.share === '$share/g/jobs/+'));
      assert.equal(got[2]!.length, 0);
      a!.forward(createMessage('jobs/x', Buffer.from('x'), 1, false));
      await settle();
      assert.equal(got[0]!.length + got[1]!.length, 41);
    });

    it('bus - an event reaches every other node with its body', async () => {
      const [a, b, c] = await cluster(3);
      const events: string[] = [];
      for (const bus of [a!, b!, c!]) bus.onEvent((e) => events.push(`${bus.nodeId}<-${e.from}:${e.kind}:${String(e.body['n'])}`));
      a!.announce('registry', { n: 7 });
      await settle();
      assert.deepEqual(events.sort(), [`${b!.nodeId}<-${a!.nodeId}:registry:7`, `${c!.nodeId}<-${a!.nodeId}:registry:7`]);
    });

    it('bus - a claim is answered by the holder once it let go; false when nobody holds the client id', async () => {
      const [a, b] = await cluster(2);
      const released: string[] = [];
      b!.onClaim(async (clientId) => {
        await settle(50);
        released.push(clientId);
      });
      b!.hold('dev/1', true);
      await settle();
      assert.equal(await a!.claim('dev/1'), true);
      assert.deepEqual(released, ['dev/1']);
      const started = Date.now();
      assert.equal(await a!.claim('nobody'), false);
      assert.ok(Date.now() - started < 1000, 'no holder: answered at once');
      b!.hold('dev/1', false);
      await settle();
      assert.equal(await a!.claim('dev/1'), false);
    });
  });
}
