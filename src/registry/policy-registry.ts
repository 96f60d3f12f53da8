/**
 * @module registry/policy-registry
 * AWS IoT's rules for policies over the Store: names, documents (validated by the policy engine),
 * up to five numbered versions with one default, attachments to targets (at most ten per target),
 * and the two read-only questions AWS answers about them, GetEffectivePolicies and
 * TestAuthorization. Every write is mirrored into the AuthorizationView once durable, so enforcement
 * sees it at once. Policy writes are compare-and-set on the policy's generationId and retried, so two
 * concurrent version changes cannot both win.
 *
 * A target is a certificate ARN of this account (which must exist); other kinds (access keys, thing
 * groups) join through `addTargetKind`, without this module knowing them.
 */
import { X509Certificate, randomUUID } from 'node:crypto';
import { certificateNameFields, compilePolicy, parsePolicy } from '../auth/policy/index.js';
import type { CompiledPolicy, PolicyContext } from '../auth/policy/index.js';
import { TopicdError, alreadyExists, invalidRequest, notFound } from '../errors.js';
import type { PolicyRow, PolicyVersionRow, Store } from '../store/store.js';
import type { RegistryAuthorizationView } from './authorization-view.js';
import type {
  AuthResult, CreatedPolicy, CreatedPolicyVersion, MarkerPaging, PolicyDescription, PolicyRegistryApi, PolicySummary, PolicyTargetKind,
  PolicyVersionDescription, PolicyVersionSummary, TestAuthorizationInput,
} from './policy-types.js';
import { authResultsFor, checkAuthInfos } from './test-authorization.js';
import { checkPageSize, checkPolicyName, checkPolicyVersionId, checkThingName, parseCertificateArn } from './validation.js';

/** AWS: a policy has at most five versions. */
export const MAX_POLICY_VERSIONS = 5;
/** AWS: at most ten policies attached to one target (certificate, thing group, ...). */
export const MAX_POLICIES_PER_TARGET = 10;
/** AWS: ListPolicies, ListAttachedPolicies, ListTargetsForPolicy, ListPrincipalPolicies pageSize 1..250. */
const LIST_MAX = 250;
const LIST_DEFAULT = 25;
const WRITE_ATTEMPTS = 20;

export interface PolicyRegistryOptions {
  store: Store;
  accountId: string;
  region: string;
  clock: () => number;
  view: RegistryAuthorizationView;
}

const seconds = (ms: number): number => ms / 1000;

export class PolicyRegistry implements PolicyRegistryApi {
  private readonly store: Store;
  private readonly accountId: string;
  private readonly region: string;
  private readonly clock: () => number;
  private readonly view: RegistryAuthorizationView;
  private readonly kinds: PolicyTargetKind[] = [];

  constructor(options: PolicyRegistryOptions) {
    this.store = options.store;
    this.accountId = options.accountId;
    this.region = options.region;
    this.clock = options.clock;
    this.view = options.view;
  }

  policyArn(policyName: string): string {
    return `arn:aws:iot:${this.region}:${this.accountId}:policy/${policyName}`;
  }

  addTargetKind(kind: PolicyTargetKind): void {
    this.kinds.push(kind);
  }

  async detachAllOf(target: string): Promise<void> {
    for (const policyName of await this.store.policies.detachAllOfTarget(target)) this.view.detach(policyName, target);
  }

  // ---- policies ----

  async createPolicy(policyName: string, policyDocument: string): Promise<CreatedPolicy> {
    const name = checkPolicyName(policyName);
    parsePolicy(policyDocument);
    const now = this.clock();
    const row: PolicyRow = { policyName: name, defaultVersionId: '1', lastVersion: 1, generationId: randomUUID(), creationDate: now, lastModifiedDate: now };
    const version: PolicyVersionRow = { policyName: name, versionId: '1', document: policyDocument, creationDate: now };
    if (!(await this.store.policies.insert(row, version))) {
      // AWS's wording.
      throw alreadyExists(`Policy cannot be created - name already exists (name=${name})`, name, this.policyArn(name));
    }
    this.view.setDefault(version);
    return { policyName: name, policyArn: this.policyArn(name), policyDocument, policyVersionId: '1' };
  }

  async getPolicy(policyName: string): Promise<PolicyDescription> {
    const row = await this.getRow(policyName);
    const version = await this.store.policies.getVersion(row.policyName, row.defaultVersionId);
    if (!version) throw this.policyNotFound(row.policyName);
    return {
      policyName: row.policyName,
      policyArn: this.policyArn(row.policyName),
      policyDocument: version.document,
      defaultVersionId: row.defaultVersionId,
      creationDate: seconds(row.creationDate),
      lastModifiedDate: seconds(row.lastModifiedDate),
      generationId: row.generationId,
    };
  }

