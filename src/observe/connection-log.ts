/**
 * @module observe/connection-log
 * One info line per MQTT connection made and ended, so that an operator can follow a device in the
 * log: who (`principalKind`, `principal`, `clientId`, `sourceIp`: the fields of the denial lines,
 * denial-log.ts), how (`protocolVersion`, `transport`), and for an end the reason as AWS's lifecycle
 * events name it (`reason`: CLIENT_INITIATED_DISCONNECT, CONNECTION_LOST, MQTT_KEEP_ALIVE_TIMEOUT, ...)
 * with the server's own words when it closed the connection (`detail`).
 *
 * `event` is `mqtt.connected` or `mqtt.disconnected`. Nothing secret is in these lines: a principal is
 * a certificate id or an access key id, never a key or a secret.
 */
import type { ConnectionIdentity, ConnectionObserver, DisconnectReason } from '../broker/lifecycle.js';
import type { Logger } from './logger.js';

function who(id: ConnectionIdentity): Record<string, string | number> {
  return {
    principalKind: id.principalKind, principal: id.principalIdentifier, clientId: id.clientId, sourceIp: id.ipAddress,
    protocolVersion: id.protocolVersion, transport: id.transport,
  };
}

/** A lifecycle observer (broker/lifecycle.ts) that logs through `log`. */
export function connectionLogger(log: Logger): ConnectionObserver {
  return {
    connected(id) {
      log.info({ event: 'mqtt.connected', ...who(id) }, `client ${id.clientId} connected`);
    },
    disconnected(id: ConnectionIdentity, reason: DisconnectReason, detail: string | undefined) {
      log.info({ event: 'mqtt.disconnected', ...who(id), reason, ...(detail === undefined ? {} : { detail }) },
        `client ${id.clientId} disconnected: ${reason}${detail === undefined ? '' : ` (${detail})`}`);
    },
  };
}
