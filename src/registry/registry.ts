/**
 * @module registry/registry
 * The registry: AWS IoT's rules for things, certificates and thing-principal attachments over the
 * Store, with AWS's error types and messages. It also keeps every certificate's status in memory for
 * the transports' per-connection check, updated with each write it makes, and tells listeners of
 * every status change and deletion (after the store write) so live connections can be cut.
 * Policies are PolicyRegistry's (composed here as `policies`); every write here and there that can
 * change a policy decision is mirrored into the in-memory AuthorizationView (`authorization`).
 *
 * Thing writes are compare-and-set on the version (the store refuses a stale one) and retried, so two
 * concurrent updates cannot both win, even across nodes sharing a store.
 */
import { randomUUID } from 'node:crypto';
import { TopicdError, alreadyExists, invalidRequest, notFound } from '../errors.js';
import type { CertificateAuthorityApi, IssuedCertificate } from '../pki/types.js';
import { CERTIFICATE_STATUSES } from '../store/store.js';
import type { CertificateRow, CertificateStatus, Store, ThingRow } from '../store/store.js';
import type {
  CertificateChange, CertificateDescription, CertificateSummary, CreateThingInput, CreatedCertificate,
  CreatedKeysAndCertificate, ListCertificatesInput, ListThingsInput, PagingInput, RegistryApi, ThingDescription,
  UpdateThingInput,
} from './types.js';
import { ThingTypeRegistry } from './thing-type-registry.js';
import { RegistryAuthorizationView } from './authorization-view.js';
import type { AuthorizationView } from './authorization-view.js';
import { PolicyRegistry } from './policy-registry.js';
import type { PolicyRegistryApi } from './policy-types.js';
import {
  checkAttributeCount, checkAttributes, checkCertificateId, checkPageSize, checkThingName, checkThingTypeName,
  parseCertificateArn,
} from './validation.js';

export interface RegistryOptions {
  store: Store;
  ca: CertificateAuthorityApi;
  accountId: string;
  region: string;
  /** Epoch milliseconds; injected so tests control time. */
  clock?: () => number;
  /**
   * Where a throwing certificate-change listener's error goes. Listeners run after the write is
   * durable, so their failure must neither stop the other listeners nor fail the caller's request.
   * Defaults to a process warning.
   */
  onListenerError?: (err: unknown) => void;
}

/** AWS: ListThings maxResults 1..250, default 50. */
const LIST_THINGS_MAX = 250;
const LIST_THINGS_DEFAULT = 50;
/** AWS: ListCertificates pageSize 1..250; 25 when not given. */
const LIST_CERTIFICATES_MAX = 250;
const LIST_CERTIFICATES_DEFAULT = 25;
/** AWS: ListThingPrincipals and ListPrincipalThings maxResults 1..250. */
const LIST_ATTACHMENTS_MAX = 250;
const LIST_ATTACHMENTS_DEFAULT = 25;
/** AWS: CreateCertificateFromCsr certificateSigningRequest is 1..4096 characters. */
const CSR_MAX = 4096;
/** Compare-and-set attempts before a write gives up under sustained contention. */
const WRITE_ATTEMPTS = 20;

/** AWS: UpdateCertificate rejects these outright (they are set by transfer and JITP flows only). */
const NOT_SETTABLE: ReadonlySet<CertificateStatus> = new Set(['PENDING_TRANSFER', 'PENDING_ACTIVATION']);

/** Empty values mean "no such attribute" everywhere (AWS: an empty value removes an attribute on merge). */
function withoutEmpty(attributes: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== ''));
}

function sameAttributes(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && b[key] === a[key]);
}

const seconds = (ms: number): number => ms / 1000;

export class Registry implements RegistryApi {
  readonly accountId: string;
  readonly region: string;
  readonly thingTypes: ThingTypeRegistry;
  private readonly store: Store;
  private readonly ca: CertificateAuthorityApi;
  private readonly clock: () => number;
  private readonly onListenerError: (err: unknown) => void;
  private readonly statuses = new Map<string, CertificateStatus>();
  private readonly listeners = new Set<(change: CertificateChange) => void>();
  private readonly view: RegistryAuthorizationView;
  private readonly policyRegistry: PolicyRegistry;

