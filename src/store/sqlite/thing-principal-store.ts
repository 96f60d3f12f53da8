/**
 * @module store/sqlite/thing-principal-store
 * The `thingPrincipals` noun of SqliteStore: which principals (certificate ARNs) are attached to which things.
 */
import type { Database as Db } from 'better-sqlite3';
import type { PageRequest, ThingPrincipalStore } from '../store.js';
import { checkLimit, decodeToken, pickKeyset, prepareKeyset, toPage } from './keyset.js';

export function thingPrincipalStore(db: Db): ThingPrincipalStore {
  const attach = db.prepare<[string, string]>(
    'INSERT INTO thing_principals (thing_name, principal) VALUES (?, ?) ON CONFLICT DO NOTHING');
  const detach = db.prepare<[string, string]>('DELETE FROM thing_principals WHERE thing_name = ? AND principal = ?');
  const detachAll = db.prepare<[string]>('DELETE FROM thing_principals WHERE thing_name = ?');
  const count = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM thing_principals WHERE principal = ?');
  type Params = { limit: number; owner: string; after: string | null };
  const principalsOf = prepareKeyset<Params, { principal: string }>(
    db, 'SELECT principal FROM thing_principals', 'thing_name = @owner', 'principal', '@after');
  const thingsOf = prepareKeyset<Params, { thing_name: string }>(
    db, 'SELECT thing_name FROM thing_principals', 'principal = @owner', 'thing_name', '@after');
  const afterOf = (page: PageRequest): string | null =>
    page.after === undefined ? null : decodeToken(page.after, ['string'])[0] as string;
  return {
    attach: async (thingName, principal) => { attach.run(thingName, principal); },
    detach: async (thingName, principal) => detach.run(thingName, principal).changes > 0,
    principalsOf: async (thingName, page) => {
      const limit = checkLimit(page.limit);
      const records = pickKeyset(principalsOf, page).all({ limit: limit + 1, owner: thingName, after: afterOf(page) });
      return toPage(records, limit, (r) => r.principal, (r) => [r.principal]);
    },
    thingsOf: async (principal, page) => {
      const limit = checkLimit(page.limit);
      const records = pickKeyset(thingsOf, page).all({ limit: limit + 1, owner: principal, after: afterOf(page) });
      return toPage(records, limit, (r) => r.thing_name, (r) => [r.thing_name]);
    },
    detachAllOfThing: async (thingName) => { detachAll.run(thingName); },
    countThingsOf: async (principal) => count.get(principal)?.n ?? 0,
  };
}
