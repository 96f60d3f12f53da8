/**
 * @module broker/lifecycle
 * AWS IoT lifecycle events: `$aws/events/presence/{connected|disconnected}/{clientId}` and
 * `$aws/events/subscriptions/{subscribed|unsubscribed}/{clientId}`, with AWS's JSON fields
 * (reference §5). Published through the publish gate as the service (QoS 1, so persistent sessions
 * queue them); `#` never matches them, so only subscribers to `$aws/events/...` see them.
 */
import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/authorizer.js';
import type { PublishProperties, QoS } from '../protocol/codec.js';
import type { Clock } from './clock.js';
import type { PublishGate } from './ingress.js';

/** AWS's disconnectReason values that topicd produces. */
export type DisconnectReason =
  | 'AUTH_ERROR'
  | 'CLIENT_INITIATED_DISCONNECT'
  | 'CLIENT_ERROR'
  | 'CONNECTION_LOST'
  | 'DUPLICATE_CLIENTID'
  | 'MQTT_KEEP_ALIVE_TIMEOUT'
  | 'SERVER_ERROR'
  | 'SERVER_INITIATED_DISCONNECT'
  | 'API_INITIATED_DISCONNECT';

/** One connection as its lifecycle events describe it. */
export interface ConnectionIdentity {
  readonly clientId: string;
  readonly sessionIdentifier: string;
  readonly principalIdentifier: string;
  readonly ipAddress: string;
  readonly versionNumber: number;
  /** For the connection log only (never in an event's JSON): what authenticated, and how it speaks. */
  readonly principalKind: Principal['kind'];
  readonly protocolVersion: number;
  readonly transport: string;
}

/** Who hears of every connection's start and end besides the `$aws/events` subscribers (the log: observe/connection-log.ts). */
export interface ConnectionObserver {
  connected(id: ConnectionIdentity): void;
  /** `detail` is the server's own explanation when it closed the connection. */
  disconnected(id: ConnectionIdentity, reason: DisconnectReason, detail: string | undefined): void;
}

/** AWS: the certificate id for X.509 clients; the access key for SigV4 ones. */
export function principalIdentifier(principal: Principal): string {
  switch (principal.kind) {
    case 'certificate': return principal.certificateId;
    default: return 'accessKeyId' in principal && typeof principal.accessKeyId === 'string' ? principal.accessKeyId : 'anonymous';
  }
}

/** A connection's will as CONNECT gave it (channel/context.ts Will), for a cluster's node watch. */
export interface PresenceWill {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties: PublishProperties | undefined;
  delaySeconds: number;
}

/** Told of each connection and its end: a cluster keeps them where other nodes find them if this node dies (node-watch.ts). */
export interface PresenceHook {
  connected(id: ConnectionIdentity, will: PresenceWill | undefined): void;
  disconnected(id: ConnectionIdentity): void;
}

export class LifecycleEvents {
  /** AWS: versionNumber rises with each connection of a client id. */
  private readonly versions = new Map<string, number>();
  presence: PresenceHook | undefined;
  private observer: ConnectionObserver | undefined;

  constructor(private readonly gate: PublishGate, private readonly clock: Clock) {}

  /** Sets who hears of connections (one observer: the node's log). */
  observe(observer: ConnectionObserver): void {
    this.observer = observer;
  }

  /** Identifies a new connection (its events carry the same sessionIdentifier and versionNumber). */
  identify(clientId: string, principal: Principal, ipAddress: string, protocolVersion = 4, transport = 'mqtt'): ConnectionIdentity {
    const versionNumber = this.versions.get(clientId) ?? 0;
    this.versions.set(clientId, versionNumber + 1);
    return {
      clientId,
      sessionIdentifier: randomUUID().replace(/-/g, ''),
      principalIdentifier: principalIdentifier(principal),
      ipAddress,
      versionNumber,
      principalKind: principal.kind,
      protocolVersion,
      transport,
    };
  }

  connected(id: ConnectionIdentity, will?: PresenceWill): void {
    this.presence?.connected(id, will);
    this.observer?.connected(id);
    this.emit(`$aws/events/presence/connected/${id.clientId}`, id.clientId, {
      clientId: id.clientId, timestamp: this.clock.now(), eventType: 'connected', sessionIdentifier: id.sessionIdentifier,
      principalIdentifier: id.principalIdentifier, ipAddress: id.ipAddress, versionNumber: id.versionNumber,
    });
  }

  disconnected(id: ConnectionIdentity, reason: DisconnectReason, detail?: string): void {
    this.presence?.disconnected(id);
    this.observer?.disconnected(id, reason, detail);
    this.emit(`$aws/events/presence/disconnected/${id.clientId}`, id.clientId, {
      clientId: id.clientId, timestamp: this.clock.now(), eventType: 'disconnected', sessionIdentifier: id.sessionIdentifier,
      principalIdentifier: id.principalIdentifier, clientInitiatedDisconnect: reason === 'CLIENT_INITIATED_DISCONNECT',
      disconnectReason: reason, versionNumber: id.versionNumber,
    });
  }

  subscriptions(id: ConnectionIdentity, eventType: 'subscribed' | 'unsubscribed', topics: readonly string[]): void {
    if (topics.length === 0) return;
    this.emit(`$aws/events/subscriptions/${eventType}/${id.clientId}`, id.clientId, {
      clientId: id.clientId, timestamp: this.clock.now(), eventType, sessionIdentifier: id.sessionIdentifier,
      principalIdentifier: id.principalIdentifier, topics,
    });
  }

  private emit(topic: string, clientId: string, event: object): void {
    // AWS: client ids holding # or + get no lifecycle events (they would make invalid topics).
    if (clientId.includes('#') || clientId.includes('+')) return;
    this.gate.publishAsService(topic, Buffer.from(JSON.stringify(event)), 1);
  }
}
