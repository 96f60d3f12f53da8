/**
 * @module store
 * The Store port: everything topicd keeps durably. Backends (`sqlite/` now, `postgres/` for a cluster)
 * implement it and pass the one contract suite in test/unit/store-contract.ts. Methods are grouped by
 * noun. Everything is async so that a networked backend fits the same port. The Store validates nothing
 * about AWS rules: that is the registry's job.
 *
 * Durability is part of the contract, not an accident of one backend: a write's promise settles only
 * once the write is durable (committed), and `afterDurable` orders work (a socket flush carrying a
 * PUBACK or an HTTP 200) after every write issued before it. Nothing is acknowledged to a client
 * before that. How writes are batched (per event-loop turn, in SQLite) lives behind the port.
 */
import type { Page, PageRequest } from './paging.js';
import type { NodeLeaseStore, RetainedStore, SessionStore, ShadowStore } from './message-nouns.js';

export type { Page, PageRequest } from './paging.js';
// The broker's and services' nouns (retained, sessions, shadows, node leases) are in message-nouns.ts.
export type * from './message-nouns.js';
export { CLASSIC_SHADOW } from './message-nouns.js';

export type CertificateStatus =
  | 'ACTIVE'
  | 'INACTIVE'
  | 'REVOKED'
  | 'PENDING_TRANSFER'
  | 'REGISTER_INACTIVE'
  | 'PENDING_ACTIVATION';

export const CERTIFICATE_STATUSES: readonly CertificateStatus[] = [
  'ACTIVE', 'INACTIVE', 'REVOKED', 'PENDING_TRANSFER', 'REGISTER_INACTIVE', 'PENDING_ACTIVATION',
];

export interface ThingRow {
  thingName: string;
  thingId: string;
  thingTypeName: string | null;
  attributes: Record<string, string>;
  version: number;
  /** Epoch milliseconds. */
  creationDate: number;
}

export interface CertificateRow {
  /** Lowercase hex SHA-256 of the DER. */
  certificateId: string;
  certificatePem: string;
  status: CertificateStatus;
  /** Id of the CA certificate that issued it, when that CA is registered (or topicd's own root). */
  caCertificateId: string | null;
  /** The account that owns it. */
  ownedBy: string;
  certificateMode: 'DEFAULT' | 'SNI_ONLY';
  /** Epoch milliseconds. */
  creationDate: number;
  lastModifiedDate: number;
  /** Validity, epoch milliseconds. */
  notBefore: number;
  notAfter: number;
  customerVersion: number;
  generationId: string;
}

export interface AccessKeyRow {
  accessKeyId: string;
  secretAccessKey: string;
  /** Epoch milliseconds. */
  createdAt: number;
  /** The admin key topicd made at the first start; the API never deletes it. */
  isAdmin: boolean;
}

/** A thing type (AWS CreateThingType). Properties are kept as AWS sends them; the registry checks them. */
export interface ThingTypeRow {
  thingTypeName: string;
  thingTypeId: string;
  description: string | null;
  searchableAttributes: string[];
  /** AWS's mqtt5Configuration structure as JSON text (opaque to the store), or null. */
  mqtt5Configuration: string | null;
  tags: Array<{ Key: string; Value: string }>;
  deprecated: boolean;
  /** Epoch milliseconds; null unless deprecated. */
  deprecationDate: number | null;
  /** Epoch milliseconds. */
  creationDate: number;
}

export interface ThingFilter {
  attributeName?: string | undefined;
  attributeValue?: string | undefined;
  thingTypeName?: string | undefined;
  /** AWS ListThings usePrefixAttributeValue: attributeValue matches the start of the value. */
  usePrefixAttributeValue?: boolean | undefined;
}

export interface ThingStore {
  get(thingName: string): Promise<ThingRow | undefined>;
  /** Inserts; resolves false (and changes nothing) when the name is taken. */
  insert(thing: ThingRow): Promise<boolean>;
  /**
   * Replaces the row with the same name; resolves false when it does not exist or, when `ifVersion` is
   * given, when the stored version differs (a compare-and-set, so concurrent updates cannot both win).
   */
  update(thing: ThingRow, ifVersion?: number): Promise<boolean>;
  /** Resolves false when it does not exist or, when `ifVersion` is given, when the stored version differs. */
  delete(thingName: string, ifVersion?: number): Promise<boolean>;
  list(page: PageRequest, filter?: ThingFilter): Promise<Page<ThingRow>>;
}

