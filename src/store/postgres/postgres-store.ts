/**
 * @module store/postgres/postgres-store
 * The Store backend for a cluster: PostgreSQL through pg, every table in a schema of the caller's
 * choosing (so that several clusters, or tests, share one database), one module per noun beside this
 * one. Writes go on one connection, each event-loop turn's in one transaction (write-batch.ts), and
 * settle when it commits; reads go through a small pool (reader.ts). Opening brings the schema up to
 * date (migrate.ts). When PostgreSQL cannot be reached, calls reject with StoreUnavailableError
 * (errors.ts) instead of waiting, and the store reconnects by itself once it is back.
 */
import type {
  CommitObserver, NodeLeaseStore,
  AccessKeyStore, CaCertificateStore, CertificateStore, MetaStore, PolicyStore, RetainedStore, SessionStore, ShadowStore, Store, ThingPrincipalStore, ThingStore, ThingTypeStore,
} from '../store.js';
import { accessKeyStore } from './access-key-store.js';
import { caCertificateStore } from './ca-store.js';
import { certificateStore } from './certificate-store.js';
import { connectionSettings, type ConnectionSettings, type PostgresStoreOptions } from './connection.js';
import { leaseStore } from './lease-store.js';
import { metaStore } from './meta-store.js';
import { migrate } from './migrate.js';
import { policyStore } from './policy-store.js';
import { Reader } from './reader.js';
import { retainedStore } from './retained-store.js';
import { sessionStore } from './session-store.js';
import { shadowStore } from './shadow-store.js';
import { thingPrincipalStore } from './thing-principal-store.js';
import { thingStore } from './thing-store.js';
import { thingTypeStore } from './thing-type-store.js';
import { WriteBatch } from './write-batch.js';

export type { PostgresStoreOptions } from './connection.js';

export class PostgresStore implements Store {
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
  readonly leases: NodeLeaseStore;
  /** The schema holding the store's tables. */
  readonly schema: string;
  private readonly read: Reader;
  private readonly batch: WriteBatch;
  private closing: Promise<void> | undefined;

  /** Connects, makes the schema if needed and brings it up to date. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const settings = connectionSettings(options);
    await migrate(settings);
    return new PostgresStore(settings);
  }

  private constructor(settings: ConnectionSettings) {
    this.schema = settings.schema;
    const read = new Reader(settings);
    const batch = new WriteBatch(settings);
    this.read = read;
    this.batch = batch;
    this.meta = metaStore(read, batch);
    this.things = thingStore(read, batch);
    this.thingTypes = thingTypeStore(read, batch);
    this.certificates = certificateStore(read, batch);
    this.thingPrincipals = thingPrincipalStore(read, batch);
    this.caCertificates = caCertificateStore(read, batch);
    this.accessKeys = accessKeyStore(read, batch);
    this.policies = policyStore(read, batch);
    this.retained = retainedStore(read, batch);
    this.sessions = sessionStore(read, batch);
    this.shadows = shadowStore(read, batch);
    this.leases = leaseStore(batch);
  }

  afterDurable<T>(task: (arg: T, durable: boolean) => void, arg: T): void {
    this.batch.afterDurable(task, arg);
  }

  observeCommits(observer: CommitObserver): void {
    this.batch.observer = observer;
  }

  /** Commits what is pending and runs its tasks, then closes every connection. Writes after it reject. */
  close(): Promise<void> {
    this.closing ??= this.batch.close().then(() => this.read.end());
    return this.closing;
  }
}

/** Opens a PostgresStore: `openPostgresStore({ url: 'postgres://user@host:5432/db?schema=topicd' })`. */
export function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  return PostgresStore.open(options);
}
