/**
 * @module store/sqlite/sqlite-store
 * The embedded Store backend: one SQLite file in WAL mode through better-sqlite3, one module per noun
 * beside this one. Every statement is prepared once, when the store opens; the work itself is
 * synchronous, and the turn's writes commit together (turn-batch.ts), which is when their promises
 * settle. Listings page by key (keyset pagination, keyset.ts), never by offset, so a page costs the
 * same however deep it is.
 *
 * Its files are 0600 (config/private-files.ts): the database file is created 0600 before SQLite opens
 * it, and SQLite's unix VFS gives the WAL and shared-memory files it creates later the database
 * file's own mode (findCreateFileMode, unixOpenSharedMemory); ones an older topicd left are set here.
 */
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { SECRETS_KEY_FILE } from '../../config/data-files.js';
import { ensurePrivateFile, keepPrivate } from '../../config/private-files.js';
import { SecretSealer } from '../secret-sealer.js';
import type {
  CommitObserver,
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

  /**
   * Opens (creating if needed) the database file and brings its schema up to date. Access key secrets
   * are sealed with the key in `secretsKeyPath` (default: DATA/secrets.key beside the database), made
   * on the first start.
   */
  static open(path: string, options: { secretsKeyPath?: string } = {}): SqliteStore {
    ensurePrivateFile(path);
    for (const suffix of ['-wal', '-shm', '-journal']) keepPrivate(path + suffix);
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      // In WAL mode NORMAL loses no committed data on a process crash, only possibly on power loss.
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      // Session rows own their subscriptions and messages (ON DELETE CASCADE).
      db.pragma('foreign_keys = ON');
      const sealer = SecretSealer.loadOrCreate(options.secretsKeyPath ?? join(dirname(path), SECRETS_KEY_FILE), !holdsSealedSecrets(db));
      migrate(db, { seal: (plain, rowKey) => sealer.seal(plain, rowKey) });
      return new SqliteStore(db, sealer);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private constructor(db: Db, sealer: SecretSealer) {
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
    this.accessKeys = durableMethods(accessKeyStore(db, sealer), batch);
    this.policies = durableMethods(policyStore(db), batch);
    this.retained = durableMethods(retainedStore(db), batch);
    this.sessions = durableMethods(sessionStore(db), batch);
    this.shadows = durableMethods(shadowStore(db), batch);
  }

  afterDurable<T>(task: (arg: T, durable: boolean) => void, arg: T): void {
    this.batch.afterDurable(task, arg);
  }

  observeCommits(observer: CommitObserver): void {
    this.batch.observer = observer;
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.batch.commitNow();
    this.db.close();
  }
}

/** Whether the database already holds access key secrets sealed (migration 30 applied, and rows). */
function holdsSealedSecrets(db: Db): boolean {
  if ((db.pragma('user_version', { simple: true }) as number) < 30) return false;
  return (db.prepare<[], { n: number }>('SELECT count(*) AS n FROM access_keys').get()?.n ?? 0) > 0;
}
