/**
 * @module broker/channel/context
 * What one MQTT connection's handlers share: the connection's state and the few operations every
 * handler needs, as an interface the Channel class implements. Each packet kind has its handler
 * module beside this one (connect, publish-in, delivery, subscribe, keep-alive, disconnect), in the
 * way aedes keeps one file per packet; they read and change the state through this interface, so no
 * handler imports the class and no handler touches a socket: they write bytes to a Link.
 */
import type { Packet } from 'mqtt-packet';
import type { Authorizer, Grants, Principal } from '../../auth/authorizer.js';
import type { ProtocolVersion } from '../../protocol/codec.js';
import type { Broker } from '../broker.js';
import type { Clock, Timer } from '../clock.js';
import type { PublishGate, RateWindow } from '../ingress.js';
import type { ChannelLimits } from '../limits.js';
import type { ConnectionIdentity, DisconnectReason, LifecycleEvents, PresenceWill } from '../lifecycle.js';
import type { Session, SessionChannel } from '../session.js';
import type { Wills } from '../wills.js';

/** What a channel needs from its transport. */
export interface Link {
  /** Queue bytes for the peer (the transport batches writes per turn). */
  write(buf: Buffer): void;
  /** Flush what was written, then close. */
  end(): void;
  /** Bytes written but not yet sent (the peer has not read them). */
  readonly buffered: number;
  /** The peer's address as AWS reports it (plain IPv4 for IPv4 clients). */
  readonly remoteAddress: string;
  /** The session's queue is over (or back under) its bounds: the transport may hold publishers back. */
  queueCongested?(over: boolean): void;
}

export interface ChannelDeps {
  gate: PublishGate;
  broker: Broker;
  wills: Wills;
  authorizer: Authorizer;
  principal: Principal;
  limits: ChannelLimits;
  clock: Clock;
  /** How the client reached topicd (the console shows it). */
  transport?: 'mqtt' | 'websocket' | undefined;
  /** AWS lifecycle events; none are published when absent. */
  lifecycle?: LifecycleEvents | undefined;
  /** Told once when the channel is closed, for the transport's bookkeeping. */
  onClosed?: ((channel: ChannelContext) => void) | undefined;
}

export type ChannelState = 'awaiting-connect' | 'connected' | 'closed';

/** A last will as CONNECT gave it; the message is made when it is sent, so its expiry runs from then. */
export type Will = PresenceWill;

export interface ChannelContext extends SessionChannel {
  readonly link: Link;
  readonly deps: ChannelDeps;
  state: ChannelState;
  clientId: string;
  protocolVersion: ProtocolVersion;
  /** What this connection may do; known once CONNECT names the client id. */
  grants: Grants;
  session: Session | undefined;
  /** Epoch ms of the CONNECT. */
  connectedAt: number;
  /** Epoch ms of the last packet from the client (keep-alive). */
  lastActivity: number;
  keepAliveMs: number;
  /** The CONNECT deadline, then the keep-alive check. */
  timer: Timer | undefined;
  will: Will | undefined;
  /** As granted at CONNECT, or changed by a v5 DISCONNECT. */
  sessionExpirySeconds: number;
  /** True when CONNECT asked for a Session Expiry Interval of 0 (a later non-zero one is a Protocol Error). */
  connectedWithZeroExpiry: boolean;
  identity: ConnectionIdentity | undefined;
  /** Why the server closed the connection, in words (the connection log's `detail`). */
  closeDetail: string | undefined;
  /** The node's delivered counters (observe/counters.ts) and this connection's row in them (protocol * 3), set at CONNECT. */
  readonly delivered: Float64Array;
  deliveredAt: number;
  /** Inbound topic aliases the client set on this connection (v5); they end with it [MQTT-3.3.2-7]. */
  topicAliases: Map<number, string> | undefined;
  /** How many QoS 1 and 2 messages may be in flight to the client. */
  sendWindow: number;
  /** Largest packet the client accepts (v5 Maximum Packet Size). */
  clientMaxPacket: number;
  /** Outbound topic aliases: the client's Topic Alias Maximum (0: none) and the aliases set so far. */
  clientAliasMax: number;
  outAliases: Map<string, number> | undefined;
  /** v5 Request Problem Information: false when the client asked for no Reason Strings [MQTT-3.1.2-29]. */
  problemInfo: boolean;
  /** Packets that came while CONNECT waited for its session to be claimed from another node; undefined otherwise. */
  pending: Packet[] | undefined;
  /** The per-connection publish quota's window (the gate counts in it). */
  readonly rate: RateWindow;
  /** SUBSCRIBE packets in the current second, for the subscribe quota. */
  readonly subscribeRate: RateWindow;

  /** Ends the connection (v5: DISCONNECT with `reason` first, where the spec allows). */
  close(reason: number | undefined, why?: string): void;
  /** Handles one parsed packet (the entry point of the transport). */
  handle(packet: Packet): void;
  /** The connection ended: lifecycle event, session detached, will sent or scheduled. */
  finish(sendWill: boolean, reason: DisconnectReason): void;
}

/** Fixed headers of the acknowledgements [MQTT-3.4.1] [MQTT-3.5.1] [MQTT-3.6.1-1] [MQTT-3.7.1]. */
export const PUBACK = 0x40;
export const PUBREC = 0x50;
export const PUBREL = 0x62;
export const PUBCOMP = 0x70;