  constructor(options: RegistryOptions) {
    this.store = options.store;
    this.ca = options.ca;
    this.accountId = options.accountId;
    this.region = options.region;
    this.clock = options.clock ?? Date.now;
    this.onListenerError = options.onListenerError
      ?? ((err) => process.emitWarning(`certificate change listener failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`));
    this.thingTypes = new ThingTypeRegistry({ store: this.store, accountId: this.accountId, region: this.region, clock: this.clock });
    this.view = new RegistryAuthorizationView(this.onListenerError);
    this.policyRegistry = new PolicyRegistry({ store: this.store, accountId: this.accountId, region: this.region, clock: this.clock, view: this.view });
    // topicd's extension: policies attach to access keys too, so SigV4 callers are authorized as devices are.
    const accessKeyPrefix = this.accessKeyArn('');
    this.policyRegistry.addTargetKind({
      matches: (target) => target.startsWith(accessKeyPrefix),
      resolve: async (target) => {
        if (!(await this.store.accessKeys.get(target.slice(accessKeyPrefix.length)))) throw notFound(`The access key ${target} does not exist.`);
        return target;
      },
    });
  }

  /** Policies, versions and attachments (registry/policy-registry.ts). */
  get policies(): PolicyRegistryApi {
    return this.policyRegistry;
  }

  /** Hot path: policies and things for enforcement, in memory, kept current by every write here. */
  get authorization(): AuthorizationView {
    return this.view;
  }

  /** Loads every certificate's status for `certificateStatus`; call once before serving. */
  async init(): Promise<void> {
    const rows = await this.store.certificates.listStatuses();
    this.statuses.clear();
    for (const { certificateId, status } of rows) this.statuses.set(certificateId, status);
    await this.view.load(this.store);
  }

  thingArn(thingName: string): string {
    return `arn:aws:iot:${this.region}:${this.accountId}:thing/${thingName}`;
  }

  certificateArn(certificateId: string): string {
    return `arn:aws:iot:${this.region}:${this.accountId}:cert/${certificateId}`;
  }

  accessKeyArn(accessKeyId: string): string {
    return `arn:aws:iot:${this.region}:${this.accountId}:accesskey/${accessKeyId}`;
  }

  // ---- things ----

