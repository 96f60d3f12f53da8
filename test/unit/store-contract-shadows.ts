/**
 * @module test/unit/store-contract-shadows
 * The `shadows` noun's part of the Store contract (store-contract.ts calls it for every backend):
 * rows by (thing, shadow) with the classic shadow under '', compare-and-set on (version, deleted),
 * tombstones, and the paged listing of named shadows.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isTopicdError } from '../../src/errors.js';
import { CLASSIC_SHADOW, type ShadowRow, type Store } from '../../src/store/store.js';

const row = (thingName: string, shadowName: string, version: number, over: Partial<ShadowRow> = {}): ShadowRow => ({
  thingName,
  shadowName,
  document: JSON.stringify({ state: { reported: { v: version } }, metadata: { reported: { v: { timestamp: 1 } } } }),
  version,
  updatedAt: 1_700_000_000_000 + version,
  deletedAt: null,
  ...over,
});

export function shadowContract(store: () => Store): void {
  describe('shadows', () => {
    test('shadows - put with no row expected inserts; get returns it; the classic shadow is the name \'\'', async () => {
      const classic = row('lamp', CLASSIC_SHADOW, 1);
      assert.equal(await store().shadows.put(classic, null), true);
      assert.deepEqual(await store().shadows.get('lamp', CLASSIC_SHADOW), classic);
      assert.equal(await store().shadows.get('lamp', 'config'), undefined);
      assert.equal(await store().shadows.get('Lamp', CLASSIC_SHADOW), undefined, 'names are case-sensitive');
    });
    test('shadows - insert over an existing row resolves false and changes nothing', async () => {
      await store().shadows.put(row('t', 's', 1), null);
      assert.equal(await store().shadows.put(row('t', 's', 1, { document: '{}' }), null), false);
      assert.equal((await store().shadows.get('t', 's'))?.document, row('t', 's', 1).document);
    });
    test('shadows - compare-and-set: the write lands only on the expected version, so two writers cannot both win', async () => {
      await store().shadows.put(row('t', 's', 1), null);
      assert.equal(await store().shadows.put(row('t', 's', 2), { version: 1, deleted: false }), true);
      assert.equal(await store().shadows.put(row('t', 's', 2, { document: '{"lost":true}' }), { version: 1, deleted: false }), false);
      assert.deepEqual(await store().shadows.get('t', 's'), row('t', 's', 2));
      assert.equal(await store().shadows.put(row('nope', 's', 2), { version: 1, deleted: false }), false, 'no row to replace');
    });
    test('shadows - a delete is a tombstone that keeps the version; the expectation tells a tombstone from a live row', async () => {
      await store().shadows.put(row('t', '', 7), null);
      const tomb = row('t', '', 7, { document: null, deletedAt: 1_700_000_100_000, updatedAt: 1_700_000_100_000 });
      assert.equal(await store().shadows.put(tomb, { version: 7, deleted: false }), true);
      assert.deepEqual(await store().shadows.get('t', ''), tomb);
      // A writer that still believes the shadow is live at version 7 must lose to the delete.
      assert.equal(await store().shadows.put(row('t', '', 8), { version: 7, deleted: false }), false);
      assert.equal(await store().shadows.put(row('t', '', 8), { version: 7, deleted: true }), true);
      assert.deepEqual(await store().shadows.get('t', ''), row('t', '', 8));
    });
    test('shadows - documents are kept exactly (unicode, large)', async () => {
      const document = JSON.stringify({ state: { desired: { name: 'ünï "cødé" \\ 😀', big: 'x'.repeat(8000) } } });
      await store().shadows.put(row('t', 's', 1, { document }), null);
      assert.equal((await store().shadows.get('t', 's'))?.document, document);
    });
    test('shadows - listNamed: the thing\'s named shadows in name order, paged; classic, tombstones and other things left out', async () => {
      const names = ['b', 'a', '$x', 'c:1', 'c_2', 'c-3', 'd', 'gone'];
      for (const name of names) await store().shadows.put(row('thing', name, 1), null);
      await store().shadows.put(row('thing', CLASSIC_SHADOW, 1), null);
      await store().shadows.put(row('thing2', 'z', 1), null);
      await store().shadows.put(row('thing', 'gone', 1, { document: null, deletedAt: 5 }), { version: 1, deleted: false });
      const seen: string[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await store().shadows.listNamed('thing', { after, limit: 3 });
        seen.push(...page.items);
        if (page.next === null) break;
        assert.equal(page.items.length, 3, 'a page followed by another is full');
        after = page.next;
      }
      assert.deepEqual(seen, ['$x', 'a', 'b', 'c-3', 'c:1', 'c_2', 'd']);
      assert.deepEqual(await store().shadows.listNamed('nobody', { limit: 5 }), { items: [], next: null });
    });
    test('shadows - listNamed refuses a token it did not make with InvalidRequestException', async () => {
      await assert.rejects(store().shadows.listNamed('thing', { after: 'not-a-token', limit: 5 }),
        (err: unknown) => isTopicdError(err) && err.code === 'InvalidRequestException');
    });
  });
}
