/**
 * @module transports/mqtt-transport
 * MQTT over a TLS socket: bytes in through the fast decoder (mqtt-packet for the packets off the hot path) to a Channel, bytes out through a
 * SocketLink. It owns the socket's life; the channel owns the protocol. A malformed or oversized
 * packet ends this connection only.
 */
import type { Socket } from 'node:net';
import { principalKey, type Principal } from '../auth/authorizer.js';
import { Channel, type ChannelDeps } from '../broker/channel/channel.js';
import type { Packet } from '../protocol/codec.js';
import { MqttDecodeError } from '../protocol/decode-error.js';
import { createFastDecoder } from '../protocol/fast-decoder.js';
import { BYTES_MQTT, BYTES_WEBSOCKET } from '../observe/counters.js';
import { RC } from '../protocol/reason-codes.js';
import type { Durability } from '../store/store.js';
import type { ConnectionIndex } from './connection-index.js';
import { doneReading, startReading } from './flow-control.js';
import { SocketLink } from './socket-link.js';

export interface MqttTransportDeps extends Omit<ChannelDeps, 'principal' | 'onClosed'> {
  connections: ConnectionIndex;
  /** Acknowledgements wait for the writes they acknowledge. */
  durability: Durability;
  onError?: ((err: unknown, context: string) => void) | undefined;
}

/** A stream that knows whether its peer closed it cleanly (the WebSocket stream: a close frame). */
export interface PeerClosable {
  readonly closedByPeer: boolean;
}

/** Serves MQTT on a socket whose peer the listener has already identified. */
export function serveMqtt(socket: Socket, principal: Principal, deps: MqttTransportDeps, transport: 'mqtt' | 'websocket' = 'mqtt'): void {
  const counters = deps.broker.counters;
  const bytesAt = transport === 'websocket' ? BYTES_WEBSOCKET : BYTES_MQTT;
  const link = new SocketLink(socket, deps.durability, counters.bytesOut, bytesAt);
  const untrack = deps.connections.add(principalKey(principal), (reason) => {
    if (reason === 'shutdown') channel.close(RC.SERVER_SHUTTING_DOWN, 'server shutting down');
    else if (reason === 'certificate-inactive') channel.close(RC.NOT_AUTHORIZED, 'certificate no longer active');
    else if (reason === 'access-key-deleted') channel.close(RC.NOT_AUTHORIZED, 'access key deleted');
    else channel.close(RC.NOT_AUTHORIZED, 'no longer authorized to connect');
  }, () => channel.stillAuthorized());
  const channel = new Channel(link, {
    gate: deps.gate,
    broker: deps.broker,
    wills: deps.wills,
    authorizer: deps.authorizer,
    principal,
    limits: deps.limits,
    clock: deps.clock,
    transport,
    lifecycle: deps.lifecycle,
    onClosed: untrack,
  });
  const parser = createFastDecoder();
  parser.on('packet', (packet: Packet) => {
    // mqtt-packet parses the packets after CONNECT by the version CONNECT named.
    if (packet.cmd === 'connect' && packet.protocolVersion === 5) parser.settings.protocolVersion = 5;
    try {
      channel.handle(packet);
    } catch (err) {
      deps.onError?.(err, `mqtt ${packet.cmd}`);
      channel.close(RC.IMPLEMENTATION_SPECIFIC_ERROR, 'internal error');
    }
  });
  parser.on('error', (err: Error) => {
    // The decoder's errors say how to answer: 0x81 or 0x82, and a CONNACK when the bad packet was a v5 CONNECT.
    const decoded = err instanceof MqttDecodeError ? err : undefined;
    channel.malformed(err.message, decoded?.reasonCode, decoded?.connectVersion);
  });

  socket.on('data', (chunk: Buffer) => {
    counters.bytesIn[bytesAt]! += chunk.length;
    // What this chunk's messages congest holds this socket back (flow-control.ts).
    const previous = startReading(socket);
    try {
      parser.parse(chunk);
    } finally {
      doneReading(previous);
    }
    // The decoder would buffer a packet of any announced size; refuse oversized ones early.
    if (parser.packet.length > deps.limits.maxPacketBytes) {
      channel.close(RC.PACKET_TOO_LARGE, 'packet too large');
      socket.pause();
    }
  });
  socket.on('error', destroySocket);
  socket.on('close', () => {
    link.congestion.closed();
    channel.linkClosed((socket as Partial<PeerClosable>).closedByPeer === true);
  });
}

/** Shared by every connection rather than a closure each (idle connections are many). */
function destroySocket(this: Socket): void {
  this.destroy();
}
