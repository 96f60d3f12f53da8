/**
 * @module store/postgres/thing-store
 * The `things` noun of PostgresStore: one row per thing, listed by name with keyset paging and AWS
 * ListThings' attribute and type filters (attributes are jsonb; a prefix match is starts_with, not
 * LIKE, whose '%' and '_' would be wildcards).
 */
import type { PageRequest, ThingFilter, ThingRow, ThingStore } from '../store.js';
import { listPage, listing } from './keyset.js';
import type { Reader } from './reader.js';
import { sql, type Sql } from './sql.js';
import type { WriteBatch } from './write-batch.js';

interface ThingRecord {
  thing_name: string;
  thing_id: string;
  thing_type_name: string | null;
  attributes: Record<string, string>;
  version: number;
  creation_date: number;
}

const toThing = (r: ThingRecord): ThingRow => ({
  thingName: r.thing_name,
  thingId: r.thing_id,
  thingTypeName: r.thing_type_name,
  attributes: r.attributes,
  version: r.version,
  creationDate: r.creation_date,
});

// $2 type name, $3 attribute name, $4 attribute value, $5 whether the value is a prefix.
const matches = (value: string): string => `CASE WHEN $5::boolean THEN starts_with(${value}, $4::text) ELSE ${value} = $4::text END`;
const FILTER = `
  ($2::text IS NULL OR thing_type_name = $2::text)
  AND ($3::text IS NULL OR attributes ? $3::text AND ($4::text IS NULL OR ${matches('attributes ->> $3::text')}))
  AND ($3::text IS NOT NULL OR $4::text IS NULL
       OR EXISTS (SELECT 1 FROM jsonb_each_text(things.attributes) a WHERE ${matches('a.value')}))`;

/** `AND version = n` when a compare-and-set was asked for. */
const ifVersionIs = (ifVersion: number | undefined): Sql => (ifVersion === undefined ? sql`` : sql` AND version = ${ifVersion}`);

export function thingStore(read: Reader, batch: WriteBatch): ThingStore {
  const list = listing<ThingRecord>('SELECT * FROM things', FILTER, ['thing_name'], ['string'], 4, (r) => [r.thing_name]);
  return {
    get: async (thingName) => {
      const record = await read.first<ThingRecord>('SELECT * FROM things WHERE thing_name = $1', [thingName]);
      return record && toThing(record);
    },
    insert: async (t) => batch.write(sql`
      INSERT INTO things (thing_name, thing_id, thing_type_name, attributes, version, creation_date)
      VALUES (${t.thingName}, ${t.thingId}, ${t.thingTypeName}, ${JSON.stringify(t.attributes)}::jsonb, ${t.version}, ${t.creationDate})
      ON CONFLICT (thing_name) DO NOTHING`, (r) => r.rowCount !== 0),
    // A compare-and-set: PostgreSQL re-checks the version on the row it locks, so of two concurrent
    // updates from the same version only one matches.
    update: async (t, ifVersion) => batch.write(sql`
      UPDATE things SET thing_id = ${t.thingId}, thing_type_name = ${t.thingTypeName}, attributes = ${JSON.stringify(t.attributes)}::jsonb,
        version = ${t.version}, creation_date = ${t.creationDate}
      WHERE thing_name = ${t.thingName}${ifVersionIs(ifVersion)}`, (r) => r.rowCount !== 0),
    delete: async (thingName, ifVersion) => batch.write(
      sql`DELETE FROM things WHERE thing_name = ${thingName}${ifVersionIs(ifVersion)}`, (r) => r.rowCount !== 0),
    list: (page: PageRequest, f?: ThingFilter) => listPage(read, list, page, [
      f?.thingTypeName ?? null, f?.attributeName ?? null, f?.attributeValue ?? null, f?.usePrefixAttributeValue === true,
    ], toThing),
  };
}
