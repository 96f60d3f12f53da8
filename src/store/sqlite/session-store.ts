/**
 * @module store/sqlite/session-store
 * The `sessions` noun of SqliteStore: persistent MQTT sessions with their subscriptions, the QoS 1
 * and 2 messages they are owed, inbound QoS 2 releases, and delayed wills.
 */
import type { Database as Db } from 'better-sqlite3';
import { qosOf } from '../records.js';
import type { PendingWillRow, SessionMessageRow, SessionStore, SessionSubscriptionRow, StoredSession } from '../store.js';

export function sessionStore(db: Db): SessionStore {
  type SessionRecord = { client_id: string; expiry_seconds: number; disconnected_at: number | null; owner: string | null };
  type SubscriptionRecord = { client_id: string; filter: string; qos: number; options: number; identifier: number };
  type MessageRecord = {
    client_id: string; seq: number; topic: string; payload: Buffer; qos: number; properties: string | null; expires_at: number | null;
    identifiers: string | null; packet_id: number | null; released: number;
  };
  const sessions = db.prepare<[], SessionRecord>('SELECT * FROM sessions ORDER BY client_id');
  const subscriptions = db.prepare<[], SubscriptionRecord>('SELECT * FROM session_subscriptions ORDER BY client_id, filter');
  const messages = db.prepare<[], MessageRecord>('SELECT * FROM session_messages ORDER BY client_id, seq');
  const put = db.prepare<[string, number, number | null, string | null]>(
    'INSERT INTO sessions (client_id, expiry_seconds, disconnected_at, owner) VALUES (?, ?, ?, ?) '
    + 'ON CONFLICT (client_id) DO UPDATE SET expiry_seconds = excluded.expiry_seconds, disconnected_at = excluded.disconnected_at, owner = excluded.owner');
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
        byId.set(r.client_id, { session: { clientId: r.client_id, expirySeconds: r.expiry_seconds, disconnectedAt: r.disconnected_at, owner: r.owner }, subscriptions: [], messages: [], awaitingRelease: [] });
      }
      for (const r of subscriptions.all()) byId.get(r.client_id)?.subscriptions.push(toSubscription(r));
      for (const r of messages.all()) byId.get(r.client_id)?.messages.push(toMessage(r));
      for (const r of releases.all()) byId.get(r.client_id)?.awaitingRelease.push(r.packet_id);
      return [...byId.values()];
    },
    put: async (s) => { put.run(s.clientId, s.expirySeconds, s.disconnectedAt, s.owner); },
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
