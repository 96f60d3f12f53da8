/**
 * @module store/postgres/thing-type-store
 * The `thingTypes` noun of PostgresStore: one row per thing type, listed by name with keyset paging.
 * It stores what the registry hands it; AWS's rules about thing types live in registry/.
 */
import type { ThingTypeRow, ThingTypeStore } from '../store.js';
import { listPage, listing } from './keyset.js';
import type { Reader } from './reader.js';
import { sql } from './sql.js';
import type { WriteBatch } from './write-batch.js';

interface ThingTypeRecord {
  thing_type_name: string;
  thing_type_id: string;
  description: string | null;
  searchable_attributes: string[];
  mqtt5_configuration: string | null;
  tags: ThingTypeRow['tags'];
  deprecated: boolean;
  deprecation_date: number | null;
  creation_date: number;
}

const toThingType = (r: ThingTypeRecord): ThingTypeRow => ({
  thingTypeName: r.thing_type_name,
  thingTypeId: r.thing_type_id,
  description: r.description,
  searchableAttributes: r.searchable_attributes,
  mqtt5Configuration: r.mqtt5_configuration,
  tags: r.tags,
  deprecated: r.deprecated,
  deprecationDate: r.deprecation_date,
  creationDate: r.creation_date,
});

export function thingTypeStore(read: Reader, batch: WriteBatch): ThingTypeStore {
  const list = listing<ThingTypeRecord>('SELECT * FROM thing_types', '($2::text IS NULL OR thing_type_name = $2::text)',
    ['thing_type_name'], ['string'], 1, (r) => [r.thing_type_name]);
  return {
    get: async (thingTypeName) => {
      const record = await read.first<ThingTypeRecord>('SELECT * FROM thing_types WHERE thing_type_name = $1', [thingTypeName]);
      return record && toThingType(record);
    },
    insert: async (t) => batch.write(sql`
      INSERT INTO thing_types (thing_type_name, thing_type_id, description, searchable_attributes, mqtt5_configuration,
        tags, deprecated, deprecation_date, creation_date)
      VALUES (${t.thingTypeName}, ${t.thingTypeId}, ${t.description}, ${JSON.stringify(t.searchableAttributes)}::jsonb,
        ${t.mqtt5Configuration}, ${JSON.stringify(t.tags)}::jsonb, ${t.deprecated}, ${t.deprecationDate}, ${t.creationDate})
      ON CONFLICT (thing_type_name) DO NOTHING`, (r) => r.rowCount !== 0),
    update: async (t) => batch.write(sql`
      UPDATE thing_types SET thing_type_id = ${t.thingTypeId}, description = ${t.description},
        searchable_attributes = ${JSON.stringify(t.searchableAttributes)}::jsonb, mqtt5_configuration = ${t.mqtt5Configuration},
        tags = ${JSON.stringify(t.tags)}::jsonb, deprecated = ${t.deprecated}, deprecation_date = ${t.deprecationDate},
        creation_date = ${t.creationDate}
      WHERE thing_type_name = ${t.thingTypeName}`, (r) => r.rowCount !== 0),
    delete: async (thingTypeName) => batch.write(sql`DELETE FROM thing_types WHERE thing_type_name = ${thingTypeName}`, (r) => r.rowCount !== 0),
    list: (page, filter) => listPage(read, list, page, [filter?.thingTypeName ?? null], toThingType),
  };
}
