/**
 * @module store/sqlite/thing-store
 * The `things` noun of SqliteStore: one row per thing, listed by name with keyset paging and
 * AWS ListThings' attribute and type filters.
 */
import type { Database as Db } from 'better-sqlite3';
import type { PageRequest, ThingFilter, ThingRow, ThingStore } from '../store.js';
import { checkLimit, decodeToken, pickKeyset, prepareKeyset, toPage } from './keyset.js';

interface ThingRecord {
  thing_name: string;
  thing_id: string;
  thing_type_name: string | null;
  attributes: string;
  version: number;
  creation_date: number;
}

interface ThingListParams {
  limit: number;
  thingName: string | null;
  thingTypeName: string | null;
  attributeName: string | null;
  attributeValue: string | null;
  usePrefix: number;
}

const toThing = (r: ThingRecord): ThingRow => ({
  thingName: r.thing_name,
  thingId: r.thing_id,
  thingTypeName: r.thing_type_name,
  attributes: JSON.parse(r.attributes) as Record<string, string>,
  version: r.version,
  creationDate: r.creation_date,
});

export function thingStore(db: Db): ThingStore {
  const get = db.prepare<[string], ThingRecord>('SELECT * FROM things WHERE thing_name = ?');
  const insert = db.prepare<[Record<string, unknown>]>(`
    INSERT INTO things (thing_name, thing_id, thing_type_name, attributes, version, creation_date)
    VALUES (@thingName, @thingId, @thingTypeName, @attributes, @version, @creationDate)
    ON CONFLICT (thing_name) DO NOTHING`);
  const update = db.prepare<[Record<string, unknown>]>(`
    UPDATE things SET thing_id = @thingId, thing_type_name = @thingTypeName, attributes = @attributes,
      version = @version, creation_date = @creationDate
    WHERE thing_name = @thingName AND (@ifVersion IS NULL OR version = @ifVersion)`);
  const del = db.prepare<[Record<string, unknown>]>(
    'DELETE FROM things WHERE thing_name = @thingName AND (@ifVersion IS NULL OR version = @ifVersion)');
  // An attribute filter matches on the JSON object's members; json_each also covers names that a
  // JSON path would need quoting for (AWS allows '.', '@', '/', ':', '#', ','). A prefix match
  // compares the value's start with substr, not LIKE, whose '%' and '_' are literal here.
  const valueMatches = `(@usePrefix = 0 AND a.value = @attributeValue
         OR @usePrefix = 1 AND substr(a.value, 1, length(@attributeValue)) = @attributeValue)`;
  const filter = `
    (@thingTypeName IS NULL OR thing_type_name = @thingTypeName)
    AND (@attributeName IS NULL OR EXISTS (SELECT 1 FROM json_each(things.attributes) a
         WHERE a.key = @attributeName AND (@attributeValue IS NULL OR ${valueMatches})))
    AND (@attributeName IS NOT NULL OR @attributeValue IS NULL OR EXISTS (SELECT 1 FROM json_each(things.attributes) a
         WHERE ${valueMatches}))`;
  const list = prepareKeyset<ThingListParams, ThingRecord>(db, 'SELECT * FROM things', filter, 'thing_name', '@thingName');
  const params = (thing: ThingRow): Record<string, unknown> => ({
    thingName: thing.thingName,
    thingId: thing.thingId,
    thingTypeName: thing.thingTypeName,
    attributes: JSON.stringify(thing.attributes),
    version: thing.version,
    creationDate: thing.creationDate,
  });
  return {
    get: async (thingName) => {
      const record = get.get(thingName);
      return record && toThing(record);
    },
    insert: async (thing) => insert.run(params(thing)).changes > 0,
    update: async (thing, ifVersion) => update.run({ ...params(thing), ifVersion: ifVersion ?? null }).changes > 0,
    delete: async (thingName, ifVersion) => del.run({ thingName, ifVersion: ifVersion ?? null }).changes > 0,
    list: async (page: PageRequest, f?: ThingFilter) => {
      const limit = checkLimit(page.limit);
      const after = page.after === undefined ? null : decodeToken(page.after, ['string'])[0] as string;
      const records = pickKeyset(list, page).all({
        limit: limit + 1,
        thingName: after,
        thingTypeName: f?.thingTypeName ?? null,
        attributeName: f?.attributeName ?? null,
        attributeValue: f?.attributeValue ?? null,
        usePrefix: f?.usePrefixAttributeValue === true ? 1 : 0,
      });
      return toPage(records, limit, toThing, (r) => [r.thing_name]);
    },
  };
}
