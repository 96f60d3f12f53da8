/**
 * @module registry/thing-type-registry
 * AWS IoT thing types over the Store: CreateThingType, DescribeThingType, ListThingTypes,
 * UpdateThingType, DeprecateThingType, DeleteThingType, with AWS's shapes and error types, and the
 * check the thing rules need (`checkAssignable`: a thing may only take a type that exists and is not
 * deprecated). Things themselves stay in registry.ts.
 *
 * Deletion follows AWS's order of life: a type is deprecated first, and deleted only once it has
 * been deprecated for five minutes (AWS: "You must wait five minutes after deprecating a thing type
 * before you can delete it") and no thing uses it any more. The clock is injected, so tests move
 * time instead of waiting.
 */
import { randomUUID } from 'node:crypto';
import { TopicdError, alreadyExists, invalidRequest, notFound } from '../errors.js';
import type { Store, ThingTypeRow } from '../store/store.js';
import { ATTRIBUTE_NAME, checkName, checkPageSize, checkThingTypeName, constraint } from './validation.js';

/** AWS PropagatingAttribute: a thing attribute or connection attribute sent as an MQTT 5 user property. */
export interface PropagatingAttribute {
  userPropertyKey?: string;
  thingAttribute?: string;
  connectionAttribute?: string;
}

export interface ThingTypeProperties {
  thingTypeDescription?: string;
  searchableAttributes?: string[];
  mqtt5Configuration?: { propagatingAttributes?: PropagatingAttribute[] };
}

export interface ThingTypeMetadata {
  deprecated: boolean;
  /** Epoch seconds; present once deprecated. */
  deprecationDate?: number;
  /** Epoch seconds. */
  creationDate: number;
}

export interface ThingTypeDescription {
  thingTypeName: string;
  thingTypeId: string;
  thingTypeArn: string;
  thingTypeProperties: ThingTypeProperties;
  thingTypeMetadata: ThingTypeMetadata;
}

/** AWS ThingTypeDefinition, one entry of ListThingTypes. */
export type ThingTypeDefinition = Omit<ThingTypeDescription, 'thingTypeId'>;

export interface CreateThingTypeInput {
  thingTypeName: string;
  /** As read off the wire; checked here. */
  thingTypeProperties?: unknown;
  tags?: unknown;
}

export interface ListThingTypesInput {
  nextToken?: string | undefined;
  maxResults?: number | undefined;
  thingTypeName?: string | undefined;
}

export interface ThingTypeRegistryApi {
  createThingType(input: CreateThingTypeInput): Promise<{ thingTypeName: string; thingTypeArn: string; thingTypeId: string }>;
  describeThingType(thingTypeName: string): Promise<ThingTypeDescription>;
  listThingTypes(input: ListThingTypesInput): Promise<{ thingTypes: ThingTypeDefinition[]; nextToken?: string }>;
  updateThingType(thingTypeName: string, thingTypeProperties: unknown): Promise<void>;
  deprecateThingType(thingTypeName: string, undoDeprecate: boolean): Promise<void>;
  deleteThingType(thingTypeName: string): Promise<void>;
  /** Refuses a type a thing may not take: unknown (ResourceNotFound) or deprecated (InvalidRequest). */
  checkAssignable(thingTypeName: string): Promise<void>;
  thingTypeArn(thingTypeName: string): string;
}

export interface ThingTypeRegistryOptions {
  store: Store;
  accountId: string;
  region: string;
  /** Epoch milliseconds. */
  clock: () => number;
}

/** AWS: a thing type is deleted only five minutes after it was deprecated. */
export const DELETE_AFTER_DEPRECATION_MS = 5 * 60 * 1000;
/** AWS: ThingTypeDescription is at most 2028 characters of [\p{Graph}\x20]. */
const DESCRIPTION_MAX = 2028;
const DESCRIPTION = /^(?:[^\p{C}\p{Z}]| )*$/u;
/** AWS: at most three searchable attributes. */
const SEARCHABLE_MAX = 3;
/** AWS: ListThingTypes maxResults 1..250. */
const LIST_MAX = 250;
const LIST_DEFAULT = 50;
/** AWS tags: at most 50, keys 1..128, values 0..256. */
const TAGS_MAX = 50;
const TAG_KEY_MAX = 128;
const TAG_VALUE_MAX = 256;
/** Insert attempts before a create gives up under sustained contention. */
const WRITE_ATTEMPTS = 20;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const seconds = (ms: number): number => ms / 1000;