  /** In name order; isAscendingOrder=false reverses it. */
  async listPolicies(input: MarkerPaging): Promise<{ policies: PolicySummary[]; nextMarker?: string }> {
    const limit = checkPageSize(input.pageSize, 'pageSize', LIST_MAX, LIST_DEFAULT);
    const page = await this.store.policies.list({ after: input.marker, limit, ascending: input.isAscendingOrder !== false });
    const policies = page.items.map((row) => this.summary(row.policyName));
    return page.next === null ? { policies } : { policies, nextMarker: page.next };
  }

  /** AWS: a policy that is attached, or has versions besides the default, is not deleted (DeleteConflict). */
  async deletePolicy(policyName: string): Promise<void> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const row = await this.getRow(policyName);
      const versions = await this.store.policies.versions(row.policyName);
      if (versions.length > 1) {
        throw new TopicdError('DeleteConflictException', `Cannot delete the policy because it has non-default versions; delete them first (name=${row.policyName})`);
      }
      if ((await this.store.policies.targetsOf(row.policyName, { limit: 1 })).items.length > 0) {
        throw this.attachedConflict(row.policyName);
      }
      if (await this.store.policies.delete(row.policyName, row.generationId)) {
        this.view.deletePolicy(row.policyName);
        return;
      }
    }
    throw this.contended(policyName);
  }

  // ---- versions ----

  async createPolicyVersion(policyName: string, policyDocument: string, setAsDefault: boolean): Promise<CreatedPolicyVersion> {
    const name = checkPolicyName(policyName);
    parsePolicy(policyDocument);
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const row = await this.getRow(name);
      const versions = await this.store.policies.versions(name);
      if (versions.length >= MAX_POLICY_VERSIONS) {
        throw new TopicdError('VersionsLimitExceededException',
          `The policy ${name} already has the maximum number of versions (${MAX_POLICY_VERSIONS}); delete one first.`);
      }
      const now = this.clock();
      const versionId = String(row.lastVersion + 1);
      const version: PolicyVersionRow = { policyName: name, versionId, document: policyDocument, creationDate: now };
      const next: PolicyRow = {
        ...row,
        lastVersion: row.lastVersion + 1,
        defaultVersionId: setAsDefault ? versionId : row.defaultVersionId,
        generationId: randomUUID(),
        lastModifiedDate: now,
      };
      if (await this.store.policies.update(next, row.generationId, { add: version })) {
        if (setAsDefault) this.view.setDefault(version);
        return { policyArn: this.policyArn(name), policyDocument, policyVersionId: versionId, isDefaultVersion: setAsDefault };
      }
    }
    throw this.contended(name);
  }

  async getPolicyVersion(policyName: string, policyVersionId: string): Promise<PolicyVersionDescription> {
    const row = await this.getRow(policyName);
    const version = await this.getVersionRow(row.policyName, policyVersionId);
    return {
      policyArn: this.policyArn(row.policyName),
      policyName: row.policyName,
      policyDocument: version.document,
      policyVersionId: version.versionId,
      isDefaultVersion: version.versionId === row.defaultVersionId,
      creationDate: seconds(version.creationDate),
      lastModifiedDate: seconds(version.creationDate),
      generationId: row.generationId,
    };
  }

  async listPolicyVersions(policyName: string): Promise<{ policyVersions: PolicyVersionSummary[] }> {
    const row = await this.getRow(policyName);
    const versions = await this.store.policies.versions(row.policyName);
    // AWS lists the newest first.
    const policyVersions = versions.reverse().map((v) => ({
      versionId: v.versionId, isDefaultVersion: v.versionId === row.defaultVersionId, createDate: seconds(v.creationDate),
    }));
    return { policyVersions };
  }

  async setDefaultPolicyVersion(policyName: string, policyVersionId: string): Promise<void> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const row = await this.getRow(policyName);
      const version = await this.getVersionRow(row.policyName, policyVersionId);
      if (row.defaultVersionId === version.versionId) return;
      const next: PolicyRow = { ...row, defaultVersionId: version.versionId, generationId: randomUUID(), lastModifiedDate: this.clock() };
      if (await this.store.policies.update(next, row.generationId)) {
        this.view.setDefault(version);
        return;
      }
    }
    throw this.contended(policyName);
  }

  /** AWS: the default version cannot be deleted (DeleteConflict); DeletePolicy removes the last one. */
  async deletePolicyVersion(policyName: string, policyVersionId: string): Promise<void> {
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const row = await this.getRow(policyName);
      const version = await this.getVersionRow(row.policyName, policyVersionId);
      if (version.versionId === row.defaultVersionId) {
        throw new TopicdError('DeleteConflictException',
          `Cannot delete the default version of a policy; make another version the default first, or delete the policy (name=${row.policyName}, version=${version.versionId})`);
      }
      const next: PolicyRow = { ...row, generationId: randomUUID(), lastModifiedDate: this.clock() };
      if (await this.store.policies.update(next, row.generationId, { remove: version.versionId })) return;
    }
    throw this.contended(policyName);
  }

  // ---- attachments ----

  /** AWS: attaching twice is not an error; a target holds at most ten policies (LimitExceeded). */
  async attachPolicy(policyName: string, target: string): Promise<void> {
    const name = checkPolicyName(policyName);
    const canonical = await this.resolveTarget(target);
    const result = await this.store.policies.attach(name, canonical, MAX_POLICIES_PER_TARGET);
    if (result === 'no-policy') throw this.policyNotFound(name);
    if (result === 'limit') {
      throw new TopicdError('LimitExceededException',
        `The target ${canonical} already has the maximum number of policies attached (${MAX_POLICIES_PER_TARGET}).`);
    }
    if (result === 'attached') this.view.attach(name, canonical);
  }

  /** AWS: detaching a policy that is not attached succeeds; the policy itself must exist. */
  async detachPolicy(policyName: string, target: string): Promise<void> {
    const row = await this.getRow(policyName);
    const canonical = this.canonicalTarget(target);
    if (await this.store.policies.detach(row.policyName, canonical)) this.view.detach(row.policyName, canonical);
  }

  async listAttachedPolicies(target: string, input: MarkerPaging): Promise<{ policies: PolicySummary[]; nextMarker?: string }> {
    const limit = checkPageSize(input.pageSize, 'pageSize', LIST_MAX, LIST_DEFAULT);
    const canonical = await this.resolveTarget(target);
    const page = await this.store.policies.policiesOf(canonical, { after: input.marker, limit, ascending: input.isAscendingOrder !== false });
    const policies = page.items.map((name) => this.summary(name));
    return page.next === null ? { policies } : { policies, nextMarker: page.next };
  }

  async listTargetsForPolicy(policyName: string, input: MarkerPaging): Promise<{ targets: string[]; nextMarker?: string }> {
    const limit = checkPageSize(input.pageSize, 'pageSize', LIST_MAX, LIST_DEFAULT);
    const row = await this.getRow(policyName);
    const page = await this.store.policies.targetsOf(row.policyName, { after: input.marker, limit });
    return page.next === null ? { targets: page.items } : { targets: page.items, nextMarker: page.next };
  }

  // ---- questions ----

  /**
   * AWS: the policies that apply to the principal: its own attached policies (and those of the
   * thing's groups, of which topicd has none yet). A named thing must exist.
   */
  async getEffectivePolicies(input: { principal?: string | undefined; cognitoIdentityPoolId?: string | undefined; thingName?: string | undefined }):
    Promise<{ effectivePolicies: Array<PolicySummary & { policyDocument: string }> }> {
    if (input.principal === undefined || input.principal === '') {
      throw invalidRequest("1 validation error detected: Value 'null' at 'principal' failed to satisfy constraint: Member must not be null");
    }
    const target = await this.resolveTarget(input.principal);
    if (input.thingName !== undefined) {
      const thingName = checkThingName(input.thingName);
      if (!(await this.store.things.get(thingName))) throw notFound(`Thing ${thingName} cannot be found.`);
    }
    const effectivePolicies: Array<PolicySummary & { policyDocument: string }> = [];
    for (const name of await this.attachedNames(target)) {
      const row = await this.store.policies.get(name);
      const version = row && await this.store.policies.getVersion(name, row.defaultVersionId);
      if (version) effectivePolicies.push({ ...this.summary(name), policyDocument: version.document });
    }
    return { effectivePolicies };
  }

  /**
   * AWS TestAuthorization: each authInfo's action on each of its resources, decided by the policy
   * engine over the principal's policies (plus policyNamesToAdd, minus policyNamesToSkip), in the
   * context of clientId, the certificate's subject and issuer, and the thing named by clientId.
   * The decision is ALLOWED only when every resource is allowed, EXPLICIT_DENY when any is denied
   * by a statement. The policy lists say, per policy on its own, which allowed or denied.
   */
  async testAuthorization(input: TestAuthorizationInput): Promise<{ authResults: AuthResult[] }> {
    const requests = checkAuthInfos(input.authInfos);

    let context: PolicyContext = input.clientId === undefined ? {} : { clientId: input.clientId };
    let policies: CompiledPolicy[] = [];
    if (input.principal !== undefined && input.principal !== '') {
      const target = await this.resolveTarget(input.principal);
      policies = [...this.view.policiesOf(target)];
      const certificate = await this.certificateOf(target);
      if (certificate !== undefined) {
        let names: ReturnType<typeof certificateNameFields> = { subject: {}, issuer: {} };
        try {
          names = certificateNameFields(new X509Certificate(certificate.pem));
        } catch {
          // A stored PEM node cannot read leaves the name variables unresolved, as an absent key.
        }
        context = { ...context, certificate: { id: certificate.id, ...names } };
      }
      const thing = input.clientId === undefined ? undefined : this.view.thing(input.clientId, target);
      if (thing !== undefined) context = { ...context, thing };
    }
    for (const name of input.policyNamesToAdd ?? []) {
      if (policies.some((p) => p.name === name)) continue;
      const row = await this.getRow(name);
      const version = await this.getVersionRow(row.policyName, row.defaultVersionId);
      policies.push(compilePolicy(row.policyName, version.document));
    }
    const skip = new Set(input.policyNamesToSkip ?? []);
    policies = policies.filter((p) => !skip.has(p.name));

    const authResults = authResultsFor(requests, policies, context, (name) => this.summary(name));
    return { authResults };
  }

  // ---- used by Registry ----

  /** Policy names attached to a target, every page. */
  async attachedNames(target: string): Promise<string[]> {
    const names: string[] = [];
    let after: string | undefined;
    do {
      const page = await this.store.policies.policiesOf(target, { after, limit: LIST_MAX });
      names.push(...page.items);
      after = page.next ?? undefined;
    } while (after !== undefined);
    return names;
  }

  // ---- helpers ----

  /** The canonical stored form of a target, checking it exists (ResourceNotFound otherwise). */
  private async resolveTarget(target: string): Promise<string> {
    const kind = this.kinds.find((k) => k.matches(target));
    if (kind) return kind.resolve(target);
    const canonical = this.canonicalTarget(target);
    const certificateId = canonical.slice(canonical.lastIndexOf('/') + 1);
    if (!(await this.store.certificates.get(certificateId))) throw notFound(`The certificate ${certificateId} does not exist.`);
    return canonical;
  }

  /** A certificate ARN of this account, id lowercased as AWS makes them; no existence check. */
  private canonicalTarget(target: string): string {
    if (typeof target !== 'string' || target === '') {
      throw invalidRequest("1 validation error detected: Value 'null' at 'target' failed to satisfy constraint: Member must not be null");
    }
    if (this.kinds.some((k) => k.matches(target))) return target;
    const arn = parseCertificateArn(target);
    if (arn.region !== this.region || arn.accountId !== this.accountId) {
      throw notFound(`The principal ${target} does not exist in account ${this.accountId}, region ${this.region}.`);
    }
    return `arn:aws:iot:${this.region}:${this.accountId}:cert/${arn.certificateId}`;
  }

  private async certificateOf(target: string): Promise<{ id: string; pem: string } | undefined> {
    const prefix = `arn:aws:iot:${this.region}:${this.accountId}:cert/`;
    if (!target.startsWith(prefix)) return undefined;
    const row = await this.store.certificates.get(target.slice(prefix.length));
    return row && { id: row.certificateId, pem: row.certificatePem };
  }

  private async getRow(policyName: string): Promise<PolicyRow> {
    const name = checkPolicyName(policyName);
    const row = await this.store.policies.get(name);
    if (!row) throw this.policyNotFound(name);
    return row;
  }

  private async getVersionRow(policyName: string, policyVersionId: string): Promise<PolicyVersionRow> {
    const id = checkPolicyVersionId(policyVersionId);
    const version = await this.store.policies.getVersion(policyName, id);
    if (!version) throw notFound(`Policy version ${id} of policy ${policyName} does not exist.`);
    return version;
  }

  private summary(policyName: string): PolicySummary {
    return { policyName, policyArn: this.policyArn(policyName) };
  }

  private policyNotFound(policyName: string): TopicdError {
    return notFound(`Policy ${policyName} does not exist.`);
  }

  private attachedConflict(policyName: string): TopicdError {
    // AWS's wording.
    return new TopicdError('DeleteConflictException', `The policy cannot be deleted as the policy is attached to one or more principals (name=${policyName})`);
  }

  private contended(policyName: string): TopicdError {
    return new TopicdError('ConflictException', `Policy ${policyName} is being changed by other requests; try again.`);
  }
}
