/**
 * @module store/postgres/migrations
 * The PostgreSQL schema as numbered migrations, recorded in the table `schema_migrations` of the
 * store's schema (migrate.ts). A migration, once released, is never edited: a change is a new entry at
 * the end. Numbers only grow but need not be consecutive (branches reserve theirs).
 *
 * Migration 1 is the SQLite schema of its migrations 1-8 as one: same tables, columns and keys, in
 * PostgreSQL's types. Keys and listed names are `COLLATE "C"` so that they order by bytes, as SQLite's
 * BINARY collation does (and AWS's listings do), whatever the database's locale. Epoch milliseconds
 * are bigint; thing attributes and thing-type lists are jsonb (ListThings filters on attributes);
 * the opaque JSON the store keeps as given (MQTT 5 properties, configurations) stays text.
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
        key   text COLLATE "C" PRIMARY KEY,
        value text NOT NULL
      );

      CREATE TABLE things (
        thing_name      text COLLATE "C" PRIMARY KEY,
        thing_id        text NOT NULL UNIQUE,
        thing_type_name text COLLATE "C",
        attributes      jsonb NOT NULL,  -- object of string values
        version         bigint NOT NULL,
        creation_date   bigint NOT NULL
      );
      CREATE INDEX things_by_type ON things (thing_type_name, thing_name);

      CREATE TABLE thing_types (
        thing_type_name       text COLLATE "C" PRIMARY KEY,
        thing_type_id         text NOT NULL UNIQUE,
        description           text,
        searchable_attributes jsonb NOT NULL,  -- array of attribute names
        mqtt5_configuration   text,            -- JSON, as AWS sends it
        tags                  jsonb NOT NULL,  -- array of {Key, Value}
        deprecated            boolean NOT NULL,
        deprecation_date      bigint,
        creation_date         bigint NOT NULL
      );

      CREATE TABLE certificates (
        certificate_id     text COLLATE "C" PRIMARY KEY,
        certificate_pem    text NOT NULL,
        status             text NOT NULL,
        ca_certificate_id  text COLLATE "C",
        owned_by           text NOT NULL,
        certificate_mode   text NOT NULL,
        creation_date      bigint NOT NULL,
        last_modified_date bigint NOT NULL,
        not_before         bigint NOT NULL,
        not_after          bigint NOT NULL,
        customer_version   bigint NOT NULL,
        generation_id      text NOT NULL
      );
      -- ListCertificates pages by (creation date, id) in both directions; ListCertificatesByCA within a CA.
      CREATE INDEX certificates_by_creation ON certificates (creation_date, certificate_id);
      CREATE INDEX certificates_by_ca ON certificates (ca_certificate_id, creation_date, certificate_id);

      CREATE TABLE ca_certificates (
        certificate_id           text COLLATE "C" PRIMARY KEY,
        certificate_pem          text NOT NULL,
        status                   text NOT NULL,
        auto_registration_status text NOT NULL,
        owned_by                 text NOT NULL,
        certificate_mode         text NOT NULL,
        registration_config      text,
        creation_date            bigint NOT NULL,
        last_modified_date       bigint NOT NULL,
        not_before               bigint NOT NULL,
        not_after                bigint NOT NULL,
        customer_version         bigint NOT NULL,
        generation_id            text NOT NULL
      );
      CREATE INDEX ca_certificates_by_creation ON ca_certificates (creation_date, certificate_id);

      CREATE TABLE thing_principals (
        thing_name text COLLATE "C" NOT NULL,
        principal  text COLLATE "C" NOT NULL,
        PRIMARY KEY (thing_name, principal)
      );
      CREATE INDEX thing_principals_by_principal ON thing_principals (principal, thing_name);

      CREATE TABLE access_keys (
        access_key_id     text COLLATE "C" PRIMARY KEY,
        secret_access_key text NOT NULL,
        created_at        bigint NOT NULL,
        is_admin          boolean NOT NULL DEFAULT false
      );

      CREATE TABLE policies (
        policy_name        text COLLATE "C" PRIMARY KEY,
        default_version_id text NOT NULL,
        last_version       bigint NOT NULL,
        generation_id      text NOT NULL,
        creation_date      bigint NOT NULL,
        last_modified_date bigint NOT NULL
      );

      CREATE TABLE policy_versions (
        policy_name   text COLLATE "C" NOT NULL REFERENCES policies (policy_name) ON DELETE CASCADE,
        version_id    text NOT NULL,
        document      text NOT NULL,
        creation_date bigint NOT NULL,
        PRIMARY KEY (policy_name, version_id)
      );

      -- No cascade: a policy with attachments is not deleted (the key makes that hold across nodes).
      CREATE TABLE policy_targets (
        policy_name text COLLATE "C" NOT NULL REFERENCES policies (policy_name),
        target      text COLLATE "C" NOT NULL,
        PRIMARY KEY (policy_name, target)
      );
      CREATE INDEX policy_targets_by_target ON policy_targets (target, policy_name);

      CREATE TABLE retained (
        topic      text COLLATE "C" PRIMARY KEY,
        payload    bytea NOT NULL,
        qos        smallint NOT NULL,
        properties text,
        updated_at bigint NOT NULL
      );

      CREATE TABLE sessions (
        client_id       text COLLATE "C" PRIMARY KEY,
        expiry_seconds  bigint NOT NULL,
        disconnected_at bigint
      );

      CREATE TABLE session_subscriptions (
        client_id  text COLLATE "C" NOT NULL REFERENCES sessions (client_id) ON DELETE CASCADE,
        filter     text COLLATE "C" NOT NULL,
        qos        smallint NOT NULL,
        options    integer NOT NULL DEFAULT 0,
        identifier integer NOT NULL DEFAULT 0,
        PRIMARY KEY (client_id, filter)
      );

      CREATE TABLE session_messages (
        client_id   text COLLATE "C" NOT NULL REFERENCES sessions (client_id) ON DELETE CASCADE,
        seq         bigint NOT NULL,
        topic       text NOT NULL,
        payload     bytea NOT NULL,
        qos         smallint NOT NULL,
        properties  text,
        expires_at  bigint,
        identifiers integer[],
        packet_id   integer,
        released    boolean NOT NULL DEFAULT false,
        PRIMARY KEY (client_id, seq)
      );

      -- Inbound QoS 2 packet ids a persistent session's client is still releasing (PUBREC sent, no PUBREL yet).
      CREATE TABLE session_releases (
        client_id text COLLATE "C" NOT NULL REFERENCES sessions (client_id) ON DELETE CASCADE,
        packet_id integer NOT NULL,
        PRIMARY KEY (client_id, packet_id)
      );

      -- MQTT 5 wills waiting for their Will Delay Interval; no foreign key: a will may be due after its session ended.
      CREATE TABLE pending_wills (
        client_id  text COLLATE "C" PRIMARY KEY,
        topic      text NOT NULL,
        payload    bytea NOT NULL,
        qos        smallint NOT NULL,
        retain     boolean NOT NULL,
        properties text,
        due_at     bigint NOT NULL
      );
    `,
  },
  {
    version: 2,
    sql: `
      -- Who made each persistent session (SQLite migration 9): an anonymous client never resumes a
      -- session an authenticated one made. NULL (sessions kept before it) counts as authenticated.
      ALTER TABLE sessions ADD COLUMN owner text;

      -- Device Shadows, classic (shadow_name '') and named, with tombstones (SQLite migration 20).
      CREATE TABLE shadows (
        thing_name  text COLLATE "C" NOT NULL,
        shadow_name text COLLATE "C" NOT NULL,
        document    text,
        version     bigint NOT NULL,
        updated_at  bigint NOT NULL,
        deleted_at  bigint,
        PRIMARY KEY (thing_name, shadow_name)
      );
    `,
  },
  {
    version: 3,
    sql: `
      -- A cluster's node leases (issue 12): each node renews its own; one whose lease ran out is dead,
      -- and the node that takes its row sends the wills and lifecycle events of its connections.
      CREATE TABLE node_leases (
        node       text COLLATE "C" PRIMARY KEY,
        expires_at bigint NOT NULL
      );
      CREATE TABLE node_connections (
        node       text COLLATE "C" NOT NULL,
        session_id text COLLATE "C" NOT NULL,
        record     text NOT NULL,
        PRIMARY KEY (node, session_id)
      );
    `,
  },
];
