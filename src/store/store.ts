/**
 * @module store
 * The Store port: everything topicd keeps durably. Backends (`sqlite/` now, `postgres/` for a cluster)
 * implement it and pass the one contract suite in test/unit/store-contract.ts. Methods are grouped by
 * noun. Everything is async so that a networked backend fits the same port; the SQLite backend simply
 * resolves at once. The Store validates nothing about AWS rules: that is the registry's job.
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
}

export interface SessionStore {
  /** Every session with its subscriptions and messages (in seq order), for the broker at start. */
  all(): Promise<StoredSession[]>;
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
}

/** Small named values topicd keeps (the account id made at the first start, ...). */
export interface MetaStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

export interface Store {
  readonly meta: MetaStore;
  readonly things: ThingStore;
  readonly certificates: CertificateStore;
  readonly thingPrincipals: ThingPrincipalStore;
  readonly accessKeys: AccessKeyStore;
  readonly retained: RetainedStore;
  readonly sessions: SessionStore;
  close(): Promise<void>;
}
