/**
 * @module broker/channel/connect
 * CONNECT: the protocol version, the client id, iot:Connect (with AWS's iot:ConnectAttributes), the
 * connect quota, the will (admitted by the publish gate as any publish would be), the session
 * (resumed, taken over from another connection, or new) and CONNACK with what the connection gets.
 */
import { randomUUID } from 'node:crypto';
import type { IConnectPacket, Packet } from 'mqtt-packet';
import { principalKey, type ConnectAttribute } from '../../auth/authorizer.js';
import { mqttProtocol } from '../../observe/counters.js';
import { encode } from '../../protocol/codec.js';
import { CONNACK_V4, RC, connackCodeV4 } from '../../protocol/reason-codes.js';
import type { Refusal } from '../ingress.js';
import { clampKeepAlive } from '../limits.js';
import type { ChannelContext } from './context.js';
import { armKeepAlive } from './keep-alive.js';
import { publishProperties } from './properties.js';
import { reasonString } from './replies.js';

/** The CONNACK reason for a will the gate refused. */
const WILL_REFUSAL: Record<Refusal, number> = {
  QosNotSupported: RC.QOS_NOT_SUPPORTED,
  TopicInvalid: RC.TOPIC_NAME_INVALID,
  PayloadTooLarge: RC.PACKET_TOO_LARGE,
  ReservedTopic: RC.NOT_AUTHORIZED,
  NotAuthorized: RC.NOT_AUTHORIZED,
  QuotaExceeded: RC.QUOTA_EXCEEDED,
};

export function onConnect(ch: ChannelContext, packet: IConnectPacket, claimed = false): void {
  const version = packet.protocolVersion;
  if (version !== 4 && version !== 5) {
    // [MQTT-3.1.2-2] unsupported protocol level: CONNACK 0x01 then close (3.1 clients included)
    ch.protocolVersion = 4;
    return refuse(ch, RC.UNSUPPORTED_PROTOCOL_VERSION, `protocol version ${String(version)} is not supported`);
  }
  ch.protocolVersion = version;
  ch.deliveredAt = mqttProtocol(version) * 3;
  const { limits, authorizer, principal, broker, gate } = ch.deps;
  const props = version === 5 ? packet.properties : undefined;
  if (props?.requestProblemInformation === false) ch.problemInfo = false;

  let clientId = packet.clientId;
  let assigned = false;
  if (clientId === '') {
    // [MQTT-3.1.3-8] 3.1.1 may only leave it empty with a clean session; v5 gets one assigned
    if (version === 4 && !packet.clean) return refuse(ch, RC.CLIENT_IDENTIFIER_NOT_VALID, 'empty client id needs a clean session');
    clientId = `topicd-${randomUUID()}`;
    assigned = true;
  }
  if (Buffer.byteLength(clientId) > limits.maxClientIdBytes) {
    return refuse(ch, RC.CLIENT_IDENTIFIER_NOT_VALID, `client id over ${limits.maxClientIdBytes} bytes`);
  }
  // AWS: the `$` prefix is reserved for the service
  if (clientId.charCodeAt(0) === 36) return refuse(ch, RC.CLIENT_IDENTIFIER_NOT_VALID, 'client id must not start with $');
  // A cluster: the session may be held by another node; it lets go (and its writes land) first.
  if (!claimed && !assigned && broker.mustClaim(clientId)) return claimThenConnect(ch, packet, clientId);
  // An unknown username (the AWS device SDK sends a metrics string) is ignored: the certificate decides.
  // AWS: iot:ConnectAttributes lets a Connect policy refuse persistent sessions or wills.
  const persistent = version === 5 ? (props?.sessionExpiryInterval ?? 0) > 0 : packet.clean === false;
  const attributes: ConnectAttribute[] = [];
  if (persistent) attributes.push('PersistentConnect');
  if (packet.will) attributes.push('LastWill');
  ch.grants = authorizer.grants(principal, clientId, attributes);
  if (!ch.grants.connect()) return refuse(ch, RC.NOT_AUTHORIZED, 'not authorized to connect');
  // AWS: 1 CONNECT per second per client id (reference §4); a quota only when set.
  if (limits.rates.connectPerSecond > 0 && !broker.admitConnect(clientId, limits.rates.connectPerSecond)) {
    return refuse(ch, RC.QUOTA_EXCEEDED, `over ${limits.rates.connectPerSecond} CONNECT per second for this client id`);
  }

  if (packet.will) {
    const will = packet.will;
    const payload = Buffer.from(will.payload);
    const qos = will.qos ?? 0;
    const retain = will.retain === true;
    // The will is a publish: the gate's rules decide it now, as they would when it is sent.
    const refusal = gate.admit({ grants: ch.grants, session: undefined, rate: undefined, clientId }, will.topic, qos, retain, payload.length);
    if (refusal !== undefined) return refuse(ch, WILL_REFUSAL[refusal], `will: ${gate.why()}`);
    ch.will = {
      topic: will.topic, payload, qos, retain,
      properties: version === 5 ? publishProperties(will.properties) : undefined,
      delaySeconds: version === 5 ? (will.properties?.willDelayInterval ?? 0) : 0,
    };
  }

  if (props?.receiveMaximum) ch.sendWindow = Math.min(limits.maxInflight, props.receiveMaximum);
  // AWS: a 3.1.1 persistent session lasts the default expiry (1 h); v5 asks with Session Expiry
  // Interval, capped at the maximum (7 days), and is told the value granted.
  const requestedExpiry = version === 5 ? (props?.sessionExpiryInterval ?? 0) : (packet.clean ? 0 : limits.defaultSessionExpiry);
  const expiry = Math.min(requestedExpiry, limits.maxSessionExpiry);
  ch.sessionExpirySeconds = expiry;
  ch.connectedWithZeroExpiry = version === 5 && requestedExpiry === 0;
  if (props?.maximumPacketSize) ch.clientMaxPacket = props.maximumPacketSize;
  if (limits.features.outboundTopicAliases && props?.topicAliasMaximum) ch.clientAliasMax = props.topicAliasMaximum;

  const requestedKeepAlive = packet.keepalive ?? 0;
  const keepAlive = clampKeepAlive(requestedKeepAlive, limits, version);

  // [MQTT-3.1.3-9] a new connection for the client id before the Will Delay Interval cancels the will
  ch.deps.wills.cancel(clientId);
  const opened = broker.openSession(clientId, packet.clean === true, expiry, principalKey(principal));
  // An anonymous (plain listener) client never resumes or takes over an authenticated principal's session.
  if (opened === 'owned-by-another') return refuse(ch, RC.NOT_AUTHORIZED, 'the client id belongs to an authenticated principal');
  const { session, present } = opened;
  ch.keepAliveMs = keepAlive * 1000;
  ch.clientId = clientId;
  ch.state = 'connected';
  ch.connectedAt = ch.deps.clock.now();
  ch.session = session;
  writeConnack(ch, present, keepAlive !== requestedKeepAlive ? keepAlive : undefined, assigned, expiry !== requestedExpiry ? expiry : undefined);
  armKeepAlive(ch);
  const lifecycle = ch.deps.lifecycle;
  if (lifecycle) {
    ch.identity = lifecycle.identify(clientId, principal, ch.link.remoteAddress, ch.protocolVersion, ch.deps.transport ?? 'mqtt');
    lifecycle.connected(ch.identity, ch.will);
  }
  // After CONNACK: redeliver what the session still owes [MQTT-4.4.0-1].
  session.attach(ch);
}

