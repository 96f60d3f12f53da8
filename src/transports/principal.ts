/**
 * @module transports/principal
 * The identity of a TLS peer: its client certificate, by AWS IoT certificate id. Worked out once per
 * connection and kept on the socket.
 */
import type { TLSSocket } from 'node:tls';
import type { Principal } from '../auth/authorizer.js';
import { certificateIdOf } from '../pki/certificate-id.js';

const principals = new WeakMap<TLSSocket, Principal | null>();

/** The certificate principal of a verified TLS peer, or null when it presented none. */
export function principalOf(socket: TLSSocket): Principal | null {
  let principal = principals.get(socket);
  if (principal !== undefined) return principal;
  const cert = socket.authorized ? socket.getPeerX509Certificate() : undefined;
  principal = cert
    ? { kind: 'certificate', certificateId: certificateIdOf(cert.raw), sourceIp: socket.remoteAddress ?? '' }
    : null;
  principals.set(socket, principal);
  return principal;
}
