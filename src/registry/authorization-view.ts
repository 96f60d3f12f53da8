/**
 * @module registry/authorization-view
 * What the policy enforcement on the hot path needs from the registry, in memory and synchronous:
 * each target's compiled default policies, and the things (type, attributes, principals) that policy
 * variables read. It is loaded once at Registry init and then changed only by the registry's own
 * writes, after they are durable (this process only: other nodes' writes reach it once cluster
 * invalidation exists). It owns no I/O and makes no AWS rule; the registry decides, the view mirrors.
 *
 * Design note: a policy's default version is compiled once and the CompiledPolicy object is shared
 * by every target it is attached to; each target's array is built on first ask and dropped when an
 * attachment or a default changes, so a connection that caches it by `generation` stays correct.
 */
import { compilePolicy } from '../auth/policy/index.js';
import type { CompiledPolicy, ThingContext } from '../auth/policy/index.js';
import type { PolicyVersionRow, Store, ThingRow } from '../store/store.js';

export interface AuthorizationView {
  /** Increments on every change that can alter a decision: a policy's default version, a policy
   *  attach/detach, a policy deletion, a certificate status change or deletion, a thing's type or
   *  attributes, a thing-principal attach/detach, a thing deletion. */
  readonly generation: number;
  /** Compiled DEFAULT versions of the policies attached to `target` (a certificate ARN or any other
   *  target string), compiled once per (policy, version) and shared. Empty array when none. */
  policiesOf(target: string): readonly CompiledPolicy[];
  /** The thing named `thingName` as policy context (typeName, attributes) with isAttached = whether
   *  `principalArn` is attached to it; undefined when no such thing. */
  thing(thingName: string, principalArn: string): ThingContext | undefined;
  /** Called (synchronously, after the write is durable) on every generation change. Returns unsubscribe. */
  onChange(listener: () => void): () => void;
}

interface ThingEntry {
  typeName: string | null;
  attributes: Readonly<Record<string, string>>;
  principals: Set<string>;
}

const NONE: readonly CompiledPolicy[] = Object.freeze([]);
const NONE_STATEMENTS: CompiledPolicy['statements'] = Object.freeze([]);
/** Page size when loading things and their principals at init. */
const LOAD_PAGE = 1000;

/** A policy with no statements: what a stored document the engine now refuses amounts to. */
function grantsNothing(name: string): CompiledPolicy {
  return Object.freeze({
    name,
    document: Object.freeze({ Version: '2012-10-17', Statement: Object.freeze([]) }),
    statements: NONE_STATEMENTS,
    needs: Object.freeze({ thing: false, certificate: false, sourceIp: false, clientId: false, extra: Object.freeze([]) }),
  });
}

/** The registry's AuthorizationView: read methods for enforcement, mutators for the registry alone. */
export class RegistryAuthorizationView implements AuthorizationView {
  private gen = 0;
  /** policy name -> its compiled default version */
  private readonly compiled = new Map<string, { versionId: string; policy: CompiledPolicy }>();
  /** target -> attached policy names */
  private readonly attached = new Map<string, Set<string>>();
  /** target -> the compiled array handed out, until the next change to it */
  private readonly arrays = new Map<string, readonly CompiledPolicy[]>();
  private readonly things = new Map<string, ThingEntry>();
  private readonly listeners = new Set<() => void>();
  private readonly onListenerError: (err: unknown) => void;

  constructor(onListenerError: (err: unknown) => void) {
    this.onListenerError = onListenerError;
  }

  get generation(): number {
    return this.gen;
  }

  policiesOf(target: string): readonly CompiledPolicy[] {
    const cached = this.arrays.get(target);
    if (cached !== undefined) return cached;
    const names = this.attached.get(target);
    if (names === undefined || names.size === 0) return NONE;
    // Name order, as ListAttachedPolicies gives them, so the deciding statement is stable.
    const policies = [...names].sort().flatMap((name) => {
      const entry = this.compiled.get(name);
      return entry === undefined ? [] : [entry.policy];
    });
    const frozen = Object.freeze(policies);
    this.arrays.set(target, frozen);
    return frozen;
  }

  thing(thingName: string, principalArn: string): ThingContext | undefined {
    const entry = this.things.get(thingName);
    if (entry === undefined) return undefined;
    return {
      name: thingName,
      ...(entry.typeName === null ? {} : { typeName: entry.typeName }),
      attributes: entry.attributes,
      isAttached: entry.principals.has(principalArn),
    };
  }

