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

/** One page of a listing. `next` is an opaque token (the last key of the page), null on the last page. */
export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface PageRequest {
  /** Opaque token from a previous page's `next`; a token the backend did not make rejects with InvalidRequestException. */
  after?: string | undefined;
  limit: number;
  /** Listing order by key; ascending unless false. */
  ascending?: boolean | undefined;
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

/** A retained message: the last retained publish of its topic. */
export interface RetainedRow {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  /** MQTT 5 properties as the broker serialized them (opaque to the store), or null. */
  properties: string | null;
  /** Epoch milliseconds. */
  updatedAt: number;
}

export interface RetainedStore {
  /** Inserts or replaces the topic's retained message. */
  put(row: RetainedRow): Promise<void>;
  delete(topic: string): Promise<boolean>;
  get(topic: string): Promise<RetainedRow | undefined>;
  /** Every retained message (the broker loads them all at start). */
  all(): Promise<RetainedRow[]>;
}

/** A persistent MQTT session: what outlives its connection (subscriptions, undelivered QoS 1 messages). */
export interface SessionRow {
  clientId: string;
  /** Session Expiry Interval in seconds, as granted. */
  expirySeconds: number;
  /** Epoch milliseconds of the disconnect; null while connected. */
  disconnectedAt: number | null;
  /**
   * Who made the session: the principal key of its connection (a certificate id, `access-key:ID`,
   * `anonymous`); null when unknown (kept by an older topicd), which counts as authenticated.
   */
  owner: string | null;
}

export interface SessionSubscriptionRow {
  filter: string;
  qos: 0 | 1 | 2;
  /** MQTT 5 subscription options (No Local, Retain As Published bits); absent when 0. */
  options?: number;
  /** MQTT 5 Subscription Identifier; absent when none. */
  identifier?: number;
}

/** A QoS 1 or 2 message owed to a session, kept until the client acknowledges it. */
export interface SessionMessageRow {
  /** Order within the session; assigned by the broker. */
  seq: number;
  topic: string;
  payload: Buffer;
  /** The QoS of the delivery owed. */
  qos: 0 | 1 | 2;
  /** Subscription Identifiers the delivery carries; absent when none. */
  identifiers?: number[];
  /** QoS 2 once sent: the packet id, and whether PUBREC came (only PUBREL/PUBCOMP are left); absent before. */
  packetId?: number;
  released?: boolean;
  /** Opaque serialized MQTT 5 properties, or null. */
  properties: string | null;
  /** Epoch milliseconds after which it is no longer delivered (MQTT 5 message expiry), or null. */
  expiresAt: number | null;
}

export interface StoredSession {
  session: SessionRow;
  subscriptions: SessionSubscriptionRow[];
  messages: SessionMessageRow[];
  /** Inbound QoS 2: packet ids the client is still releasing (PUBREC sent, PUBREL not yet received), ascending. */
  awaitingRelease: number[];
}

/** An MQTT 5 will waiting for its Will Delay Interval, kept so that a restart still sends it. */
export interface PendingWillRow {
  clientId: string;
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** Opaque serialized MQTT 5 properties, or null. */
  properties: string | null;
  /** Epoch milliseconds when it is sent, unless the client id connects again first. */
  dueAt: number;
}

export interface SessionStore {
  /** Every session with its subscriptions and messages (in seq order), for the broker at start. */
  all(): Promise<StoredSession[]>;
  /** One session with its subscriptions and messages, as `all` gives it (a cluster node loads a session its client brought). */
  get(clientId: string): Promise<StoredSession | undefined>;
  /** Inserts or replaces the session row. */
  put(session: SessionRow): Promise<void>;
  /** Deletes the session with its subscriptions and messages. */
  delete(clientId: string): Promise<void>;
  subscribe(clientId: string, subscription: SessionSubscriptionRow): Promise<void>;
  unsubscribe(clientId: string, filter: string): Promise<void>;
  enqueue(clientId: string, message: SessionMessageRow): Promise<void>;
  /** Records the packet id and release state of a QoS 2 message sent (no-op when the message is gone). */
  track(clientId: string, seq: number, packetId: number, released: boolean): Promise<void>;
  dequeue(clientId: string, seq: number): Promise<void>;
  /** Inbound QoS 2: the PUBLISH under `packetId` was routed and PUBREC sent (no-op when recorded already). */
  awaitRelease(clientId: string, packetId: number): Promise<void>;
  /** Inbound QoS 2: the client's PUBREL came for `packetId`. */
  release(clientId: string, packetId: number): Promise<void>;
  /** Delayed wills, by client id; they outlive their session's row (a will may be due after it ends). */
  putWill(will: PendingWillRow): Promise<void>;
  deleteWill(clientId: string): Promise<void>;
  wills(): Promise<PendingWillRow[]>;
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

/**
 * One Device Shadow, keyed by (thingName, shadowName); shadowName '' is the classic (unnamed) shadow.
 * A deleted shadow stays as a tombstone (document null, deletedAt set) because AWS continues its
 * version count when it is re-created within 48 hours; the service decides what a tombstone means.
 */
export interface ShadowRow {
  thingName: string;
  /** '' for the classic shadow (CLASSIC_SHADOW), else the named shadow's name. */
  shadowName: string;
  /** The document as JSON text (`{"state":{...},"metadata":{...}}`, opaque to the store); null for a tombstone. */
  document: string | null;
  /** The shadow's version; a tombstone keeps the version the shadow had when deleted. */
  version: number;
  /** Epoch milliseconds of the last write (update or delete). */
  updatedAt: number;
  /** Epoch milliseconds of the delete for a tombstone; null while the shadow exists. */
  deletedAt: number | null;
}

/** The shadowName of the classic (unnamed) shadow. */
export const CLASSIC_SHADOW = '';

/** What a shadow compare-and-set expects to find: no row at all, or a row at this version, live or a tombstone. */
export type ShadowExpectation = { version: number; deleted: boolean } | null;

export interface ShadowStore {
  /** The row, tombstones included; undefined when there never was one. */
  get(thingName: string, shadowName: string): Promise<ShadowRow | undefined>;
  /**
   * Inserts or replaces the row (a delete writes a tombstone) when the stored row is what `expect` says
   * (compare-and-set, so two nodes cannot both win one version); resolves false and changes nothing otherwise.
   */
  put(row: ShadowRow, expect: ShadowExpectation): Promise<boolean>;
  /** Names of the thing's existing named shadows in name order (the classic shadow and tombstones are left out). */
  listNamed(thingName: string, page: PageRequest): Promise<Page<string>>;
}

/** Small named values topicd keeps (the account id made at the first start, ...). */
export interface MetaStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

/** One live connection of a cluster node: what the cluster sends for it if the node dies (JSON, opaque to the store). */
export interface NodeConnectionRow {
  node: string;
  sessionId: string;
  record: string;
}

/**
 * Node leases for a cluster (PostgreSQL only): each node renews its lease; a node whose lease ran out
 * is dead, and exactly one live node takes its connections (to send their wills and events).
 */
export interface NodeLeaseStore {
  renew(node: string, until: number): Promise<void>;
  /** Deletes the leases that ran out before `now` with their connections, and resolves those connections. */
  takeExpired(now: number): Promise<NodeConnectionRow[]>;
  putConnection(row: NodeConnectionRow): Promise<void>;
  deleteConnection(node: string, sessionId: string): Promise<void>;
  /** A clean stop: the node's lease and connections go. */
  release(node: string): Promise<void>;
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
