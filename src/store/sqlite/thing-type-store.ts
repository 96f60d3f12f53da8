/**
 * @module store/sqlite/thing-type-store
 * The `thingTypes` noun of SqliteStore: one row per thing type (table `thing_types`, migration 6),
 * listed by name with the same keyset paging as every other listing (helpers from keyset.ts).
 * It stores what the registry hands it; AWS's rules about thing types live in registry/.
 */
import type { Database as Db } from 'better-sqlite3';
import type { ThingTypeRow, ThingTypeStore } from '../store.js';
import { checkLimit, decodeToken, pickKeyset, prepareKeyset, toPage } from './keyset.js';

interface ThingTypeRecord {
  thing_type_name: string;
  thing_type_id: string;
  description: string | null;
  searchable_attributes: string;
  mqtt5_configuration: string | null;
  tags: string;
  deprecated: number;
  deprecation_date: number | null;
  creation_date: number;
}

const toThingType = (r: ThingTypeRecord): ThingTypeRow => ({
  thingTypeName: r.thing_type_name,
  thingTypeId: r.thing_type_id,
  description: r.description,
  searchableAttributes: JSON.parse(r.searchable_attributes) as string[],
  mqtt5Configuration: r.mqtt5_configuration,
  tags: JSON.parse(r.tags) as ThingTypeRow['tags'],
  deprecated: r.deprecated === 1,
  deprecationDate: r.deprecation_date,
  creationDate: r.creation_date,
});

const params = (t: ThingTypeRow): Record<string, unknown> => ({
  thingTypeName: t.thingTypeName,
  thingTypeId: t.thingTypeId,
  description: t.description,
  searchableAttributes: JSON.stringify(t.searchableAttributes),
  mqtt5Configuration: t.mqtt5Configuration,
  tags: JSON.stringify(t.tags),
  deprecated: t.deprecated ? 1 : 0,
  deprecationDate: t.deprecationDate,
  creationDate: t.creationDate,
});

interface ListParams {
  limit: number;
  after: string | null;
  thingTypeName: string | null;
}

export function thingTypeStore(db: Db): ThingTypeStore {
  const get = db.prepare<[string], ThingTypeRecord>('SELECT * FROM thing_types WHERE thing_type_name = ?');
  const insert = db.prepare<[Record<string, unknown>]>(`
    INSERT INTO thing_types (thing_type_name, thing_type_id, description, searchable_attributes, mqtt5_configuration,
      tags, deprecated, deprecation_date, creation_date)
    VALUES (@thingTypeName, @thingTypeId, @description, @searchableAttributes, @mqtt5Configuration,
      @tags, @deprecated, @deprecationDate, @creationDate)
    ON CONFLICT (thing_type_name) DO NOTHING`);
  const update = db.prepare<[Record<string, unknown>]>(`
    UPDATE thing_types SET thing_type_id = @thingTypeId, description = @description,
      searchable_attributes = @searchableAttributes, mqtt5_configuration = @mqtt5Configuration, tags = @tags,
      deprecated = @deprecated, deprecation_date = @deprecationDate, creation_date = @creationDate
    WHERE thing_type_name = @thingTypeName`);
  const del = db.prepare<[string]>('DELETE FROM thing_types WHERE thing_type_name = ?');
  const list = prepareKeyset<ListParams, ThingTypeRecord>(db, 'SELECT * FROM thing_types',
    '(@thingTypeName IS NULL OR thing_type_name = @thingTypeName)', 'thing_type_name', '@after');
  return {
    get: async (thingTypeName) => {
      const record = get.get(thingTypeName);
      return record && toThingType(record);
    },
    insert: async (thingType) => insert.run(params(thingType)).changes > 0,
    update: async (thingType) => update.run(params(thingType)).changes > 0,
    delete: async (thingTypeName) => del.run(thingTypeName).changes > 0,
    list: async (page, filter) => {
      const limit = checkLimit(page.limit);
      const after = page.after === undefined ? null : decodeToken(page.after, ['string'])[0] as string;
      const records = pickKeyset(list, page).all({ limit: limit + 1, after, thingTypeName: filter?.thingTypeName ?? null });
      return toPage(records, limit, toThingType, (r) => [r.thing_type_name]);
    },
  };
}
