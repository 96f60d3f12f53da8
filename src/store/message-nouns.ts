/**
 * @module store/message-nouns
 * The Store port's nouns of the broker and its services (see store.ts for the port and its
 * durability contract): retained messages, persistent sessions with what they are owed and their
 * delayed wills, Device Shadows, and a cluster's node leases.
 */
import type { Page, PageRequest } from './paging.js';

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
  /**
   * Who made the session: the principal key of its connection (a certificate id, `access-key:ID`,
   * `anonymous`); null when unknown (kept by an older topicd), which counts as authenticated.
   */
  owner: string | null;
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
  /** Inbound QoS 2: packet ids the client is still releasing (PUBREC sent, PUBREL not yet received), ascending. */
  awaitingRelease: number[];
}

/** An MQTT 5 will waiting for its Will Delay Interval, kept so that a restart still sends it. */
export interface PendingWillRow {
  clientId: string;
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** Opaque serialized MQTT 5 properties, or null. */
  properties: string | null;
  /** Epoch milliseconds when it is sent, unless the client id connects again first. */
  dueAt: number;
}

export interface SessionStore {
  /** Every session with its subscriptions and messages (in seq order), for the broker at start. */
  all(): Promise<StoredSession[]>;
  /** One session with its subscriptions and messages, as `all` gives it (a cluster node loads a session its client brought). */
  get(clientId: string): Promise<StoredSession | undefined>;
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
  /** Inbound QoS 2: the PUBLISH under `packetId` was routed and PUBREC sent (no-op when recorded already). */
  awaitRelease(clientId: string, packetId: number): Promise<void>;
  /** Inbound QoS 2: the client's PUBREL came for `packetId`. */
  release(clientId: string, packetId: number): Promise<void>;
  /** Delayed wills, by client id; they outlive their session's row (a will may be due after it ends). */
  putWill(will: PendingWillRow): Promise<void>;
  deleteWill(clientId: string): Promise<void>;
  wills(): Promise<PendingWillRow[]>;
}

/**
 * One Device Shadow, keyed by (thingName, shadowName); shadowName '' is the classic (unnamed) shadow.
 * A deleted shadow stays as a tombstone (document null, deletedAt set) because AWS continues its
 * version count when it is re-created within 48 hours; the service decides what a tombstone means.
 */
export interface ShadowRow {
  thingName: string;
  /** '' for the classic shadow (CLASSIC_SHADOW), else the named shadow's name. */
  shadowName: string;
  /** The document as JSON text (`{"state":{...},"metadata":{...}}`, opaque to the store); null for a tombstone. */
  document: string | null;
  /** The shadow's version; a tombstone keeps the version the shadow had when deleted. */
  version: number;
  /** Epoch milliseconds of the last write (update or delete). */
  updatedAt: number;
  /** Epoch milliseconds of the delete for a tombstone; null while the shadow exists. */
  deletedAt: number | null;
}

/** The shadowName of the classic (unnamed) shadow. */
export const CLASSIC_SHADOW = '';

/** What a shadow compare-and-set expects to find: no row at all, or a row at this version, live or a tombstone. */
export type ShadowExpectation = { version: number; deleted: boolean } | null;

export interface ShadowStore {
  /** The row, tombstones included; undefined when there never was one. */
  get(thingName: string, shadowName: string): Promise<ShadowRow | undefined>;
  /**
   * Inserts or replaces the row (a delete writes a tombstone) when the stored row is what `expect` says
   * (compare-and-set, so two nodes cannot both win one version); resolves false and changes nothing otherwise.
   */
  put(row: ShadowRow, expect: ShadowExpectation): Promise<boolean>;
  /** Names of the thing's existing named shadows in name order (the classic shadow and tombstones are left out). */
  listNamed(thingName: string, page: PageRequest): Promise<Page<string>>;
}

/** One live connection of a cluster node: what the cluster sends for it if the node dies (JSON, opaque to the store). */
export interface NodeConnectionRow {
  node: string;
  sessionId: string;
  record: string;
}

/**
 * Node leases for a cluster (PostgreSQL only): each node renews its lease; a node whose lease ran out
 * is dead, and exactly one live node takes its connections (to send their wills and events).
 */
export interface NodeLeaseStore {
  renew(node: string, until: number): Promise<void>;
  /** Deletes the leases that ran out before `now` with their connections, and resolves those connections. */
  takeExpired(now: number): Promise<NodeConnectionRow[]>;
  putConnection(row: NodeConnectionRow): Promise<void>;
  deleteConnection(node: string, sessionId: string): Promise<void>;
  /** A clean stop: the node's lease and connections go. */
  release(node: string): Promise<void>;
}
