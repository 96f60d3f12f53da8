/**
 * @module registry/thing-registry
 * AWS IoT's rules for things over the Store (CreateThing, DescribeThing, ListThings, UpdateThing,
 * DeleteThing), with AWS's error types and messages; each write is mirrored into the in-memory
 * AuthorizationView once durable. The Registry composes it.
 *
 * Thing writes are compare-and-set on the version (the store refuses a stale one) and retried, so two
 * concurrent updates cannot both win, even across nodes sharing a store.
 */
import { randomUUID } from 'node:crypto';
import { TopicdError, alreadyExists, invalidRequest, notFound } from '../errors.js';
import type { Store, ThingRow } from '../store/store.js';
import type { RegistryAuthorizationView } from './authorization-view.js';
import type { ThingTypeRegistry } from './thing-type-registry.js';
import type { CreateThingInput, ListThingsInput, ThingDescription, UpdateThingInput } from './types.js';
import { checkAttributeCount, checkAttributes, checkPageSize, checkThingName, checkThingTypeName } from './validation.js';

/** AWS: ListThings maxResults 1..250, default 50. */
const LIST_THINGS_MAX = 250;
const LIST_THINGS_DEFAULT = 50;
/** Compare-and-set attempts before a write gives up under sustained contention. */
const WRITE_ATTEMPTS = 20;

/** Empty values mean "no such attribute" everywhere (AWS: an empty value removes an attribute on merge). */
function withoutEmpty(attributes: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== ''));
}

function sameAttributes(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && b[key] === a[key]);
}

function checkVersion(row: ThingRow, expectedVersion: number | undefined): void {
  if (expectedVersion !== undefined && row.version !== expectedVersion) {
    throw new TopicdError('VersionConflictException', `The version for thing ${row.thingName} does not match the expected version.`);
  }
}

export const thingNotFound = (thingName: string): TopicdError => notFound(`Thing ${thingName} cannot be found.`);

const contended = (thingName: string): TopicdError =>
  new TopicdError('ConflictException', `Thing ${thingName} is being changed by other requests; try again.`);

export interface ThingRegistryOptions {
  store: Store;
  view: RegistryAuthorizationView;
  thingTypes: ThingTypeRegistry;
  /** Epoch milliseconds. */
  clock: () => number;
  thingArn(thingName: string): string;
}

export class ThingRegistry {
  constructor(private readonly options: ThingRegistryOptions) {}

