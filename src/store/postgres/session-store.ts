/**
 * @module store/postgres/session-store
 * The `sessions` noun of PostgresStore: persistent MQTT sessions with their subscriptions, the QoS 1
 * and 2 messages they are owed, inbound QoS 2 releases, and delayed wills. A session's rows go with
 * it (ON DELETE CASCADE). The broker's hot path (enqueue, dequeue, track) is row writes: adjacent
 * ones of a turn's batch share one multi-row statement (commit-ops.ts).
 */
import type { PendingWillRow, SessionMessageRow, SessionStore, SessionSubscriptionRow, StoredSession } from '../store.js';
import type { Reader } from './reader.js';
import { qosOf } from '../records.js';
import { sql } from './sql.js';
import type { RowKind } from './commit-ops.js';
import type { WriteBatch } from './write-batch.js';

type SessionRecord = { client_id: string; expiry_seconds: number; disconnected_at: number | null; owner: string | null };
type SubscriptionRecord = { client_id: string; filter: string; qos: number; options: number; identifier: number };
type MessageRecord = {
  client_id: string; seq: number; topic: string; payload: Buffer; qos: number; properties: string | null; expires_at: number | null;
  identifiers: number[] | null; packet_id: number | null; released: boolean;
};
type ReleaseRecord = { client_id: string; packet_id: number };
type WillRecord = { client_id: string; topic: string; payload: Buffer; qos: number; retain: boolean; properties: string | null; due_at: number };

const toMessage = (r: MessageRecord): SessionMessageRow => {
  const row: SessionMessageRow = { seq: r.seq, topic: r.topic, payload: r.payload, qos: qosOf(r.qos), properties: r.properties, expiresAt: r.expires_at };
  if (r.identifiers !== null) row.identifiers = r.identifiers;
  if (r.packet_id !== null) {
    row.packetId = r.packet_id;
    row.released = r.released;
  }
  return row;
};

const toSubscription = (r: SubscriptionRecord): SessionSubscriptionRow => {
  const row: SessionSubscriptionRow = { filter: r.filter, qos: qosOf(r.qos) };
  if (r.options !== 0) row.options = r.options;
  if (r.identifier !== 0) row.identifier = r.identifier;
  return row;
};

const toWill = (r: WillRecord): PendingWillRow => ({
  clientId: r.client_id, topic: r.topic, payload: r.payload, qos: qosOf(r.qos), retain: r.retain, properties: r.properties, dueAt: r.due_at,
});

const nothing = (): void => undefined;

/** Inserts or replaces messages (`INSERT OR REPLACE` in SQLite). */
const ENQUEUE: RowKind = {
  statement: (rows) => `
    INSERT INTO session_messages (client_id, seq, topic, payload, qos, properties, expires_at, identifiers, packet_id, released)
    VALUES ${rows}
    ON CONFLICT (client_id, seq) DO UPDATE SET topic = excluded.topic, payload = excluded.payload, qos = excluded.qos,
      properties = excluded.properties, expires_at = excluded.expires_at, identifiers = excluded.identifiers,
      packet_id = excluded.packet_id, released = excluded.released`,
  sameKeyTogether: false,
};
const DEQUEUE: RowKind = {
  statement: (rows) => `DELETE FROM session_messages WHERE (client_id, seq) IN (VALUES ${rows})`,
  sameKeyTogether: true,
};
/** Two tracks of one message apply in order, so never in one statement. */
const TRACK: RowKind = {
  statement: (rows) => `
    UPDATE session_messages m SET packet_id = v.packet_id, released = v.released
    FROM (VALUES ${rows}) AS v (client_id, seq, packet_id, released)
    WHERE m.client_id = v.client_id AND m.seq = v.seq`,
  sameKeyTogether: false,
};
const messageKey = (clientId: string, seq: number): string => `${seq}:${clientId}`;

