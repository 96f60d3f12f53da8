/**
 * @module test/unit/authorizer-contract
 * The contract every Authorizer (src/auth/authorizer.ts) keeps, as one suite each implementation's
 * test file runs (the Store contract's way): a principal it does not serve gets nothing; a served
 * principal the configuration allows gets what it allows, the same answer every time it asks; a
 * denied one gets nothing it was denied; no question, however odd its topic, throws.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Authorizer, Grants, Principal } from '../../src/auth/authorizer.js';

export interface AuthorizerFixture {
  /** An authorizer and a principal it lets publish, subscribe and receive everything. */
  allowing(): Promise<{ authorizer: Authorizer; principal: Principal }>;
  /** An authorizer and a principal it lets neither publish nor subscribe. */
  refusing(): Promise<{ authorizer: Authorizer; principal: Principal }>;
  /** A principal the implementation does not serve at all. */
  stranger: Principal;
}

/** Topics a client may send that a policy must answer without throwing (AWS: wildcards are literal in policies). */
const ODD_TOPICS = ['', '/', 'a//b', '+', '#', 'a/+/#', '$aws/things/x/shadow/update', '$share/g/a', 'ü/€/😀', 'x'.repeat(70_000), '${iot:ClientId}', '*', '?'];

function asksEverything(grants: Grants): boolean[] {
  return [grants.publish('t/a', false), grants.publish('t/a', true), grants.subscribe('t/#'), grants.receive('t/a')];
}

export function authorizerContract(name: string, fixture: AuthorizerFixture): void {
  describe(`${name} - Authorizer contract`, () => {
    it(`${name} - a principal it does not serve is not authenticated and may do nothing`, async () => {
      const { authorizer } = await fixture.allowing();
      assert.equal(authorizer.authenticate(fixture.stranger), false);
      const grants = authorizer.grants(fixture.stranger, 'client-1');
      assert.equal(grants.connect(), false);
      assert.deepEqual(asksEverything(grants), [false, false, false, false]);
    });

    it(`${name} - an allowed principal is authenticated, may connect, publish, retain, subscribe and receive`, async () => {
      const { authorizer, principal } = await fixture.allowing();
      assert.equal(authorizer.authenticate(principal), true);
      const grants = authorizer.grants(principal, 'client-1');
      assert.equal(grants.connect(), true);
      assert.deepEqual(asksEverything(grants), [true, true, true, true]);
    });

    it(`${name} - answers are stable: asked again, the same`, async () => {
      const { authorizer, principal } = await fixture.allowing();
      const grants = authorizer.grants(principal, 'client-1');
      const first = asksEverything(grants);
      for (let i = 0; i < 3; i++) assert.deepEqual(asksEverything(grants), first);
      assert.deepEqual(asksEverything(authorizer.grants(principal, 'client-1')), first, 'a new connection gets the same answers');
    });

    it(`${name} - a refused principal may neither publish nor subscribe`, async () => {
      const { authorizer, principal } = await fixture.refusing();
      const grants = authorizer.grants(principal, 'client-2');
      assert.equal(grants.publish('t/a', false), false);
      assert.equal(grants.publish('t/a', true), false);
      assert.equal(grants.subscribe('t/#'), false);
    });

    it(`${name} - no question throws, whatever the topic or client id`, async () => {
      for (const { authorizer, principal } of [await fixture.allowing(), await fixture.refusing()]) {
        for (const clientId of [undefined, '', 'c', '#', 'x'.repeat(1_000)]) {
          const grants = authorizer.grants(principal, clientId, ['PersistentConnect', 'LastWill']);
          assert.equal(typeof grants.connect(), 'boolean');
          for (const topic of ODD_TOPICS) {
            for (const answer of [grants.publish(topic, false), grants.publish(topic, true), grants.subscribe(topic), grants.receive(topic)]) {
              assert.equal(typeof answer, 'boolean');
            }
          }
        }
      }
    });
  });
}
