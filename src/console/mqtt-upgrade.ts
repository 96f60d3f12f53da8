/**
 * @module console/mqtt-upgrade
 * The MQTT test client's WebSocket (`ws://<control>/console/mqtt`): a browser cannot sign a
 * WebSocket URL without holding the secret in the page, so the console's session cookie names the
 * access key instead, and the upgrade is handed to topicd's MQTT-over-WebSocket gateway as that key's
 * principal. From there it is an ordinary MQTT client: the key's policies decide every CONNECT,
 * SUBSCRIBE, PUBLISH and delivery. The browser always sends Origin on a WebSocket handshake, and it
 * must be this host's (cross-site WebSocket hijacking).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AccessKeyPrincipal } from '../auth/authorizer.js';
import type { ConsoleSessions } from './sessions.js';
import { sameOrigin } from './sessions.js';
import { CONSOLE_PREFIX } from './static-pages.js';

export const CONSOLE_MQTT_PATH = `${CONSOLE_PREFIX}/mqtt`;

const REASONS: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' };

function refuse(socket: Duplex, status: number, type: string, message: string): void {
  const requestId = randomUUID();
  const body = JSON.stringify({ message });
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? ''}\r\ncontent-type: application/json\r\nx-amzn-ErrorType: ${type}\r\n`
    + `x-amzn-RequestId: ${requestId}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  setTimeout(() => socket.destroy(), 5_000).unref();
}

export function consoleUpgradeHandler(
  sessions: ConsoleSessions,
  mqttUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer, principal: AccessKeyPrincipal) => void,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '/').split('?')[0];
    if (path !== CONSOLE_MQTT_PATH) return refuse(socket, 404, 'ResourceNotFoundException', `No WebSocket at ${path}; the console's MQTT client is at ${CONSOLE_MQTT_PATH}.`);
    if (req.headers.origin === undefined || !sameOrigin(req.headers)) {
      return refuse(socket, 403, 'ForbiddenException', 'The console\'s MQTT WebSocket accepts its own pages only (Origin does not match Host).');
    }
    sessions.resolve(req.headers.cookie).then((session) => {
      if (socket.destroyed) return;
      if (!session) return refuse(socket, 401, 'UnauthorizedException', 'Not signed in to the console: sign in again.');
      mqttUpgrade(req, socket, head, { kind: 'access-key', accessKeyId: session.accessKeyId, sourceIp: (socket as Socket).remoteAddress ?? '' });
    }, () => refuse(socket, 500, 'InternalFailureException', 'Internal failure'));
  };
}
