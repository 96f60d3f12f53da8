/**
 * @module store/sqlite/sqlite-store
 * The embedded Store backend: one SQLite file in WAL mode through better-sqlite3, one module per noun
 * beside this one. Every statement is prepared once, when the store opens; the work itself is
 * synchronous, and the turn's writes commit together (turn-batch.ts), which is when their promises
 * settle. Listings page by key (keyset pagination, keyset.ts), never by offset, so a page costs the
 * same however deep it is.
 */
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import type {
  AccessKeyStore, CaCertificateStore, CertificateStore, MetaStore, PolicyStore, RetainedStore, SessionStore,
  ShadowStore, Store, ThingPrincipalStore, ThingStore, ThingTypeStore,
} from '../store.js';
import { accessKeyStore } from './access-key-store.js';
import { createCaCertificateStore } from './ca-store.js';
import { certificateStore } from './certificate-store.js';
import { metaStore } from './meta-store.js';
import { migrate } from './migrate.js';
import { policyStore } from './policy-store.js';
import { retainedStore } from './retained-store.js';
import { sessionStore } from './session-store.js';
import { shadowStore } from './shadow-store.js';
import { thingPrincipalStore } from './thing-principal-store.js';
import { thingStore } from './thing-store.js';
import { thingTypeStore } from './thing-type-store.js';
import { TurnBatch, durableMethods } from './turn-batch.js';

export { migrate } from './migrate.js';

export class SqliteStore implements Store {
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
  private readonly db: Db;
  private readonly batch: TurnBatch;

  /** Opens (creating if needed) the database file and brings its schema up to date. */
  static open(path: string): SqliteStore {
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      // In WAL mode NORMAL loses no committed data on a process crash, only possibly on power loss.
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      // Session rows own their subscriptions and messages (ON DELETE CASCADE).
      db.pragma('foreign_keys = ON');
      migrate(db);
      return new SqliteStore(db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private constructor(db: Db) {
    this.db = db;
    const batch = new TurnBatch(db);
    batch.install();
    this.batch = batch;
    this.meta = durableMethods(metaStore(db), batch);
    this.things = durableMethods(thingStore(db), batch);
    this.thingTypes = durableMethods(thingTypeStore(db), batch);
    this.certificates = durableMethods(certificateStore(db), batch);
    this.thingPrincipals = durableMethods(thingPrincipalStore(db), batch);
    this.caCertificates = durableMethods(createCaCertificateStore(db), batch);
    this.accessKeys = durableMethods(accessKeyStore(db), batch);
    this.policies = durableMethods(policyStore(db), batch);
    this.retained = durableMethods(retainedStore(db), batch);
    this.sessions = durableMethods(sessionStore(db), batch);
    this.shadows = durableMethods(shadowStore(db), batch);
  }

  afterDurable<T>(task: (arg: T, durable: boolean) => void, arg: T): void {
    this.batch.afterDurable(task, arg);
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.batch.commitNow();
    this.db.close();
  }
}