  /**
   * AWS: CreateThing is idempotent for the same configuration; a different one is ResourceAlreadyExists.
   * A named thing type must exist (ResourceNotFound) and not be deprecated (InvalidRequest).
   */
  async createThing(input: CreateThingInput): Promise<{ thingName: string; thingArn: string; thingId: string }> {
    const thingName = checkThingName(input.thingName);
    const thingTypeName = input.thingTypeName === undefined ? null : checkThingTypeName(input.thingTypeName);
    const attributes = withoutEmpty(input.attributes === undefined ? {} : checkAttributes(input.attributes));
    checkAttributeCount(attributes, thingTypeName !== null);
    if (thingTypeName !== null) await this.options.thingTypes.checkAssignable(thingTypeName);
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const existing = await this.options.store.things.get(thingName);
      if (existing) {
        if (existing.thingTypeName === thingTypeName && sameAttributes(existing.attributes, attributes)) {
          return { thingName, thingArn: this.options.thingArn(thingName), thingId: existing.thingId };
        }
        throw alreadyExists(`Thing ${thingName} already exists in account with different attributes`, existing.thingId, this.options.thingArn(thingName));
      }
      const row: ThingRow = { thingName, thingId: randomUUID(), thingTypeName, attributes, version: 1, creationDate: this.options.clock() };
      if (await this.options.store.things.insert(row)) {
        this.options.view.setThing(row);
        return { thingName, thingArn: this.options.thingArn(thingName), thingId: row.thingId };
      }
    }
    throw contended(thingName);
  }

  async describeThing(thingName: string): Promise<ThingDescription> {
    const row = await this.options.store.things.get(checkThingName(thingName));
    if (!row) throw thingNotFound(thingName);
    return {
      defaultClientId: row.thingName,
      thingName: row.thingName,
      thingId: row.thingId,
      thingArn: this.options.thingArn(row.thingName),
      ...(row.thingTypeName === null ? {} : { thingTypeName: row.thingTypeName }),
      attributes: { ...row.attributes },
      version: row.version,
    };
  }

  async listThings(input: ListThingsInput): Promise<{ things: Array<Omit<ThingDescription, 'thingId' | 'defaultClientId'>>; nextToken?: string }> {
    const limit = checkPageSize(input.maxResults, 'maxResults', LIST_THINGS_MAX, LIST_THINGS_DEFAULT);
    const page = await this.options.store.things.list({ after: input.nextToken, limit }, {
      attributeName: input.attributeName,
      attributeValue: input.attributeValue,
      thingTypeName: input.thingTypeName,
      usePrefixAttributeValue: input.usePrefixAttributeValue,
    });
    const things = page.items.map((row) => ({
      thingName: row.thingName,
      thingArn: this.options.thingArn(row.thingName),
      ...(row.thingTypeName === null ? {} : { thingTypeName: row.thingTypeName }),
      attributes: { ...row.attributes },
      version: row.version,
    }));
    return page.next === null ? { things } : { things, nextToken: page.next };
  }

  /**
   * AWS: every update bumps the version; merge keeps other attributes and an empty value removes one.
   * A new thing type must exist and not be deprecated; keeping a type that has since been deprecated is fine.
   */
  async updateThing(input: UpdateThingInput): Promise<void> {
    const thingName = checkThingName(input.thingName);
    if (input.removeThingType && input.thingTypeName !== undefined) {
      throw invalidRequest('Cannot specify both thingTypeName and removeThingType.');
    }
    const thingTypeName = input.thingTypeName === undefined ? undefined : checkThingTypeName(input.thingTypeName);
    const attributes = input.attributes === undefined ? undefined : checkAttributes(input.attributes);
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const current = await this.options.store.things.get(thingName);
      if (!current) throw thingNotFound(thingName);
      checkVersion(current, input.expectedVersion);
      let nextAttributes = current.attributes;
      if (attributes !== undefined) {
        nextAttributes = input.merge ? withoutEmpty({ ...current.attributes, ...attributes }) : withoutEmpty(attributes);
      }
      const nextType = input.removeThingType ? null : (thingTypeName ?? current.thingTypeName);
      checkAttributeCount(nextAttributes, nextType !== null);
      if (nextType !== null && nextType !== current.thingTypeName) await this.options.thingTypes.checkAssignable(nextType);
      const next: ThingRow = { ...current, thingTypeName: nextType, attributes: nextAttributes, version: current.version + 1 };
      if (await this.options.store.things.update(next, current.version)) {
        this.options.view.setThing(next);
        return;
      }
    }
    throw contended(thingName);
  }

  /**
   * AWS: DeleteThing of an unknown thing succeeds ("Returns successfully with no error if ... you
   * specify a thing that doesn't exist"), and a thing with principals attached is not deleted:
   * InvalidRequestException "Cannot delete. Thing <name> is still attached to one or more principals"
   * (since late 2019; clients detach first, as `topicd thing delete` does).
   */
  async deleteThing(thingName: string, expectedVersion?: number): Promise<void> {
    checkThingName(thingName);
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const current = await this.options.store.things.get(thingName);
      if (!current) return;
      checkVersion(current, expectedVersion);
      const attached = await this.options.store.thingPrincipals.principalsOf(thingName, { limit: 1 });
      if (attached.items.length > 0) {
        throw invalidRequest(`Cannot delete. Thing ${thingName} is still attached to one or more principals`);
      }
      if (await this.options.store.things.delete(thingName, current.version)) {
        this.options.view.deleteThing(thingName);
        return;
      }
    }
    throw contended(thingName);
  }
}
