/**
 * @module store/sqlite/sqlite-store
 * The embedded Store backend: one SQLite file in WAL mode through better-sqlite3. Every statement is
 * prepared once, when the store opens; the port's methods are async only to fit networked backends,
 * the work itself is synchronous. Listings page by key (keyset pagination), never by offset, so a page
 * costs the same however deep it is; the `next` token is the base64url JSON of the page's last key.
 * The paging helpers are exported for the noun modules beside this one (thing-type-store.ts), which
 * import them back: the cycle is safe because they are function declarations used only at run time.
 */
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import type {
  AccessKeyRow, AccessKeyStore, CaCertificateStore, CertificateRow, CertificateStatus, CertificateStore, MetaStore, PageRequest, PolicyStore, RetainedRow, RetainedStore,
  PendingWillRow, SessionMessageRow, SessionStore, SessionSubscriptionRow, StoredSession,
  Store, ThingFilter, ThingPrincipalStore, ThingRow, ThingStore, ThingTypeStore,
} from '../store.js';
import { durableAtTurnEnd } from '../../turn.js';
import { checkLimit, decodeToken, pickKeyset, prepareKeyset, toPage } from './keyset.js';
import { createCaCertificateStore } from './ca-store.js';
import { toCertificate, type CertificateRecord } from './certificate-record.js';
import { MIGRATIONS } from './migrations.js';
import { policyStore } from './policy-store.js';
import { thingTypeStore } from './thing-type-store.js';

interface ThingRecord {
  thing_name: string;
  thing_id: string;
  thing_type_name: string | null;
  attributes: string;
  version: number;
  creation_date: number;
}

interface AccessKeyRecord {
  access_key_id: string;
  secret_access_key: string;
  created_at: number;
  is_admin: number;
}

const toThing = (r: ThingRecord): ThingRow => ({
  thingName: r.thing_name,
  thingId: r.thing_id,
  thingTypeName: r.thing_type_name,
  attributes: JSON.parse(r.attributes) as Record<string, string>,
  version: r.version,
  creationDate: r.creation_date,
});

const toAccessKey = (r: AccessKeyRecord): AccessKeyRow => ({
  accessKeyId: r.access_key_id, secretAccessKey: r.secret_access_key, createdAt: r.created_at, isAdmin: r.is_admin === 1,
});

/** Applies the migrations the database has not seen yet, each in its own transaction. */
export function migrate(db: Db): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
  // Numbers may skip (see migrations.ts) but must grow, or an entry would be skipped for good.
  MIGRATIONS.forEach((m, i) => {
    const before = MIGRATIONS[i - 1];
    if (before && m.version <= before.version) throw new Error(`migration ${m.version} follows ${before.version}: versions must increase`);
  });
  if (current > latest) {
    throw new Error(`database ${db.name} has schema version ${current}, newer than this topicd knows (${latest}); upgrade topicd`);
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      // PRAGMA takes no bound parameters; the version is a number from our own table.
      db.pragma(`user_version = ${Math.trunc(migration.version)}`);
    }).immediate();
  }
  return latest;
}

interface ThingListParams {
  limit: number;
  thingName: string | null;
  thingTypeName: string | null;
  attributeName: string | null;
  attributeValue: string | null;
  usePrefix: number;
}

/** Ends the turn's write transaction, if one is open. */
function commit(db: Db): void {
  if (!db.open || !db.inTransaction) return;
  try {
    db.exec('COMMIT');
  } finally {
    // A failed COMMIT (disk full) must not leave the batch open forever: later turns start afresh.
    if (db.inTransaction) db.exec('ROLLBACK');
  }
}

/**
 * Design note: every write of one event-loop turn goes into one transaction, committed at the turn's
 * end before any socket is flushed (src/turn.ts). A commit is most of a small write's cost, and a busy
 * broker makes hundreds of writes a turn (queued QoS 1 messages, acknowledgements, retained
 * messages), so this is where the store's throughput comes from; acknowledgements still leave only
 * after the commit, so nothing acknowledged is lost to a crash. Writes begin the transaction
 * themselves: each write statement is wrapped when prepared, so every part of the store (and every
 * part added later) is batched without knowing it. A write inside an explicit `db.transaction()`
 * nests as a savepoint (better-sqlite3), and a failed statement rolls back alone.
 */