/** CONNECT waits for the claim; packets behind it wait in `pending` and are handled after, in order. */
function claimThenConnect(ch: ChannelContext, packet: IConnectPacket, clientId: string): void {
  const pending: Packet[] = [];
  ch.pending = pending;
  void ch.deps.broker.claim(clientId).then((ok) => {
    ch.pending = undefined;
    if (ch.state === 'closed') return;
    if (!ok) return refuse(ch, RC.SERVER_UNAVAILABLE, 'the session store cannot be reached');
    onConnect(ch, packet, true);
    for (const p of pending) ch.handle(p);
  });
}

function writeConnack(ch: ChannelContext, present: boolean, serverKeepAlive: number | undefined, assigned: boolean, grantedExpiry: number | undefined): void {
  const limits = ch.deps.limits;
  if (ch.protocolVersion === 4) {
    // [MQTT-3.2.2-1] session present is 0 for a clean session
    ch.link.write(encode({ cmd: 'connack', returnCode: CONNACK_V4.ACCEPTED, sessionPresent: present }, 4));
    return;
  }
  const { qos2, subscriptionIdentifiers } = limits.features;
  ch.link.write(encode({
    cmd: 'connack',
    reasonCode: RC.SUCCESS,
    sessionPresent: present,
    properties: {
      // AWS IoT's advertised capabilities (reference §5); an absent Maximum QoS means 2 [MQTT-3.2.2-9]
      ...(qos2 ? {} : { maximumQoS: 1 as const }),
      retainAvailable: true,
      wildcardSubscriptionAvailable: true,
      ...(subscriptionIdentifiers ? {} : { subscriptionIdentifiersAvailable: false }),
      sharedSubscriptionAvailable: true,
      topicAliasMaximum: limits.topicAliasMaximum,
      receiveMaximum: limits.maxInflight,
      maximumPacketSize: limits.maxPacketBytes,
      // [MQTT-3.2.2-21] the client must use the Server Keep Alive when we send one
      ...(serverKeepAlive === undefined ? {} : { serverKeepAlive }),
      ...(assigned ? { assignedClientIdentifier: ch.clientId } : {}),
      ...(grantedExpiry === undefined ? {} : { sessionExpiryInterval: grantedExpiry }),
    },
  }, 5));
}

/** Refuses the CONNECT with `reason` (a 3.1.1 client gets the nearest return code), then closes. */
export function refuse(ch: ChannelContext, reason: number, why: string): void {
  const packet = ch.protocolVersion === 5
    ? { cmd: 'connack' as const, reasonCode: reason, sessionPresent: false, ...reasonString(ch, why) }
    : { cmd: 'connack' as const, returnCode: connackCodeV4(reason), sessionPresent: false };
  ch.link.write(encode(packet, ch.protocolVersion));
  ch.close(undefined, why);
}