  /**
   * AWS: CreateThing is idempotent for the same configuration; a different one is ResourceAlreadyExists.
   * A named thing type must exist (ResourceNotFound) and not be deprecated (InvalidRequest).
   */
  async createThing(input: CreateThingInput): Promise<{ thingName: string; thingArn: string; thingId: string }> {
    const thingName = checkThingName(input.thingName);
    const thingTypeName = input.thingTypeName === undefined ? null : checkThingTypeName(input.thingTypeName);
    const attributes = withoutEmpty(input.attributes === undefined ? {} : checkAttributes(input.attributes));
    checkAttributeCount(attributes, thingTypeName !== null);
    if (thingTypeName !== null) await this.thingTypes.checkAssignable(thingTypeName);
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const existing = await this.store.things.get(thingName);
      if (existing) {
        if (existing.thingTypeName === thingTypeName && sameAttributes(existing.attributes, attributes)) {
          return { thingName, thingArn: this.thingArn(thingName), thingId: existing.thingId };
        }
        throw alreadyExists(`Thing ${thingName} already exists in account with different attributes`, existing.thingId, this.thingArn(thingName));
      }
      const row: ThingRow = { thingName, thingId: randomUUID(), thingTypeName, attributes, version: 1, creationDate: this.clock() };
      if (await this.store.things.insert(row)) {
        this.view.setThing(row);
        return { thingName, thingArn: this.thingArn(thingName), thingId: row.thingId };
      }
    }
    throw this.contended(thingName);
  }

  async describeThing(thingName: string): Promise<ThingDescription> {
    const row = await this.store.things.get(checkThingName(thingName));
    if (!row) throw this.thingNotFound(thingName);
    return {
      defaultClientId: row.thingName,
      thingName: row.thingName,
      thingId: row.thingId,
      thingArn: this.thingArn(row.thingName),
      ...(row.thingTypeName === null ? {} : { thingTypeName: row.thingTypeName }),
      attributes: { ...row.attributes },
      version: row.version,
    };
  }

  async listThings(input: ListThingsInput): Promise<{ things: Array<Omit<ThingDescription, 'thingId' | 'defaultClientId'>>; nextToken?: string }> {
    const limit = checkPageSize(input.maxResults, 'maxResults', LIST_THINGS_MAX, LIST_THINGS_DEFAULT);
    const page = await this.store.things.list({ after: input.nextToken, limit }, {
      attributeName: input.attributeName,
      attributeValue: input.attributeValue,
      thingTypeName: input.thingTypeName,
      usePrefixAttributeValue: input.usePrefixAttributeValue,
    });
    const things = page.items.map((row) => ({
      thingName: row.thingName,
      thingArn: this.thingArn(row.thingName),
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
      const current = await this.store.things.get(thingName);
      if (!current) throw this.thingNotFound(thingName);
      this.checkVersion(current, input.expectedVersion);
      let nextAttributes = current.attributes;
      if (attributes !== undefined) {
        nextAttributes = input.merge ? withoutEmpty({ ...current.attributes, ...attributes }) : withoutEmpty(attributes);
      }
      const nextType = input.removeThingType ? null : (thingTypeName ?? current.thingTypeName);
      checkAttributeCount(nextAttributes, nextType !== null);
      if (nextType !== null && nextType !== current.thingTypeName) await this.thingTypes.checkAssignable(nextType);
      const next: ThingRow = { ...current, thingTypeName: nextType, attributes: nextAttributes, version: current.version + 1 };
      if (await this.store.things.update(next, current.version)) {
        this.view.setThing(next);
        return;
      }
    }
    throw this.contended(thingName);
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
      const current = await this.store.things.get(thingName);
      if (!current) return;
      this.checkVersion(current, expectedVersion);
      const attached = await this.store.thingPrincipals.principalsOf(thingName, { limit: 1 });
      if (attached.items.length > 0) {
        throw invalidRequest(`Cannot delete. Thing ${thingName} is still attached to one or more principals`);
      }
      if (await this.store.things.delete(thingName, current.version)) {
        this.view.deleteThing(thingName);
        return;
      }
    }
    throw this.contended(thingName);
  }

  // ---- certificates ----

  async createKeysAndCertificate(setAsActive: boolean): Promise<CreatedKeysAndCertificate> {
    const issued = await this.ca.createKeysAndCertificate();
    const created = await this.register(issued, setAsActive);
    return { ...created, keyPair: { PublicKey: issued.publicKeyPem, PrivateKey: issued.privateKeyPem } };
  }

  async createCertificateFromCsr(csrPem: string, setAsActive: boolean): Promise<CreatedCertificate> {
    if (typeof csrPem !== 'string' || csrPem.length < 1 || csrPem.length > CSR_MAX) {
      throw invalidRequest(`1 validation error detected: Value at 'certificateSigningRequest' failed to satisfy constraint: Member must have length between 1 and ${CSR_MAX}`);
    }
    return this.register(await this.ca.signCsr(csrPem), setAsActive);
  }

  private async register(issued: IssuedCertificate, setAsActive: boolean): Promise<CreatedCertificate> {
    const now = this.clock();
    // Serials are random, so the same DER twice means a broken CA, not a user mistake.
    const arn = await this.insertCertificate({
      certificateId: issued.certificateId,
      certificatePem: issued.certificatePem,
      status: setAsActive ? 'ACTIVE' : 'INACTIVE',
      caCertificateId: this.ca.rootCertificateId,
      ownedBy: this.accountId,
      certificateMode: 'DEFAULT',
      creationDate: now,
      lastModifiedDate: now,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      customerVersion: 1,
      generationId: randomUUID(),
    });
    return { certificateArn: arn, certificateId: issued.certificateId, certificatePem: issued.certificatePem };
  }

  /**
   * Stores a new certificate and tracks its status; resolves its ARN. Also the door for certificates
   * topicd did not issue (RegisterCertificate, auto-registration: registry/ca-registry.ts).
   * AWS: registering the same certificate twice is ResourceAlreadyExistsException.
   */
  async insertCertificate(row: CertificateRow): Promise<string> {
    const arn = this.certificateArn(row.certificateId);
    if (!(await this.store.certificates.insert(row))) throw alreadyExists('The certificate is already registered.', row.certificateId, arn);
    this.statuses.set(row.certificateId, row.status);
    return arn;
  }

  /** A certificate as ListCertificates (and ListCertificatesByCA) show it. */
  certificateSummary(row: CertificateRow): CertificateSummary {
    return {
      certificateArn: this.certificateArn(row.certificateId),
      certificateId: row.certificateId,
      status: row.status,
      certificateMode: row.certificateMode,
      creationDate: seconds(row.creationDate),
    };
  }

  async describeCertificate(certificateId: string): Promise<CertificateDescription> {
    const row = await this.getCertificate(certificateId);
    return {
      certificateArn: this.certificateArn(row.certificateId),
      certificateId: row.certificateId,
      ...(row.caCertificateId === null ? {} : { caCertificateId: row.caCertificateId }),
      status: row.status,
      certificatePem: row.certificatePem,
      ownedBy: row.ownedBy,
      creationDate: seconds(row.creationDate),
      lastModifiedDate: seconds(row.lastModifiedDate),
      customerVersion: row.customerVersion,
      generationId: row.generationId,
      validity: { notBefore: seconds(row.notBefore), notAfter: seconds(row.notAfter) },
      certificateMode: row.certificateMode,
    };
  }

  /** AWS: newest first unless isAscendingOrder. */
  async listCertificates(input: ListCertificatesInput): Promise<{ certificates: CertificateSummary[]; nextMarker?: string }> {
    const limit = checkPageSize(input.pageSize, 'pageSize', LIST_CERTIFICATES_MAX, LIST_CERTIFICATES_DEFAULT);
    const page = await this.store.certificates.list({ after: input.marker, limit, ascending: input.isAscendingOrder === true });
    const certificates = page.items.map((row) => this.certificateSummary(row));
    return page.next === null ? { certificates } : { certificates, nextMarker: page.next };
  }

  /**
   * AWS: PENDING_TRANSFER and PENDING_ACTIVATION cannot be set; REVOKED is final (a revoked
   * certificate cannot be made usable again), so any change away from it is CertificateStateException.
   */
  async updateCertificate(certificateId: string, newStatus: string): Promise<void> {
    const id = checkCertificateId(certificateId);
    if (!(CERTIFICATE_STATUSES as readonly string[]).includes(newStatus)) {
      throw invalidRequest(`1 validation error detected: Value '${newStatus}' at 'newStatus' failed to satisfy constraint: Member must satisfy enum value set: [${CERTIFICATE_STATUSES.join(', ')}]`);
    }
    const status = newStatus as CertificateStatus;
    if (NOT_SETTABLE.has(status)) throw invalidRequest(`Certificate status cannot be set to ${status}.`);
    const row = await this.getCertificate(id);
    if (row.status === status) return;
    if (row.status === 'REVOKED') {
      throw new TopicdError('CertificateStateException', `Certificate ${id} is REVOKED; a revoked certificate cannot change status.`);
    }
    if (row.status === 'PENDING_TRANSFER') {
      throw new TopicdError('CertificateStateException', `Certificate ${id} has a transfer pending; its status cannot change.`);
    }
    if (!(await this.store.certificates.setStatus(id, status, this.clock()))) throw this.certificateNotFound(id);
    this.statuses.set(id, status);
    this.view.certificateChanged(this.certificateArn(id), false);
    this.emit({ certificateId: id, status });
  }

  /**
   * AWS: an ACTIVE certificate is not deleted (406), nor one attached to a thing or a policy (409).
   * `forceDelete` follows AWS's definition, "forces the deletion of a certificate if it is inactive
   * and is not attached to an IoT thing": it overrides only policy attachments, which go with it.
   */
  async deleteCertificate(certificateId: string, forceDelete: boolean): Promise<void> {
    const id = checkCertificateId(certificateId);
    const row = await this.getCertificate(id);
    if (row.status === 'ACTIVE') {
      throw new TopicdError('CertificateStateException', `Certificate must be deactivated (not ACTIVE) before deletion. Id: ${id}`);
    }
    const arn = this.certificateArn(id);
    if ((await this.store.thingPrincipals.countThingsOf(arn)) > 0) {
      throw new TopicdError('DeleteConflictException', `Things must be detached before deletion (arn: ${arn})`);
    }
    if (!forceDelete && (await this.store.policies.countPoliciesOf(arn)) > 0) {
      throw new TopicdError('DeleteConflictException', `Certificate policies must be detached before deletion (arn: ${arn})`);
    }
    if (!(await this.store.certificates.delete(id))) throw this.certificateNotFound(id);
    // After the delete, so an attach that raced the checks above goes with the rest (forced or not).
    await this.store.policies.detachAllOfTarget(arn);
    this.statuses.delete(id);
    this.view.certificateChanged(arn, true);
    this.emit({ certificateId: id, status: undefined });
  }

  // ---- thing principals ----

  /** AWS: attaching twice is not an error. Attachments are kept under the canonical ARN. */
  async attachThingPrincipal(thingName: string, principal: string): Promise<void> {
    checkThingName(thingName);
    const certificateId = this.ownCertificateOf(principal);
    if (!(await this.store.things.get(thingName))) throw this.thingNotFound(thingName);
    await this.getCertificate(certificateId);
    await this.store.thingPrincipals.attach(thingName, this.certificateArn(certificateId));
    this.view.attachThingPrincipal(thingName, this.certificateArn(certificateId));
  }

  /** AWS: detaching a principal that is not attached succeeds. */
  async detachThingPrincipal(thingName: string, principal: string): Promise<void> {
    checkThingName(thingName);
    const arn = parseCertificateArn(principal);
    if (!(await this.store.things.get(thingName))) throw this.thingNotFound(thingName);
    // Another account's certificate can never have been attached here: nothing to do.
    if (arn.region !== this.region || arn.accountId !== this.accountId) return;
    if (await this.store.thingPrincipals.detach(thingName, this.certificateArn(arn.certificateId))) {
      this.view.detachThingPrincipal(thingName, this.certificateArn(arn.certificateId));
    }
  }

  async listThingPrincipals(thingName: string, input: PagingInput): Promise<{ principals: string[]; nextToken?: string }> {
    checkThingName(thingName);
    const limit = checkPageSize(input.maxResults, 'maxResults', LIST_ATTACHMENTS_MAX, LIST_ATTACHMENTS_DEFAULT);
    if (!(await this.store.things.get(thingName))) throw this.thingNotFound(thingName);
    const page = await this.store.thingPrincipals.principalsOf(thingName, { after: input.nextToken, limit });
    return page.next === null ? { principals: page.items } : { principals: page.items, nextToken: page.next };
  }

  async listPrincipalThings(principal: string, input: PagingInput): Promise<{ things: string[]; nextToken?: string }> {
    const certificateId = this.ownCertificateOf(principal);
    const limit = checkPageSize(input.maxResults, 'maxResults', LIST_ATTACHMENTS_MAX, LIST_ATTACHMENTS_DEFAULT);
    await this.getCertificate(certificateId);
    const page = await this.store.thingPrincipals.thingsOf(this.certificateArn(certificateId), { after: input.nextToken, limit });
    return page.next === null ? { things: page.items } : { things: page.items, nextToken: page.next };
  }

  // ---- hot path ----

  certificateStatus(certificateId: string): CertificateStatus | undefined {
    return this.statuses.get(certificateId);
  }

  onCertificateChange(listener: (change: CertificateChange) => void): () => void {
    // A wrapper makes each subscription distinct, so subscribing one function twice needs two unsubscribes.
    const entry = (change: CertificateChange): void => listener(change);
    this.listeners.add(entry);
    return () => { this.listeners.delete(entry); };
  }

  // ---- helpers ----

  private emit(change: CertificateChange): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  private checkVersion(row: ThingRow, expectedVersion: number | undefined): void {
    if (expectedVersion !== undefined && row.version !== expectedVersion) {
      throw new TopicdError('VersionConflictException', `The version for thing ${row.thingName} does not match the expected version.`);
    }
  }

  /** The certificate id of a certificate ARN of this account and region; another's cannot exist here. */
  private ownCertificateOf(principal: string): string {
    const arn = parseCertificateArn(principal);
    if (arn.region !== this.region || arn.accountId !== this.accountId) {
      throw notFound(`The principal ${principal} does not exist in account ${this.accountId}, region ${this.region}.`);
    }
    return arn.certificateId;
  }

  private async getCertificate(certificateId: string): Promise<CertificateRow> {
    const id = checkCertificateId(certificateId);
    const row = await this.store.certificates.get(id);
    if (!row) throw this.certificateNotFound(id);
    return row;
  }

  private thingNotFound(thingName: string): TopicdError {
    return notFound(`Thing ${thingName} cannot be found.`);
  }

  private certificateNotFound(certificateId: string): TopicdError {
    return notFound(`The certificate ${certificateId} does not exist.`);
  }

  private contended(thingName: string): TopicdError {
    return new TopicdError('ConflictException', `Thing ${thingName} is being changed by other requests; try again.`);
  }
}