export interface CertificateStore {
  get(certificateId: string): Promise<CertificateRow | undefined>;
  insert(cert: CertificateRow): Promise<boolean>;
  setStatus(certificateId: string, status: CertificateStatus, at: number): Promise<boolean>;
  delete(certificateId: string): Promise<boolean>;
  /** Ordered by creation date (then id). */
  list(page: PageRequest): Promise<Page<CertificateRow>>;
  /** Every certificate's id and status, for the registry's in-memory hot-path map (no PEMs loaded). */
  listStatuses(): Promise<Array<{ certificateId: string; status: CertificateStatus }>>;
}

/** Thing <-> principal attachments. A principal is an ARN (a certificate's, for now). */
export interface ThingPrincipalStore {
  attach(thingName: string, principal: string): Promise<void>;
  detach(thingName: string, principal: string): Promise<boolean>;
  principalsOf(thingName: string, page: PageRequest): Promise<Page<string>>;
  thingsOf(principal: string, page: PageRequest): Promise<Page<string>>;
  /** Removes every attachment of the thing or principal (used on delete). */
  detachAllOfThing(thingName: string): Promise<void>;
  countThingsOf(principal: string): Promise<number>;
}

export interface AccessKeyStore {
  get(accessKeyId: string): Promise<AccessKeyRow | undefined>;
  insert(key: AccessKeyRow): Promise<void>;
  list(): Promise<AccessKeyRow[]>;
  delete(accessKeyId: string): Promise<boolean>;
}

export interface ThingTypeStore {
  get(thingTypeName: string): Promise<ThingTypeRow | undefined>;
  /** Inserts; resolves false (and changes nothing) when the name is taken. */
  insert(thingType: ThingTypeRow): Promise<boolean>;
  /** Replaces the row with the same name; resolves false when it does not exist. */
  update(thingType: ThingTypeRow): Promise<boolean>;
  delete(thingTypeName: string): Promise<boolean>;
  /** In name order; `thingTypeName` keeps only that one type. */
  list(page: PageRequest, filter?: { thingTypeName?: string | undefined }): Promise<Page<ThingTypeRow>>;
}

export interface PolicyRow {
  policyName: string;
  /** The default version's id ("1", "2", ...). */
  defaultVersionId: string;
  /** The highest version number ever given; new versions count on from it, so ids are never reused. */
  lastVersion: number;
  /** Changes on every write to the policy, so writes can be compare-and-set on it. */
  generationId: string;
  /** Epoch milliseconds. */
  creationDate: number;
  lastModifiedDate: number;
}

export interface PolicyVersionRow {
  policyName: string;
  versionId: string;
  /** The document exactly as it was given (AWS returns it as sent). */
  document: string;
  /** Epoch milliseconds. */
  creationDate: number;
}

/** How `PolicyStore.attach` went: done, already attached, the target is at `limit`, or no such policy. */
export type PolicyAttachResult = 'attached' | 'already-attached' | 'limit' | 'no-policy';

/**
 * Policies, their versions and their attachments to targets. A target is an opaque string to the
 * store (a certificate ARN, an access-key or thing-group ARN). Two integrity rules hold atomically
 * here because a check-then-write in the registry could race: an attachment never outlives its
 * policy (attach needs the policy, delete refuses an attached one) and a target's attachment count
 * never passes the limit the caller gives.
 */
export interface PolicyStore {
  get(policyName: string): Promise<PolicyRow | undefined>;
  /** Inserts the policy with its first version; resolves false (changing nothing) when the name is taken. */
  insert(policy: PolicyRow, firstVersion: PolicyVersionRow): Promise<boolean>;
  /**
   * Replaces the policy row, adding and/or removing one version in the same transaction, when the
   * stored generationId is still `ifGenerationId` (compare-and-set); false otherwise or when unknown.
   */
  update(policy: PolicyRow, ifGenerationId: string, change?: { add?: PolicyVersionRow; remove?: string }): Promise<boolean>;
  /**
   * Deletes the policy and its versions when its generationId is still `ifGenerationId` and it is
   * attached to nothing; false otherwise.
   */
  delete(policyName: string, ifGenerationId: string): Promise<boolean>;
  /** Ordered by name. */
  list(page: PageRequest): Promise<Page<PolicyRow>>;
  getVersion(policyName: string, versionId: string): Promise<PolicyVersionRow | undefined>;
  /** Every version of the policy (AWS keeps at most five), in version order. */
  versions(policyName: string): Promise<PolicyVersionRow[]>;
  /** Every policy's default version, for the registry's in-memory authorization view. */
  defaultVersions(): Promise<PolicyVersionRow[]>;

