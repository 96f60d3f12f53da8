/**
 * @module store/postgres/thing-principal-store
 * The `thingPrincipals` noun of PostgresStore: which principals (certificate ARNs) are attached to which things.
 */
import type { ThingPrincipalStore } from '../store.js';
import { listPage, listing } from './keyset.js';
import type { Reader } from './reader.js';
import { sql } from './sql.js';
import type { WriteBatch } from './write-batch.js';

export function thingPrincipalStore(read: Reader, batch: WriteBatch): ThingPrincipalStore {
  const principalsOf = listing<{ principal: string }>(
    'SELECT principal FROM thing_principals', 'thing_name = $2', ['principal'], ['string'], 1, (r) => [r.principal]);
  const thingsOf = listing<{ thing_name: string }>(
    'SELECT thing_name FROM thing_principals', 'principal = $2', ['thing_name'], ['string'], 1, (r) => [r.thing_name]);
  return {
    attach: async (thingName, principal) => batch.write(
      sql`INSERT INTO thing_principals (thing_name, principal) VALUES (${thingName}, ${principal}) ON CONFLICT DO NOTHING`, () => undefined),
    detach: async (thingName, principal) => batch.write(
      sql`DELETE FROM thing_principals WHERE thing_name = ${thingName} AND principal = ${principal}`, (r) => r.rowCount !== 0),
    principalsOf: (thingName, page) => listPage(read, principalsOf, page, [thingName], (r) => r.principal),
    thingsOf: (principal, page) => listPage(read, thingsOf, page, [principal], (r) => r.thing_name),
    detachAllOfThing: async (thingName) => batch.write(sql`DELETE FROM thing_principals WHERE thing_name = ${thingName}`, () => undefined),
    countThingsOf: async (principal) =>
      (await read.first<{ n: number }>('SELECT count(*) AS n FROM thing_principals WHERE principal = $1', [principal]))?.n ?? 0,
  };
}