export function sessionStore(read: Reader, batch: WriteBatch): SessionStore {
  return {
    // One snapshot, so that a session is never seen without the messages committed with it.
    all: () => read.snapshot(async (rows) => {
      const byId = new Map<string, StoredSession>();
      for (const r of await rows<SessionRecord>('SELECT * FROM sessions ORDER BY client_id')) {
        byId.set(r.client_id, {
          session: { clientId: r.client_id, expirySeconds: r.expiry_seconds, disconnectedAt: r.disconnected_at, owner: r.owner },
          subscriptions: [], messages: [], awaitingRelease: [],
        });
      }
      for (const r of await rows<SubscriptionRecord>('SELECT * FROM session_subscriptions ORDER BY client_id, filter')) {
        byId.get(r.client_id)?.subscriptions.push(toSubscription(r));
      }
      for (const r of await rows<MessageRecord>('SELECT * FROM session_messages ORDER BY client_id, seq')) byId.get(r.client_id)?.messages.push(toMessage(r));
      for (const r of await rows<ReleaseRecord>('SELECT * FROM session_releases ORDER BY client_id, packet_id')) {
        byId.get(r.client_id)?.awaitingRelease.push(r.packet_id);
      }
      return [...byId.values()];
    }),
    put: async (s) => batch.write(sql`
      INSERT INTO sessions (client_id, expiry_seconds, disconnected_at, owner) VALUES (${s.clientId}, ${s.expirySeconds}, ${s.disconnectedAt}, ${s.owner})
      ON CONFLICT (client_id) DO UPDATE SET expiry_seconds = excluded.expiry_seconds, disconnected_at = excluded.disconnected_at, owner = excluded.owner`, nothing),
    delete: async (clientId) => batch.write(sql`DELETE FROM sessions WHERE client_id = ${clientId}`, nothing),
    subscribe: async (clientId, s) => batch.write(sql`
      INSERT INTO session_subscriptions (client_id, filter, qos, options, identifier)
      VALUES (${clientId}, ${s.filter}, ${s.qos}, ${s.options ?? 0}, ${s.identifier ?? 0})
      ON CONFLICT (client_id, filter) DO UPDATE SET qos = excluded.qos, options = excluded.options, identifier = excluded.identifier`, nothing),
    unsubscribe: async (clientId, filter) => batch.write(
      sql`DELETE FROM session_subscriptions WHERE client_id = ${clientId} AND filter = ${filter}`, nothing),
    enqueue: async (clientId, m) => batch.writeRow(ENQUEUE, sql`(${clientId}, ${m.seq}, ${m.topic}, ${m.payload}, ${m.qos}, ${m.properties},
      ${m.expiresAt}, ${m.identifiers ?? null}, ${m.packetId ?? null}, ${m.released === true})`, messageKey(clientId, m.seq)),
    track: async (clientId, seq, packetId, released) =>
      batch.writeRow(TRACK, sql`(${clientId}, ${seq}, ${packetId}, ${released})`, messageKey(clientId, seq)),
    dequeue: async (clientId, seq) => batch.writeRow(DEQUEUE, sql`(${clientId}, ${seq})`, messageKey(clientId, seq)),
    awaitRelease: async (clientId, packetId) => batch.write(
      sql`INSERT INTO session_releases (client_id, packet_id) VALUES (${clientId}, ${packetId}) ON CONFLICT DO NOTHING`, nothing),
    release: async (clientId, packetId) => batch.write(
      sql`DELETE FROM session_releases WHERE client_id = ${clientId} AND packet_id = ${packetId}`, nothing),
    putWill: async (w) => batch.write(sql`
      INSERT INTO pending_wills (client_id, topic, payload, qos, retain, properties, due_at)
      VALUES (${w.clientId}, ${w.topic}, ${w.payload}, ${w.qos}, ${w.retain}, ${w.properties}, ${w.dueAt})
      ON CONFLICT (client_id) DO UPDATE SET topic = excluded.topic, payload = excluded.payload, qos = excluded.qos,
        retain = excluded.retain, properties = excluded.properties, due_at = excluded.due_at`, nothing),
    deleteWill: async (clientId) => batch.write(sql`DELETE FROM pending_wills WHERE client_id = ${clientId}`, nothing),
    wills: async () => (await read.rows<WillRecord>('SELECT * FROM pending_wills ORDER BY due_at, client_id')).map(toWill),
  };
}
