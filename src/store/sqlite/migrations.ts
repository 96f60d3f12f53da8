/**
 * @module store/sqlite/migrations
 * The SQLite schema as numbered migrations. A migration, once released, is never edited: a change is a
 * new entry at the end. `PRAGMA user_version` records the last one applied, so a database written by a
 * newer topicd is recognised and refused instead of being silently misread.
 */

export interface Migration {
  version: number;
  sql: string;
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
      -- MQTT 5 subscription options and identifiers, and QoS 2 delivery state (profile mqtt).
      ALTER TABLE session_subscriptions ADD COLUMN options INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE session_subscriptions ADD COLUMN identifier INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE session_messages ADD COLUMN identifiers TEXT;
      ALTER TABLE session_messages ADD COLUMN packet_id INTEGER;
      ALTER TABLE session_messages ADD COLUMN released INTEGER NOT NULL DEFAULT 0;
    `,
  },
];