  onChange(listener: () => void): () => void {
    // A wrapper makes each subscription distinct, so subscribing one function twice needs two unsubscribes.
    const entry = (): void => listener();
    this.listeners.add(entry);
    return () => { this.listeners.delete(entry); };
  }

  // ---- loading and mutators (the registry's, after each durable write) ----

  /** Replaces everything with the store's contents; one generation change. */
  async load(store: Store): Promise<void> {
    const defaults = await store.policies.defaultVersions();
    const attachments = await store.policies.attachments();
    const things = new Map<string, ThingEntry>();
    let after: string | undefined;
    do {
      const page = await store.things.list({ after, limit: LOAD_PAGE });
      for (const row of page.items) things.set(row.thingName, { typeName: row.thingTypeName, attributes: Object.freeze({ ...row.attributes }), principals: new Set() });
      after = page.next ?? undefined;
    } while (after !== undefined);
    for (const [thingName, entry] of things) {
      let next: string | undefined;
      do {
        const page = await store.thingPrincipals.principalsOf(thingName, { after: next, limit: LOAD_PAGE });
        for (const principal of page.items) entry.principals.add(principal);
        next = page.next ?? undefined;
      } while (next !== undefined);
    }
    this.compiled.clear();
    for (const version of defaults) this.compileDefault(version);
    this.attached.clear();
    for (const { policyName, target } of attachments) this.namesOf(target).add(policyName);
    this.things.clear();
    for (const [name, entry] of things) this.things.set(name, entry);
    this.arrays.clear();
    this.changed();
  }

  /** A policy's default version is now `version` (a new policy, a new default). */
  setDefault(version: PolicyVersionRow): void {
    if (this.compiled.get(version.policyName)?.versionId === version.versionId) return;
    this.compileDefault(version);
    this.arrays.clear();
    this.changed();
  }

  deletePolicy(policyName: string): void {
    if (!this.compiled.delete(policyName)) return;
    for (const names of this.attached.values()) names.delete(policyName);
    this.arrays.clear();
    this.changed();
  }

  attach(policyName: string, target: string): void {
    const names = this.namesOf(target);
    if (names.has(policyName)) return;
    names.add(policyName);
    this.arrays.delete(target);
    this.changed();
  }

  detach(policyName: string, target: string): void {
    const names = this.attached.get(target);
    if (!names?.delete(policyName)) return;
    if (names.size === 0) this.attached.delete(target);
    this.arrays.delete(target);
    this.changed();
  }

  /** A certificate's status changed, or it was deleted (its attachments go with it). */
  certificateChanged(certificateArn: string, deleted: boolean): void {
    if (deleted) {
      this.attached.delete(certificateArn);
      this.arrays.delete(certificateArn);
    }
    this.changed();
  }

  /** A thing was created or its type or attributes changed. */
  setThing(row: ThingRow): void {
    const entry = this.things.get(row.thingName);
    this.things.set(row.thingName, {
      typeName: row.thingTypeName,
      attributes: Object.freeze({ ...row.attributes }),
      principals: entry?.principals ?? new Set(),
    });
    this.changed();
  }

  deleteThing(thingName: string): void {
    if (!this.things.delete(thingName)) return;
    this.changed();
  }

  attachThingPrincipal(thingName: string, principal: string): void {
    const entry = this.things.get(thingName);
    if (entry === undefined || entry.principals.has(principal)) return;
    entry.principals.add(principal);
    this.changed();
  }

  detachThingPrincipal(thingName: string, principal: string): void {
    if (!this.things.get(thingName)?.principals.delete(principal)) return;
    this.changed();
  }

  private compileDefault(version: PolicyVersionRow): void {
    // Stored documents were validated on the way in; a later, stricter engine refusing one must not
    // stop topicd from starting, so such a policy grants nothing (implicit deny) and is reported.
    let policy: CompiledPolicy;
    try {
      policy = compilePolicy(version.policyName, version.document);
    } catch (err) {
      this.onListenerError(new Error(`policy ${version.policyName} version ${version.versionId} no longer compiles; it grants nothing`, { cause: err }));
      policy = grantsNothing(version.policyName);
    }
    this.compiled.set(version.policyName, { versionId: version.versionId, policy });
  }

  private namesOf(target: string): Set<string> {
    let names = this.attached.get(target);
    if (names === undefined) {
      names = new Set();
      this.attached.set(target, names);
    }
    return names;
  }

  private changed(): void {
    this.gen++;
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}