interface CheckedProperties {
  description: string | null;
  searchableAttributes: string[];
  mqtt5Configuration: string | null;
}

/** AWS ThingTypeProperties, checked member by member; absent means empty. */
function checkProperties(value: unknown): CheckedProperties {
  if (value === undefined || value === null) return { description: null, searchableAttributes: [], mqtt5Configuration: null };
  if (!isObject(value)) throw invalidRequest("Value at 'thingTypeProperties' must be a structure.");
  let description: string | null = null;
  const rawDescription = value.thingTypeDescription;
  if (rawDescription !== undefined && rawDescription !== null) {
    if (typeof rawDescription !== 'string') throw constraint(rawDescription, 'thingTypeProperties.thingTypeDescription', 'Member must be a string');
    if (rawDescription.length > DESCRIPTION_MAX) {
      throw constraint(rawDescription, 'thingTypeProperties.thingTypeDescription', `Member must have length less than or equal to ${DESCRIPTION_MAX}`);
    }
    if (!DESCRIPTION.test(rawDescription)) {
      throw constraint(rawDescription, 'thingTypeProperties.thingTypeDescription', 'Member must satisfy regular expression pattern: [\\p{Graph}\\x20]*');
    }
    description = rawDescription;
  }
  const searchableAttributes: string[] = [];
  const rawSearchable = value.searchableAttributes;
  if (rawSearchable !== undefined && rawSearchable !== null) {
    if (!Array.isArray(rawSearchable)) throw invalidRequest("Value at 'thingTypeProperties.searchableAttributes' must be a list.");
    if (rawSearchable.length > SEARCHABLE_MAX) {
      throw constraint(rawSearchable, 'thingTypeProperties.searchableAttributes', `Member must have length less than or equal to ${SEARCHABLE_MAX}`);
    }
    for (const name of rawSearchable) {
      const checked = checkName(name, 'thingTypeProperties.searchableAttributes', ATTRIBUTE_NAME, 128);
      if (!searchableAttributes.includes(checked)) searchableAttributes.push(checked);
    }
  }
  let mqtt5Configuration: string | null = null;
  const rawMqtt5 = value.mqtt5Configuration;
  if (rawMqtt5 !== undefined && rawMqtt5 !== null) {
    mqtt5Configuration = JSON.stringify(checkMqtt5Configuration(rawMqtt5));
  }
  return { description, searchableAttributes, mqtt5Configuration };
}

/** AWS Mqtt5Configuration: propagatingAttributes, each of string members. Kept, not yet acted on. */
function checkMqtt5Configuration(value: unknown): { propagatingAttributes?: PropagatingAttribute[] } {
  const field = 'thingTypeProperties.mqtt5Configuration';
  if (!isObject(value)) throw invalidRequest(`Value at '${field}' must be a structure.`);
  const list = value.propagatingAttributes;
  if (list === undefined || list === null) return {};
  if (!Array.isArray(list)) throw invalidRequest(`Value at '${field}.propagatingAttributes' must be a list.`);
  const propagatingAttributes = list.map((entry: unknown) => {
    if (!isObject(entry)) throw invalidRequest(`Value at '${field}.propagatingAttributes' must hold structures.`);
    const out: PropagatingAttribute = {};
    for (const member of ['userPropertyKey', 'thingAttribute', 'connectionAttribute'] as const) {
      const v = entry[member];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string' || v.length < 1 || v.length > 128) {
        throw constraint(v, `${field}.propagatingAttributes.${member}`, 'Member must have length between 1 and 128');
      }
      out[member] = v;
    }
    return out;
  });
  return { propagatingAttributes };
}