function batchWritesPerTurn(db: Db): void {
  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => {
    const statement = prepare(source);
    if (statement.reader) return statement;
    const run = statement.run.bind(statement);
    statement.run = (...params: unknown[]) => {
      if (!db.inTransaction) {
        db.exec('BEGIN');
        durableAtTurnEnd(commit, db);
      }
      return run(...params);
    };
    return statement;
  }) as typeof db.prepare;
}

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
  private readonly db: Db;

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
      batchWritesPerTurn(db);
      return new SqliteStore(db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private constructor(db: Db) {
    this.db = db;
    this.meta = this.metaStore();
    this.things = this.thingStore();
    this.thingTypes = thingTypeStore(db);
    this.certificates = this.certificateStore();
    this.thingPrincipals = this.thingPrincipalStore();
    this.caCertificates = createCaCertificateStore(db);
    this.accessKeys = this.accessKeyStore();
    this.policies = policyStore(db);
    this.retained = this.retainedStore();
    this.sessions = this.sessionStore();
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    commit(this.db);
    this.db.close();
  }

  private metaStore(): MetaStore {
    const get = this.db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
    const set = this.db.prepare<[string, string]>(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    return {
      get: async (key) => get.get(key)?.value,
      set: async (key, value) => { set.run(key, value); },
    };
  }

  private thingStore(): ThingStore {
    const db = this.db;
    const get = db.prepare<[string], ThingRecord>('SELECT * FROM things WHERE thing_name = ?');
    const insert = db.prepare<[Record<string, unknown>]>(`
      INSERT INTO things (thing_name, thing_id, thing_type_name, attributes, version, creation_date)
      VALUES (@thingName, @thingId, @thingTypeName, @attributes, @version, @creationDate)
      ON CONFLICT (thing_name) DO NOTHING`);
    const update = db.prepare<[Record<string, unknown>]>(`
      UPDATE things SET thing_id = @thingId, thing_type_name = @thingTypeName, attributes = @attributes,
        version = @version, creation_date = @creationDate
      WHERE thing_name = @thingName AND (@ifVersion IS NULL OR version = @ifVersion)`);
    const del = db.prepare<[Record<string, unknown>]>(
      'DELETE FROM things WHERE thing_name = @thingName AND (@ifVersion IS NULL OR version = @ifVersion)');
    // An attribute filter matches on the JSON object's members; json_each also covers names that a
    // JSON path would need quoting for (AWS allows '.', '@', '/', ':', '#', ','). A prefix match
    // compares the value's start with substr, not LIKE, whose '%' and '_' are literal here.
    const valueMatches = `(@usePrefix = 0 AND a.value = @attributeValue
           OR @usePrefix = 1 AND substr(a.value, 1, length(@attributeValue)) = @attributeValue)`;
    const filter = `
      (@thingTypeName IS NULL OR thing_type_name = @thingTypeName)
      AND (@attributeName IS NULL OR EXISTS (SELECT 1 FROM json_each(things.attributes) a
           WHERE a.key = @attributeName AND (@attributeValue IS NULL OR ${valueMatches})))
      AND (@attributeName IS NOT NULL OR @attributeValue IS NULL OR EXISTS (SELECT 1 FROM json_each(things.attributes) a
           WHERE ${valueMatches}))`;
    const list = prepareKeyset<ThingListParams, ThingRecord>(db, 'SELECT * FROM things', filter, 'thing_name', '@thingName');
    const params = (thing: ThingRow): Record<string, unknown> => ({
      thingName: thing.thingName,
      thingId: thing.thingId,
      thingTypeName: thing.thingTypeName,
      attributes: JSON.stringify(thing.attributes),
      version: thing.version,
      creationDate: thing.creationDate,
    });
    return {
      get: async (thingName) => {
        const record = get.get(thingName);
        return record && toThing(record);
      },
      insert: async (thing) => insert.run(params(thing)).changes > 0,
      update: async (thing, ifVersion) => update.run({ ...params(thing), ifVersion: ifVersion ?? null }).changes > 0,
      delete: async (thingName, ifVersion) => del.run({ thingName, ifVersion: ifVersion ?? null }).changes > 0,
      list: async (page: PageRequest, f?: ThingFilter) => {
        const limit = checkLimit(page.limit);
        const after = page.after === undefined ? null : decodeToken(page.after, ['string'])[0] as string;
        const records = pickKeyset(list, page).all({
          limit: limit + 1,
          thingName: after,
          thingTypeName: f?.thingTypeName ?? null,
          attributeName: f?.attributeName ?? null,
          attributeValue: f?.attributeValue ?? null,
          usePrefix: f?.usePrefixAttributeValue === true ? 1 : 0,
        });
        return toPage(records, limit, toThing, (r) => [r.thing_name]);
      },
    };
  }

  private certificateStore(): CertificateStore {
    const db = this.db;
    const get = db.prepare<[string], CertificateRecord>('SELECT * FROM certificates WHERE certificate_id = ?');
    const insert = db.prepare<[CertificateRow]>(`
      INSERT INTO certificates (certificate_id, certificate_pem, status, ca_certificate_id, owned_by, certificate_mode,
        creation_date, last_modified_date, not_before, not_after, customer_version, generation_id)
      VALUES (@certificateId, @certificatePem, @status, @caCertificateId, @ownedBy, @certificateMode,
        @creationDate, @lastModifiedDate, @notBefore, @notAfter, @customerVersion, @generationId)
      ON CONFLICT (certificate_id) DO NOTHING`);
    const setStatus = db.prepare<[string, number, string]>(
      'UPDATE certificates SET status = ?, last_modified_date = ? WHERE certificate_id = ?');
    const del = db.prepare<[string]>('DELETE FROM certificates WHERE certificate_id = ?');
    const statuses = db.prepare<[], { certificateId: string; status: CertificateStatus }>(
      'SELECT certificate_id AS certificateId, status FROM certificates');
    const list = prepareKeyset<{ limit: number; creationDate: number | null; certificateId: string | null }, CertificateRecord>(
      db, 'SELECT * FROM certificates', '', 'creation_date, certificate_id', '@creationDate, @certificateId');
    return {
      get: async (certificateId) => {
        const record = get.get(certificateId);
        return record && toCertificate(record);
      },
      insert: async (cert) => insert.run(cert).changes > 0,
      setStatus: async (certificateId, status, at) => setStatus.run(status, at, certificateId).changes > 0,
      delete: async (certificateId) => del.run(certificateId).changes > 0,
      list: async (page) => {
        const limit = checkLimit(page.limit);
        const after = page.after === undefined ? [null, null] : decodeToken(page.after, ['number', 'string']);
        const records = pickKeyset(list, page).all({
          limit: limit + 1, creationDate: after[0] as number | null, certificateId: after[1] as string | null,
        });
        return toPage(records, limit, toCertificate, (r) => [r.creation_date, r.certificate_id]);
      },
      listStatuses: async () => statuses.all(),
    };
  }

  private thingPrincipalStore(): ThingPrincipalStore {
    const db = this.db;
    const attach = db.prepare<[string, string]>(
      'INSERT INTO thing_principals (thing_name, principal) VALUES (?, ?) ON CONFLICT DO NOTHING');
    const detach = db.prepare<[string, string]>('DELETE FROM thing_principals WHERE thing_name = ? AND principal = ?');
    const detachAll = db.prepare<[string]>('DELETE FROM thing_principals WHERE thing_name = ?');
    const count = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM thing_principals WHERE principal = ?');
    type Params = { limit: number; owner: string; after: string | null };
    const principalsOf = prepareKeyset<Params, { principal: string }>(
      db, 'SELECT principal FROM thing_principals', 'thing_name = @owner', 'principal', '@after');
    const thingsOf = prepareKeyset<Params, { thing_name: string }>(
      db, 'SELECT thing_name FROM thing_principals', 'principal = @owner', 'thing_name', '@after');
    const afterOf = (page: PageRequest): string | null =>
      page.after === undefined ? null : decodeToken(page.after, ['string'])[0] as string;
    return {
      attach: async (thingName, principal) => { attach.run(thingName, principal); },
      detach: async (thingName, principal) => detach.run(thingName, principal).changes > 0,
      principalsOf: async (thingName, page) => {
        const limit = checkLimit(page.limit);
        const records = pickKeyset(principalsOf, page).all({ limit: limit + 1, owner: thingName, after: afterOf(page) });
        return toPage(records, limit, (r) => r.principal, (r) => [r.principal]);
      },
      thingsOf: async (principal, page) => {
        const limit = checkLimit(page.limit);
        const records = pickKeyset(thingsOf, page).all({ limit: limit + 1, owner: principal, after: afterOf(page) });
        return toPage(records, limit, (r) => r.thing_name, (r) => [r.thing_name]);
      },
      detachAllOfThing: async (thingName) => { detachAll.run(thingName); },
      countThingsOf: async (principal) => count.get(principal)?.n ?? 0,
    };
  }

  private accessKeyStore(): AccessKeyStore {
    const db = this.db;
    const get = db.prepare<[string], AccessKeyRecord>('SELECT * FROM access_keys WHERE access_key_id = ?');
    // A duplicate id is a bug (ids are random), so the constraint error is let through.
    const insert = db.prepare<[string, string, number, number]>(
      'INSERT INTO access_keys (access_key_id, secret_access_key, created_at, is_admin) VALUES (?, ?, ?, ?)');
    const list = db.prepare<[], AccessKeyRecord>('SELECT * FROM access_keys ORDER BY created_at, access_key_id');
    const del = db.prepare<[string]>('DELETE FROM access_keys WHERE access_key_id = ?');
    return {
      get: async (accessKeyId) => {
        const record = get.get(accessKeyId);
        return record && toAccessKey(record);
      },
      insert: async (key) => { insert.run(key.accessKeyId, key.secretAccessKey, key.createdAt, key.isAdmin ? 1 : 0); },
      list: async () => list.all().map(toAccessKey),
      delete: async (accessKeyId) => del.run(accessKeyId).changes > 0,
    };
  }

  private retainedStore(): RetainedStore {
    const db = this.db;
    type Row = { topic: string; payload: Buffer; qos: number; properties: string | null; updated_at: number };
    const toRow = (r: Row): RetainedRow => ({ topic: r.topic, payload: r.payload, qos: r.qos === 2 ? 2 : r.qos === 1 ? 1 : 0, properties: r.properties, updatedAt: r.updated_at });
    const put = db.prepare<[string, Buffer, number, string | null, number]>(
      'INSERT INTO retained (topic, payload, qos, properties, updated_at) VALUES (?, ?, ?, ?, ?) '
      + 'ON CONFLICT (topic) DO UPDATE SET payload = excluded.payload, qos = excluded.qos, properties = excluded.properties, updated_at = excluded.updated_at');
    const get = db.prepare<[string], Row>('SELECT * FROM retained WHERE topic = ?');
    const all = db.prepare<[], Row>('SELECT * FROM retained ORDER BY topic');
    const del = db.prepare<[string]>('DELETE FROM retained WHERE topic = ?');
    return {
      put: async (row) => { put.run(row.topic, row.payload, row.qos, row.properties, row.updatedAt); },
      delete: async (topic) => del.run(topic).changes > 0,
      get: async (topic) => {
        const row = get.get(topic);
        return row && toRow(row);
      },
      all: async () => all.all().map(toRow),
    };
  }

  private sessionStore(): SessionStore {
    const db = this.db;
    type SessionRecord = { client_id: string; expiry_seconds: number; disconnected_at: number | null };
    type SubscriptionRecord = { client_id: string; filter: string; qos: number; options: number; identifier: number };
    type MessageRecord = {
      client_id: string; seq: number; topic: string; payload: Buffer; qos: number; properties: string | null; expires_at: number | null;
      identifiers: string | null; packet_id: number | null; released: number;
    };
    const sessions = db.prepare<[], SessionRecord>('SELECT * FROM sessions ORDER BY client_id');
    const subscriptions = db.prepare<[], SubscriptionRecord>('SELECT * FROM session_subscriptions ORDER BY client_id, filter');
    const messages = db.prepare<[], MessageRecord>('SELECT * FROM session_messages ORDER BY client_id, seq');
    const put = db.prepare<[string, number, number | null]>(
      'INSERT INTO sessions (client_id, expiry_seconds, disconnected_at) VALUES (?, ?, ?) '
      + 'ON CONFLICT (client_id) DO UPDATE SET expiry_seconds = excluded.expiry_seconds, disconnected_at = excluded.disconnected_at');
    const del = db.prepare<[string]>('DELETE FROM sessions WHERE client_id = ?');
    const subscribe = db.prepare<[string, string, number, number, number]>(
      'INSERT INTO session_subscriptions (client_id, filter, qos, options, identifier) VALUES (?, ?, ?, ?, ?) '
      + 'ON CONFLICT (client_id, filter) DO UPDATE SET qos = excluded.qos, options = excluded.options, identifier = excluded.identifier');
    const unsubscribe = db.prepare<[string, string]>('DELETE FROM session_subscriptions WHERE client_id = ? AND filter = ?');
    const enqueue = db.prepare<[string, number, string, Buffer, number, string | null, number | null, string | null, number | null, number]>(
      'INSERT OR REPLACE INTO session_messages (client_id, seq, topic, payload, qos, properties, expires_at, identifiers, packet_id, released) '
      + 'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const track = db.prepare<[number, number, string, number]>('UPDATE session_messages SET packet_id = ?, released = ? WHERE client_id = ? AND seq = ?');
    const dequeue = db.prepare<[string, number]>('DELETE FROM session_messages WHERE client_id = ? AND seq = ?');
    type ReleaseRecord = { client_id: string; packet_id: number };
    type WillRecord = { client_id: string; topic: string; payload: Buffer; qos: number; retain: number; properties: string | null; due_at: number };
    const releases = db.prepare<[], ReleaseRecord>('SELECT * FROM session_releases ORDER BY client_id, packet_id');
    const awaitRelease = db.prepare<[string, number]>('INSERT OR IGNORE INTO session_releases (client_id, packet_id) VALUES (?, ?)');
    const release = db.prepare<[string, number]>('DELETE FROM session_releases WHERE client_id = ? AND packet_id = ?');
    const wills = db.prepare<[], WillRecord>('SELECT * FROM pending_wills ORDER BY due_at, client_id');
    const putWill = db.prepare<[string, string, Buffer, number, number, string | null, number]>(
      'INSERT OR REPLACE INTO pending_wills (client_id, topic, payload, qos, retain, properties, due_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const deleteWill = db.prepare<[string]>('DELETE FROM pending_wills WHERE client_id = ?');
    const qosOf = (n: number): 0 | 1 | 2 => (n === 2 ? 2 : n === 1 ? 1 : 0);
    const toMessage = (r: MessageRecord): SessionMessageRow => {
      const row: SessionMessageRow = { seq: r.seq, topic: r.topic, payload: r.payload, qos: qosOf(r.qos), properties: r.properties, expiresAt: r.expires_at };
      if (r.identifiers !== null) row.identifiers = r.identifiers.split(',').map(Number);
      if (r.packet_id !== null) {
        row.packetId = r.packet_id;
        row.released = r.released === 1;
      }
      return row;
    };
    const toSubscription = (r: SubscriptionRecord): SessionSubscriptionRow => {
      const row: SessionSubscriptionRow = { filter: r.filter, qos: qosOf(r.qos) };
      if (r.options !== 0) row.options = r.options;
      if (r.identifier !== 0) row.identifier = r.identifier;
      return row;
    };
    return {
      all: async () => {
        const byId = new Map<string, StoredSession>();
        for (const r of sessions.all()) {
          byId.set(r.client_id, { session: { clientId: r.client_id, expirySeconds: r.expiry_seconds, disconnectedAt: r.disconnected_at }, subscriptions: [], messages: [], awaitingRelease: [] });
        }
        for (const r of subscriptions.all()) byId.get(r.client_id)?.subscriptions.push(toSubscription(r));
        for (const r of messages.all()) byId.get(r.client_id)?.messages.push(toMessage(r));
        for (const r of releases.all()) byId.get(r.client_id)?.awaitingRelease.push(r.packet_id);
        return [...byId.values()];
      },
      put: async (s) => { put.run(s.clientId, s.expirySeconds, s.disconnectedAt); },
      delete: async (clientId) => { del.run(clientId); },
      subscribe: async (clientId, s) => { subscribe.run(clientId, s.filter, s.qos, s.options ?? 0, s.identifier ?? 0); },
      unsubscribe: async (clientId, filter) => { unsubscribe.run(clientId, filter); },
      enqueue: async (clientId, m) => {
        enqueue.run(clientId, m.seq, m.topic, m.payload, m.qos, m.properties, m.expiresAt,
          m.identifiers === undefined ? null : m.identifiers.join(','), m.packetId ?? null, m.released === true ? 1 : 0);
      },
      track: async (clientId, seq, packetId, released) => { track.run(packetId, released ? 1 : 0, clientId, seq); },
      dequeue: async (clientId, seq) => { dequeue.run(clientId, seq); },
      awaitRelease: async (clientId, packetId) => { awaitRelease.run(clientId, packetId); },
      release: async (clientId, packetId) => { release.run(clientId, packetId); },
      putWill: async (w) => { putWill.run(w.clientId, w.topic, w.payload, w.qos, w.retain ? 1 : 0, w.properties, w.dueAt); },
      deleteWill: async (clientId) => { deleteWill.run(clientId); },
      wills: async () => wills.all().map((r): PendingWillRow => ({
        clientId: r.client_id, topic: r.topic, payload: r.payload, qos: qosOf(r.qos), retain: r.retain === 1, properties: r.properties, dueAt: r.due_at,
      })),
    };
  }
}
