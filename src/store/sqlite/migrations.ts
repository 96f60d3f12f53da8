/**
 * @module store/sqlite/migrations
 * The SQLite schema as numbered migrations. A migration, once released, is never edited: a change is a
 * new entry at the end. `PRAGMA user_version` records the last one applied, so a database written by a
 * newer topicd is recognised and refused instead of being silently misread.
 *
 * Numbers only grow, but need not be consecutive: branches developed side by side reserve their
 * numbers, and the runner applies every entry above the database's `user_version`, in order.
 */
import type { Database as Db } from 'better-sqlite3';

/** What a migration's code may need besides the database. */
export interface MigrationContext {
  /** Seals a secret for its row (store/secret-sealer.ts). */
  seal(plain: string, rowKey: string): string;
}

export interface Migration {
  version: number;
  sql: string;
  /** Code run after `sql`, in the same transaction: for rewrites SQL cannot make. */
  run?: (db: Db, context: MigrationContext) => void;
  /** It overwrites secrets: the database is vacuumed and the WAL truncated after it, so the old bytes are left nowhere in the files. */
  scrubs?: boolean;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      CREATE TABLE things (
        thing_name      TEXT PRIMARY KEY,
        thing_id        TEXT NOT NULL UNIQUE,
        thing_type_name TEXT,
        attributes      TEXT NOT NULL,  -- JSON object of string values
        version         INTEGER NOT NULL,
        creation_date   INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX things_by_type ON things (thing_type_name, thing_name);

      CREATE TABLE certificates (
        certificate_id     TEXT PRIMARY KEY,
        certificate_pem    TEXT NOT NULL,
        status             TEXT NOT NULL,
        ca_certificate_id  TEXT,
        owned_by           TEXT NOT NULL,
        certificate_mode   TEXT NOT NULL,
        creation_date      INTEGER NOT NULL,
        last_modified_date INTEGER NOT NULL,
        not_before         INTEGER NOT NULL,
        not_after          INTEGER NOT NULL,
        customer_version   INTEGER NOT NULL,
        generation_id      TEXT NOT NULL
      ) STRICT;
      -- ListCertificates pages by (creation date, id) in both directions.
      CREATE INDEX certificates_by_creation ON certificates (creation_date, certificate_id);

      CREATE TABLE thing_principals (
        thing_name TEXT NOT NULL,
        principal  TEXT NOT NULL,
        PRIMARY KEY (thing_name, principal)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX thing_principals_by_principal ON thing_principals (principal, thing_name);

      CREATE TABLE access_keys (
        access_key_id     TEXT PRIMARY KEY,
        secret_access_key TEXT NOT NULL,
        created_at        INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    sql: `
      CREATE TABLE retained (
        topic      TEXT PRIMARY KEY,
        payload    BLOB NOT NULL,
        qos        INTEGER NOT NULL,
        properties TEXT,
        updated_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    sql: `
      CREATE TABLE sessions (
        client_id       TEXT PRIMARY KEY,
        expiry_seconds  INTEGER NOT NULL,
        disconnected_at INTEGER
      ) STRICT;

      CREATE TABLE session_subscriptions (
        client_id TEXT NOT NULL REFERENCES sessions (client_id) ON DELETE CASCADE,
        filter    TEXT NOT NULL,
        qos       INTEGER NOT NULL,
        PRIMARY KEY (client_id, filter)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE session_messages (
        client_id  TEXT NOT NULL REFERENCES sessions (client_id) ON DELETE CASCADE,
        seq        INTEGER NOT NULL,
        topic      TEXT NOT NULL,
        payload    BLOB NOT NULL,
        qos        INTEGER NOT NULL,
        properties TEXT,
        expires_at INTEGER,
        PRIMARY KEY (client_id, seq)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    sql: `
      CREATE TABLE policies (
        policy_name        TEXT PRIMARY KEY,
        default_version_id TEXT NOT NULL,
        last_version       INTEGER NOT NULL,
        generation_id      TEXT NOT NULL,
        creation_date      INTEGER NOT NULL,
        last_modified_date INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE policy_versions (
        policy_name   TEXT NOT NULL REFERENCES policies (policy_name) ON DELETE CASCADE,
        version_id    TEXT NOT NULL,
        document      TEXT NOT NULL,
        creation_date INTEGER NOT NULL,
        PRIMARY KEY (policy_name, version_id)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE policy_targets (
        policy_name TEXT NOT NULL REFERENCES policies (policy_name),
        target      TEXT NOT NULL,
        PRIMARY KEY (policy_name, target)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX policy_targets_by_target ON policy_targets (target, policy_name);
    `,
  },
  {
    version: 5,
    sql: `
      CREATE TABLE ca_certificates (
        certificate_id           TEXT PRIMARY KEY,
        certificate_pem          TEXT NOT NULL,
        status                   TEXT NOT NULL,
        auto_registration_status TEXT NOT NULL,
        owned_by                 TEXT NOT NULL,
        certificate_mode         TEXT NOT NULL,
        registration_config      TEXT,
        creation_date            INTEGER NOT NULL,
        last_modified_date       INTEGER NOT NULL,
        not_before               INTEGER NOT NULL,
        not_after                INTEGER NOT NULL,
        customer_version         INTEGER NOT NULL,
        generation_id            TEXT NOT NULL
      ) STRICT;
      CREATE INDEX ca_certificates_by_creation ON ca_certificates (creation_date, certificate_id);
      -- ListCertificatesByCA and DeleteCACertificate's conflict check.
      CREATE INDEX certificates_by_ca ON certificates (ca_certificate_id, creation_date, certificate_id);
    `,
  },
  {
    version: 6,
    sql: `
      CREATE TABLE thing_types (
        thing_type_name       TEXT PRIMARY KEY,
        thing_type_id         TEXT NOT NULL UNIQUE,
        description           TEXT,
        searchable_attributes TEXT NOT NULL,  -- JSON array of attribute names
        mqtt5_configuration   TEXT,           -- JSON, as AWS sends it
        tags                  TEXT NOT NULL,  -- JSON array of {Key, Value}
        deprecated            INTEGER NOT NULL,
        deprecation_date      INTEGER,
        creation_date         INTEGER NOT NULL
      ) STRICT;

      -- The first key made (DATA/credentials) is the admin key; keys made through the API are not.
      ALTER TABLE access_keys ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0;
      UPDATE access_keys SET is_admin = 1
        WHERE access_key_id = (SELECT value FROM meta WHERE key = 'adminAccessKeyId');
    `,
  },
  {
    version: 7,
    sql: `
      -- MQTT 5 subscription options and identifiers, and QoS 2 delivery state (profile mqtt).
      ALTER TABLE session_subscriptions ADD COLUMN options INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE session_subscriptions ADD COLUMN identifier INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE session_messages ADD COLUMN identifiers TEXT;
      ALTER TABLE session_messages ADD COLUMN packet_id INTEGER;
      ALTER TABLE session_messages ADD COLUMN released INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 8,
    sql: `
      -- Inbound QoS 2 packet ids a persistent session's client is still releasing (PUBREC sent, no PUBREL yet).
      CREATE TABLE session_releases (
        client_id TEXT NOT NULL REFERENCES sessions (client_id) ON DELETE CASCADE,
        packet_id INTEGER NOT NULL,
        PRIMARY KEY (client_id, packet_id)
      ) STRICT, WITHOUT ROWID;

      -- MQTT 5 wills waiting for their Will Delay Interval; no foreign key: a will may be due after its session ended.
      CREATE TABLE pending_wills (
        client_id  TEXT PRIMARY KEY,
        topic      TEXT NOT NULL,
        payload    BLOB NOT NULL,
        qos        INTEGER NOT NULL,
        retain     INTEGER NOT NULL,
        properties TEXT,
        due_at     INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 9,
    sql: `
      -- Who made each persistent session (the principal key: a certificate id, access-key:ID, or
      -- anonymous), so an anonymous client can never resume a session an authenticated one made.
      -- Sessions kept before this column existed have NULL: treated as authenticated.
      ALTER TABLE sessions ADD COLUMN owner TEXT;
    `,
  },
  {
    version: 20,
    sql: `
      -- Device Shadows, classic (shadow_name '') and named. A deleted shadow stays as a tombstone
      -- (document NULL, deleted_at set): AWS continues its version when it is re-created within 48 hours.
      CREATE TABLE shadows (
        thing_name  TEXT NOT NULL,
        shadow_name TEXT NOT NULL,
        document    TEXT,
        version     INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL,
        deleted_at  INTEGER,
        PRIMARY KEY (thing_name, shadow_name)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 30,
    sql: `
      -- Access key secrets are stored sealed (AES-256-GCM under DATA/secrets.key), never in plain text.
      ALTER TABLE access_keys RENAME COLUMN secret_access_key TO sealed_secret;
    `,
    run: (db, context) => {
      const rows = db.prepare<[], { access_key_id: string; sealed_secret: string }>('SELECT access_key_id, sealed_secret FROM access_keys').all();
      const update = db.prepare<[string, string]>('UPDATE access_keys SET sealed_secret = ? WHERE access_key_id = ?');
      for (const row of rows) update.run(context.seal(row.sealed_secret, row.access_key_id), row.access_key_id);
    },
    scrubs: true,
  },
];