/** AWS TagList: [{Key, Value}]. */
function checkTags(value: unknown): Array<{ Key: string; Value: string }> {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidRequest("Value at 'tags' must be a list.");
  if (value.length > TAGS_MAX) throw constraint(value, 'tags', `Member must have length less than or equal to ${TAGS_MAX}`);
  return value.map((tag: unknown) => {
    if (!isObject(tag)) throw invalidRequest("Value at 'tags' must hold {Key, Value} structures.");
    const { Key: key, Value: val } = tag;
    if (typeof key !== 'string' || key.length < 1 || key.length > TAG_KEY_MAX) {
      throw constraint(key, 'tags.member.Key', `Member must have length between 1 and ${TAG_KEY_MAX}`);
    }
    const text = val === undefined || val === null ? '' : val;
    if (typeof text !== 'string' || text.length > TAG_VALUE_MAX) {
      throw constraint(text, 'tags.member.Value', `Member must have length less than or equal to ${TAG_VALUE_MAX}`);
    }
    return { Key: key, Value: text };
  });
}

const sameProperties = (row: ThingTypeRow, p: CheckedProperties): boolean =>
  row.description === p.description
  && row.mqtt5Configuration === p.mqtt5Configuration
  && JSON.stringify(row.searchableAttributes) === JSON.stringify(p.searchableAttributes);

export class ThingTypeRegistry implements ThingTypeRegistryApi {
  private readonly store: Store;
  private readonly accountId: string;
  private readonly region: string;
  private readonly clock: () => number;

  constructor(options: ThingTypeRegistryOptions) {
    this.store = options.store;
    this.accountId = options.accountId;
    this.region = options.region;
    this.clock = options.clock;
  }

  thingTypeArn(thingTypeName: string): string {
    return `arn:aws:iot:${this.region}:${this.accountId}:thingtype/${thingTypeName}`;
  }

