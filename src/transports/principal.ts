/**
 * @module transports/principal
 * The identity of a TLS peer: its client certificate, by AWS IoT certificate id. Worked out once per
 * connection and kept on the socket.
 */
import { peerAddress } from './address.js';
import type { TLSSocket } from 'node:tls';
import type { Principal } from '../auth/authorizer.js';
import { certificateIdOf } from '../pki/certificate-id.js';

const principals = new WeakMap<TLSSocket, Principal | null>();
const certificateIds = new WeakMap<TLSSocket, string | null>();
/** Sockets whose certificate did not verify but is registered without a CA (see tls-listeners `admits`). */
const admittedWithoutCa = new WeakSet<TLSSocket>();

/** The certificate id of the peer's certificate, verified or not, or null when it presented none. */
export function peerCertificateId(socket: TLSSocket): string | null {
  let id = certificateIds.get(socket);
  if (id !== undefined) return id;
  const cert = socket.getPeerX509Certificate();
  id = cert ? certificateIdOf(cert.raw) : null;
  certificateIds.set(socket, id);
  return id;
}

/**
 * Marks a socket whose certificate did not verify as one the registry decides by certificate id
 * (AWS: a certificate registered without a CA, SNI_ONLY): `principalOf` then names it.
 */
export function admitWithoutCa(socket: TLSSocket): void {
  admittedWithoutCa.add(socket);
}

/** The certificate principal of a verified (or admitted, see `admitWithoutCa`) TLS peer, or null when it has none. */
export function principalOf(socket: TLSSocket): Principal | null {
  let principal = principals.get(socket);
  if (principal !== undefined) return principal;
  const certificateId = socket.authorized || admittedWithoutCa.has(socket) ? peerCertificateId(socket) : null;
  // The subject and issuer are kept as text: parsed only when a policy reads a certificate variable.
  const cert = certificateId === null ? undefined : socket.getPeerX509Certificate();
  principal = certificateId === null
    ? null
    : { kind: 'certificate', certificateId, sourceIp: peerAddress(socket), subject: cert?.subject ?? '', issuer: cert?.issuer ?? '' };
  principals.set(socket, principal);
  return principal;
}