  attach(policyName: string, target: string, limit: number): Promise<PolicyAttachResult>;
  detach(policyName: string, target: string): Promise<boolean>;
  /** Removes every attachment of the target (its deletion); resolves the policy names it had. */
  detachAllOfTarget(target: string): Promise<string[]>;
  /** Policy names attached to the target, by name. */
  policiesOf(target: string, page: PageRequest): Promise<Page<string>>;
  /** Targets the policy is attached to, in target order. */
  targetsOf(policyName: string, page: PageRequest): Promise<Page<string>>;
  countPoliciesOf(target: string): Promise<number>;
  /** Every attachment, for the registry's in-memory authorization view. */
  attachments(): Promise<Array<{ policyName: string; target: string }>>;
}

export type CaCertificateStatus = 'ACTIVE' | 'INACTIVE';
export type AutoRegistrationStatus = 'ENABLE' | 'DISABLE';

/** A CA certificate registered with RegisterCACertificate (bring your own CA). */
export interface CaCertificateRow {
  /** Lowercase hex SHA-256 of the DER. */
  certificateId: string;
  certificatePem: string;
  status: CaCertificateStatus;
  autoRegistrationStatus: AutoRegistrationStatus;
  ownedBy: string;
  certificateMode: 'DEFAULT' | 'SNI_ONLY';
  /** AWS's RegistrationConfig {templateBody, roleArn, templateName} as JSON, or null. Kept, not acted on. */
  registrationConfig: string | null;
  /** Epoch milliseconds. */
  creationDate: number;
  lastModifiedDate: number;
  /** Validity, epoch milliseconds. */
  notBefore: number;
  notAfter: number;
  customerVersion: number;
  generationId: string;
}

export interface CaCertificateStore {
  get(certificateId: string): Promise<CaCertificateRow | undefined>;
  /** Inserts; resolves false (and changes nothing) when the id is taken. */
  insert(ca: CaCertificateRow): Promise<boolean>;
  /** Replaces the row with the same id; resolves false when it does not exist. */
  update(ca: CaCertificateRow): Promise<boolean>;
  delete(certificateId: string): Promise<boolean>;
  /** Ordered by creation date (then id). */
  list(page: PageRequest): Promise<Page<CaCertificateRow>>;
  /** Every registered CA (the registry keeps them in memory for the TLS trust list). */
  all(): Promise<CaCertificateRow[]>;
  /** Certificates whose caCertificateId is this CA, ordered by creation date (then id). */
  certificatesOf(caCertificateId: string, page: PageRequest): Promise<Page<CertificateRow>>;
  countCertificatesOf(caCertificateId: string): Promise<number>;
  /** Ids of the certificates registered without a CA (certificateMode SNI_ONLY, no caCertificateId). */
  certificateIdsWithoutCa(): Promise<string[]>;
}

/** Small named values topicd keeps (the account id made at the first start, ...). */
export interface MetaStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

/** Orders acknowledgements after the writes they acknowledge. */
export interface Durability {
  /**
   * Runs `task(arg, true)` once every write issued before this call is durable, at the earliest at
   * the end of the current event-loop turn (so a turn's replies leave together), tasks in call order;
   * `task(arg, false)` when one of those writes failed: the caller must not acknowledge then.
   */
  afterDurable<T>(task: (arg: T, durable: boolean) => void, arg: T): void;
}

/**
 * Hears of each commit of a backend's write batch: the seconds from the batch's first write to its
 * commit's end (what a write waits before its acknowledgement may leave) and whether it committed.
 * The metrics' store write latency (observe/); the store knows nothing of who listens.
 */
export type CommitObserver = (seconds: number, committed: boolean) => void;

export interface Store extends Durability {
  readonly meta: MetaStore;
  readonly things: ThingStore;
  readonly thingTypes: ThingTypeStore;
  readonly certificates: CertificateStore;
  readonly thingPrincipals: ThingPrincipalStore;
  readonly caCertificates: CaCertificateStore;
  readonly accessKeys: AccessKeyStore;
  readonly policies: PolicyStore;
  readonly retained: RetainedStore;
  readonly sessions: SessionStore;
  readonly shadows: ShadowStore;
  /** A store several nodes share keeps their leases; absent in the embedded one. */
  readonly leases?: NodeLeaseStore | undefined;
  /** Sets who hears of commits (one observer: the node's metrics). */
  observeCommits(observer: CommitObserver): void;
  close(): Promise<void>;
}