  /**
   * Idempotent for the same properties, as CreateThing is; other properties under a taken name are
   * ResourceAlreadyExistsException (thing types are immutable but for UpdateThingType).
   */
  async createThingType(input: CreateThingTypeInput): Promise<{ thingTypeName: string; thingTypeArn: string; thingTypeId: string }> {
    const thingTypeName = checkThingTypeName(input.thingTypeName);
    const properties = checkProperties(input.thingTypeProperties);
    const tags = checkTags(input.tags);
    const arn = this.thingTypeArn(thingTypeName);
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const existing = await this.store.thingTypes.get(thingTypeName);
      if (existing) {
        if (sameProperties(existing, properties)) return { thingTypeName, thingTypeArn: arn, thingTypeId: existing.thingTypeId };
        throw alreadyExists(`Thing Type ${thingTypeName} already exists in account with different properties`, existing.thingTypeId, arn);
      }
      const row: ThingTypeRow = {
        thingTypeName, thingTypeId: randomUUID(), ...properties, tags, deprecated: false, deprecationDate: null, creationDate: this.clock(),
      };
      // Lost a race with another create: the loop compares against the winner.
      if (await this.store.thingTypes.insert(row)) return { thingTypeName, thingTypeArn: arn, thingTypeId: row.thingTypeId };
    }
    throw new TopicdError('ConflictException', `Thing type ${thingTypeName} is being changed by other requests; try again.`);
  }

  async describeThingType(thingTypeName: string): Promise<ThingTypeDescription> {
    const row = await this.get(thingTypeName);
    return { thingTypeName: row.thingTypeName, thingTypeId: row.thingTypeId, ...this.definition(row) };
  }

  async listThingTypes(input: ListThingTypesInput): Promise<{ thingTypes: ThingTypeDefinition[]; nextToken?: string }> {
    const limit = checkPageSize(input.maxResults, 'maxResults', LIST_MAX, LIST_DEFAULT);
    const filter = input.thingTypeName === undefined ? {} : { thingTypeName: checkThingTypeName(input.thingTypeName) };
    const page = await this.store.thingTypes.list({ after: input.nextToken, limit }, filter);
    const thingTypes = page.items.map((row) => ({ thingTypeName: row.thingTypeName, ...this.definition(row) }));
    return page.next === null ? { thingTypes } : { thingTypes, nextToken: page.next };
  }

  /** Replaces the properties the request names; members it leaves out keep their values. */
  async updateThingType(thingTypeName: string, thingTypeProperties: unknown): Promise<void> {
    const row = await this.get(thingTypeName);
    const given = isObject(thingTypeProperties) ? thingTypeProperties : {};
    const checked = checkProperties(thingTypeProperties);
    const next: ThingTypeRow = {
      ...row,
      ...(given.thingTypeDescription === undefined ? {} : { description: checked.description }),
      ...(given.searchableAttributes === undefined ? {} : { searchableAttributes: checked.searchableAttributes }),
      ...(given.mqtt5Configuration === undefined ? {} : { mqtt5Configuration: checked.mqtt5Configuration }),
    };
    if (!(await this.store.thingTypes.update(next))) throw this.notFound(row.thingTypeName);
  }

  /** AWS: deprecating keeps the things of the type but stops new ones; undoDeprecate reverses it. */
  async deprecateThingType(thingTypeName: string, undoDeprecate: boolean): Promise<void> {
    const row = await this.get(thingTypeName);
    if (row.deprecated !== undoDeprecate) return;
    const next: ThingTypeRow = undoDeprecate
      ? { ...row, deprecated: false, deprecationDate: null }
      : { ...row, deprecated: true, deprecationDate: this.clock() };
    if (!(await this.store.thingTypes.update(next))) throw this.notFound(row.thingTypeName);
  }

  async deleteThingType(thingTypeName: string): Promise<void> {
    const row = await this.get(thingTypeName);
    if (!row.deprecated || row.deprecationDate === null) {
      throw invalidRequest(`Thing type ${row.thingTypeName} must be deprecated before it can be deleted.`);
    }
    const allowedAt = row.deprecationDate + DELETE_AFTER_DEPRECATION_MS;
    if (this.clock() < allowedAt) {
      throw invalidRequest(`Thing type ${row.thingTypeName} was deprecated less than 5 minutes ago; it can be deleted from ${new Date(allowedAt).toISOString()}.`);
    }
    // Not atomic with a concurrent UpdateThing; that one refuses the deprecated type anyway.
    const users = await this.store.things.list({ limit: 1 }, { thingTypeName: row.thingTypeName });
    if (users.items.length > 0) {
      throw invalidRequest(`Thing type ${row.thingTypeName} cannot be deleted: things are still associated with it (for example ${users.items[0]?.thingName}).`);
    }
    if (!(await this.store.thingTypes.delete(row.thingTypeName))) throw this.notFound(row.thingTypeName);
  }

  async checkAssignable(thingTypeName: string): Promise<void> {
    const row = await this.get(thingTypeName);
    if (row.deprecated) {
      throw invalidRequest(`Can not create new thing with deprecated thing type:${row.thingTypeName}`);
    }
  }

  private definition(row: ThingTypeRow): Omit<ThingTypeDefinition, 'thingTypeName'> {
    const thingTypeProperties: ThingTypeProperties = {
      ...(row.description === null ? {} : { thingTypeDescription: row.description }),
      searchableAttributes: [...row.searchableAttributes],
      ...(row.mqtt5Configuration === null ? {} : { mqtt5Configuration: JSON.parse(row.mqtt5Configuration) as ThingTypeProperties['mqtt5Configuration'] }),
    };
    const thingTypeMetadata: ThingTypeMetadata = {
      deprecated: row.deprecated,
      ...(row.deprecationDate === null ? {} : { deprecationDate: seconds(row.deprecationDate) }),
      creationDate: seconds(row.creationDate),
    };
    return { thingTypeArn: this.thingTypeArn(row.thingTypeName), thingTypeProperties, thingTypeMetadata };
  }

  private async get(thingTypeName: string): Promise<ThingTypeRow> {
    const name = checkThingTypeName(thingTypeName);
    const row = await this.store.thingTypes.get(name);
    if (!row) throw this.notFound(name);
    return row;
  }

  private notFound(thingTypeName: string): TopicdError {
    return notFound(`Thing Type ${thingTypeName} does not exist`);
  }
}
