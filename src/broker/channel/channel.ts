/**
 * @module broker/channel/channel
 * One MQTT connection's state machine, for MQTT 3.1.1 and 5: the state (context.ts) and the dispatch
 * of each parsed packet to its handler module. What the connection may do beyond AWS IoT is in
 * `limits.features` (broker/profile.ts).
 *
 * Design note. The channel never touches a socket: the transport feeds it parsed packets and gives it
 * a Link to write bytes to and to close; time comes from the injected Clock. Every failure of the
 * client ends in `close(reason)`, which sends a v5 DISCONNECT where the spec allows and then ends the
 * link; nothing throws out of `handle`. What outlives the connection (subscriptions, messages owed,
 * the in-flight window) belongs to the Session (broker/session.ts); the channel only writes what the
 * session sends. Messages the client publishes go through the publish gate (broker/ingress.ts).
 */
import type { Packet } from 'mqtt-packet';
import { DENY_ALL, type Grants } from '../../auth/authorizer.js';
import type { Message, ProtocolVersion, QoS } from '../../protocol/codec.js';
import { RC } from '../../protocol/reason-codes.js';
import type { Timer } from '../clock.js';
import { RateWindow } from '../ingress.js';
import { principalIdentifier, type ConnectionIdentity, type DisconnectReason } from '../lifecycle.js';
import type { ConnectionInfo, Session } from '../session.js';
import { onConnect, refuse } from './connect.js';
import type { ChannelContext, ChannelDeps, ChannelState, Link, Will } from './context.js';
import { onPubcomp, onPuback, onPubrec, sendPublish, sendPubrel } from './delivery.js';
import { close, finish, onDisconnect } from './disconnect.js';
import { armConnectDeadline, PINGRESP } from './keep-alive.js';
import { onPublish, onPubrel } from './publish-in.js';
import { onSubscribe, onUnsubscribe } from './subscribe.js';

export type { ChannelDeps, Link } from './context.js';

export class Channel implements ChannelContext {
  state: ChannelState = 'awaiting-connect';
  clientId = '';
  protocolVersion: ProtocolVersion = 4;
  grants: Grants = DENY_ALL;
  session: Session | undefined;
  connectedAt = 0;
  lastActivity: number;
  keepAliveMs = 0;
  timer: Timer | undefined;
  will: Will | undefined;
  sessionExpirySeconds = 0;
  connectedWithZeroExpiry = false;
  identity: ConnectionIdentity | undefined;
  closeDetail: string | undefined;
  readonly delivered: Float64Array;
  deliveredAt = 0;
  topicAliases: Map<number, string> | undefined;
  sendWindow: number;
  clientMaxPacket = Number.MAX_SAFE_INTEGER;
  clientAliasMax = 0;
  outAliases: Map<string, number> | undefined;
  problemInfo = true;
  pending: Packet[] | undefined;
  readonly rate = new RateWindow();
  readonly subscribeRate = new RateWindow();

  constructor(readonly link: Link, readonly deps: ChannelDeps) {
    this.sendWindow = deps.limits.maxInflight;
    this.delivered = deps.broker.counters.delivered;
    this.lastActivity = deps.clock.now();
    armConnectDeadline(this);
  }

  /** Entry point for every parsed packet. */
  handle(packet: Packet): void {
    if (this.state === 'closed') return;
    this.lastActivity = this.deps.clock.now();
    if (this.pending !== undefined) {
      this.pending.push(packet);
      return;
    }
    if (this.state === 'awaiting-connect') {
      // [MQTT-3.1.0-1] the first packet must be CONNECT
      if (packet.cmd !== 'connect') return this.close(undefined, `first packet was ${packet.cmd}, not CONNECT`);
      return onConnect(this, packet);
    }
    const qos2 = this.deps.limits.features.qos2;
    switch (packet.cmd) {
      case 'publish': return onPublish(this, packet);
      case 'puback': return onPuback(this, packet);
      case 'pubrec': if (qos2) return onPubrec(this, packet); break;
      case 'pubrel': if (qos2) return onPubrel(this, packet); break;
      case 'pubcomp': if (qos2) return onPubcomp(this, packet); break;
      case 'subscribe': return onSubscribe(this, packet);
      case 'unsubscribe': return onUnsubscribe(this, packet);
      case 'pingreq': return this.link.write(PINGRESP);
      case 'disconnect': return onDisconnect(this, packet);
      // [MQTT-3.1.0-2] a second CONNECT is a protocol violation
      case 'connect': return this.close(RC.PROTOCOL_ERROR, 'second CONNECT');
      default: break;
    }
    // AWS IoT supports neither QoS 2 flows nor enhanced authentication.
    this.close(RC.PROTOCOL_ERROR, `unexpected ${packet.cmd}`);
  }

  /**
   * Whether the connection may go on: false once its identity or its iot:Connect no longer holds
   * (the transport asks after every registry change that can alter a decision).
   */
  stillAuthorized(): boolean {
    return this.state !== 'connected' || this.grants.connect();
  }

  /**
   * The transport says the client's bytes were malformed; `reason` is the v5 code (0x81 Malformed
   * Packet unless said, 0x82 Protocol Error). A v5 CONNECT that breaks the rules is answered with a
   * CONNACK carrying the code [MQTT-4.13.1-1]; once connected, a DISCONNECT.
   */
  malformed(why: string, reason: number = RC.MALFORMED_PACKET, connectVersion?: number): void {
    if (this.state === 'awaiting-connect' && connectVersion === 5) {
      this.protocolVersion = 5;
      return refuse(this, reason, `malformed CONNECT: ${why}`);
    }
    this.close(this.state === 'connected' ? reason : undefined, `malformed packet: ${why}`);
  }

  /**
   * The transport says the connection went away; `byClientWebSocketClose` when the client ended it
   * with a WebSocket close frame, which AWS treats as a clean disconnect (no will).
   */
  linkClosed(byClientWebSocketClose = false): void {
    if (this.state === 'closed') return;
    if (byClientWebSocketClose && !this.deps.limits.features.willOnWebSocketClose) return this.finish(false, 'CLIENT_INITIATED_DISCONNECT');
    this.finish(true, 'CONNECTION_LOST');
  }

  close(reason: number | undefined, why?: string): void {
    close(this, reason, why);
  }

  finish(sendWill: boolean, reason: DisconnectReason): void {
    finish(this, sendWill, reason);
  }

  // ---- the session's side (SessionChannel) ----

  mayReceive(topic: string): boolean {
    return this.grants.receive(topic);
  }

  sendPublish(message: Message, qos: QoS, packetId: number, dup: boolean, retain: boolean, ids: readonly number[] | undefined): boolean {
    return sendPublish(this, message, qos, packetId, dup, retain, ids);
  }

  sendPubrel(packetId: number, known: boolean): void {
    sendPubrel(this, packetId, known);
  }

  queueCongested(over: boolean): void {
    this.link.queueCongested?.(over);
  }

  describe(): ConnectionInfo {
    return {
      principal: principalIdentifier(this.deps.principal), transport: this.deps.transport ?? 'mqtt',
      protocolVersion: this.protocolVersion, address: this.link.remoteAddress, connectedAt: this.connectedAt,
    };
  }

  disconnectByOperator(preventWill: boolean): void {
    if (preventWill) this.will = undefined;
    this.close(RC.ADMINISTRATIVE_ACTION, 'disconnected by an operator');
  }

  takenOver(): void {
    this.close(RC.SESSION_TAKEN_OVER, 'client id taken over by a new connection');
  }
}
