/**
 * @module broker/channel/disconnect
 * How a connection ends: the client's DISCONNECT (v5: with a reason and perhaps a new Session Expiry
 * Interval), a close by the server (v5: DISCONNECT with a reason first [MQTT-4.13.2-1]), or the link
 * going away. Then, once: the lifecycle event, the session detached (kept when persistent), and the
 * will sent, or scheduled for its delay, unless the client ended cleanly.
 */
import type { IDisconnectPacket } from 'mqtt-packet';
import { RC } from '../../protocol/reason-codes.js';
import type { DisconnectReason } from '../lifecycle.js';
import type { ChannelContext } from './context.js';
import { disconnectPacket } from './replies.js';

export function onDisconnect(ch: ChannelContext, packet: IDisconnectPacket): void {
  const v5 = ch.protocolVersion === 5;
  const expiry = v5 ? packet.properties?.sessionExpiryInterval : undefined;
  if (expiry !== undefined) {
    // [MQTT-3.14.2-2.2] 0 at CONNECT then non-zero at DISCONNECT is a Protocol Error
    if (ch.connectedWithZeroExpiry && expiry !== 0) return ch.close(RC.PROTOCOL_ERROR, 'Session Expiry Interval set on DISCONNECT after 0 on CONNECT');
    const granted = Math.min(expiry, ch.deps.limits.maxSessionExpiry);
    ch.sessionExpirySeconds = granted;
    if (ch.session) ch.deps.broker.setExpiry(ch.session, granted);
  }
  // [MQTT-3.14.4-3] a normal DISCONNECT discards the will; v5 reason 0x04 asks for it to be sent
  const keepWill = v5 && packet.reasonCode === 0x04;
  if (!keepWill) ch.will = undefined;
  ch.state = 'closed';
  ch.link.end();
  ch.finish(keepWill, 'CLIENT_INITIATED_DISCONNECT');
}

/** Ends the connection; a connected v5 client first gets DISCONNECT with `reason` [MQTT-4.13.2-1]. */
export function close(ch: ChannelContext, reason: number | undefined, why: string | undefined): void {
  if (ch.state === 'closed') return;
  if (reason !== undefined && ch.state === 'connected' && ch.protocolVersion === 5) ch.link.write(disconnectPacket(ch, reason, why));
  ch.state = 'closed';
  ch.closeDetail = why;
  ch.link.end();
  ch.finish(true, lifecycleReason(reason));
}

export function finish(ch: ChannelContext, sendWill: boolean, reason: DisconnectReason): void {
  ch.state = 'closed';
  const { lifecycle, broker, wills, clock } = ch.deps;
  if (ch.identity) lifecycle?.disconnected(ch.identity, reason, ch.closeDetail);
  ch.identity = undefined;
  clock.clearTimeout(ch.timer);
  ch.timer = undefined;
  if (ch.session) broker.closeSession(ch.session, ch);
  const will = ch.will;
  ch.will = undefined;
  // [MQTT-3.1.2-8] the will goes out when the connection ends without a normal DISCONNECT,
  // [MQTT-3.1.3-9] after the Will Delay Interval or when the session ends, whichever is first; the
  // client must still be allowed to publish it (a policy may have changed since CONNECT).
  if (sendWill && will && ch.grants.publish(will.topic, will.retain)) {
    const delay = Math.min(will.delaySeconds, ch.sessionExpirySeconds);
    if (delay > 0) wills.schedule(ch.clientId, will, delay * 1000);
    else wills.send(will);
  }
  ch.deps.onClosed?.(ch);
}

/** The AWS lifecycle disconnectReason for a server-side close with this MQTT reason code. */
function lifecycleReason(reason: number | undefined): DisconnectReason {
  switch (reason) {
    case RC.SESSION_TAKEN_OVER: return 'DUPLICATE_CLIENTID';
    case RC.KEEP_ALIVE_TIMEOUT: return 'MQTT_KEEP_ALIVE_TIMEOUT';
    case RC.SERVER_SHUTTING_DOWN: return 'SERVER_INITIATED_DISCONNECT';
    case RC.NOT_AUTHORIZED: return 'AUTH_ERROR';
    case RC.IMPLEMENTATION_SPECIFIC_ERROR: return 'SERVER_ERROR';
    case RC.ADMINISTRATIVE_ACTION: return 'API_INITIATED_DISCONNECT';
    default: return 'CLIENT_ERROR';
  }
}
