/**
 * @module broker/channel/keep-alive
 * The connection's timer: first the CONNECT deadline [MQTT-3.1.4-1], then keep-alive. AWS disconnects
 * a client after 1.5 times its keep-alive without a packet [MQTT-3.1.2-22]; any packet counts
 * (`lastActivity`). One timer per connection, re-armed only when it fires, so a busy connection costs
 * nothing per packet but the timestamp.
 */
import { RC } from '../../protocol/reason-codes.js';
import type { ChannelContext } from './context.js';

/** PINGRESP [MQTT-3.12.4-1]. */
export const PINGRESP = Buffer.from([0xd0, 0x00]);

/** A connection that never sends CONNECT is closed [MQTT-3.1.4-1]. */
export function armConnectDeadline(ch: ChannelContext): void {
  const { clock, limits } = ch.deps;
  ch.timer = clock.setTimeout(() => ch.close(undefined, 'no CONNECT in time'), limits.connectTimeoutMs);
}

export function armKeepAlive(ch: ChannelContext): void {
  const clock = ch.deps.clock;
  clock.clearTimeout(ch.timer);
  ch.timer = undefined;
  // [MQTT-3.1.2-10] a keep-alive of 0 (possible without the AWS clamp) turns the mechanism off
  if (ch.keepAliveMs === 0) return;
  const limit = ch.keepAliveMs * 1.5;
  const check = (): void => {
    if (ch.state !== 'connected') return;
    const idle = clock.now() - ch.lastActivity;
    if (idle >= limit) return ch.close(RC.KEEP_ALIVE_TIMEOUT, 'keep-alive timeout');
    ch.timer = clock.setTimeout(check, limit - idle);
  };
  ch.timer = clock.setTimeout(check, limit);
}
