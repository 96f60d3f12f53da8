/**
 * @module transports/tls-listeners
 * The data-plane TLS listeners and the ALPN choice each makes (reference §3):
 * - HTTPS port (8443): `x-amzn-http-ca`, `http/1.1`, `http/1.0`, or no ALPN at all.
 * - MQTT port (8883): `x-amzn-mqtt-ca`, `mqtt`, or no ALPN.
 * - ALPN port (443): `x-amzn-http-ca` to HTTPS, `x-amzn-mqtt-ca` to MQTT; `http/1.1` or none to HTTPS
 *   (which also upgrades `/mqtt` to MQTT over WebSocket).
 * - WebSocket port (--ws-port, off by default): `http/1.1` or none, MQTT over WebSocket only.
 * The HTTPS and MQTT ports require a client certificate verified against topicd's trusted CAs. The ALPN
 * and WebSocket ports ask for one but let a peer without any through on HTTP, because AWS's MQTT over
 * WSS authenticates with a SigV4-presigned URL instead (the WebSocket gateway checks it; a plain HTTPS
 * publish from such a peer gets 403). A certificate that fails verification, or an AWS ALPN name
 * (`x-amzn-*-ca`, which promise X.509) without a verified certificate, is cut off as on the other ports.
 * A client that offers several protocols (curl offers `h2,http/1.1`) gets the one we serve; h2 is
 * never picked, and a handshake is only refused when its offer holds nothing we serve.
 *
 * Bring your own CA: the trusted CAs are topicd's root plus the ACTIVE registered CAs, swapped live
 * (`setTrustedCas`) when that set changes. A certificate registered without a CA (SNI_ONLY) cannot
 * verify, so every listener finishes the handshake (rejectUnauthorized false) and `admits` decides:
 * such a certificate goes on to the registry's status check by its id, any other unverified one is cut
 * off. A verified certificate the registry does not know is reported (`noticeUnregistered`), so a CA
 * with auto-registration can register it; its connection is refused all the same.
 *
 * Every socket is bounded (issue 10: 3,000 sockets without a certificate were once held for free):
 * the TLS handshake has a deadline, each listener holds at most `maxConnections`, and at most
 * `maxUnauthenticated` of them may be unauthenticated at once: still in their handshake, or, on the
 * listeners where a certificate is optional, without one until a SigV4-signed upgrade names their
 * access key (`markAuthenticated`). Past a bound a new socket is closed at once.
 */
import type { X509Certificate } from 'node:crypto';
import type { Socket as NetSocket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import type { Counters } from '../observe/counters.js';
import type { ClientCertificateTrust } from '../registry/ca-types.js';
import { admitWithoutCa, peerCertificateId } from './principal.js';

export const ALPN_HTTP = 'x-amzn-http-ca';
export const ALPN_MQTT = 'x-amzn-mqtt-ca';

export type DataProtocol = 'https' | 'mqtt' | 'websocket';

/** Server preference per listener: the first one the client offers wins. */
const CHOICES: Record<'https' | 'mqtt' | 'alpn' | 'ws', readonly string[]> = {
  https: [ALPN_HTTP, 'http/1.1', 'http/1.0'],
  mqtt: [ALPN_MQTT, 'mqtt'],
  alpn: [ALPN_HTTP, ALPN_MQTT, 'http/1.1', 'http/1.0'],
  // RFC 6455: the opening handshake is HTTP/1.1.
  ws: ['http/1.1'],
};

export type ListenerKind = keyof typeof CHOICES;

export function chooseAlpn(kind: ListenerKind, offered: readonly string[]): string | undefined {
  for (const protocol of CHOICES[kind]) if (offered.includes(protocol)) return protocol;
  return undefined;
}

/** Which data protocol a verified socket speaks, from the listener and the negotiated ALPN. */
export function protocolOf(kind: ListenerKind, socket: TLSSocket): DataProtocol {
  if (kind === 'alpn') return socket.alpnProtocol === ALPN_MQTT ? 'mqtt' : 'https';
  if (kind === 'ws') return 'websocket';
  return kind === 'mqtt' ? 'mqtt' : 'https';
}

/** AWS: MQTT over WSS on 443 needs no client certificate (SigV4 instead); see the module note. */
const CERTIFICATE_OPTIONAL: ReadonlySet<ListenerKind> = new Set(['alpn', 'ws']);

/** The verification failures of a certificate whose issuer is unknown (as one registered without a CA is). */
const UNKNOWN_ISSUER: ReadonlySet<string> = new Set([
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
]);

function isCurrent(cert: X509Certificate | undefined): boolean {
  const now = Date.now();
  return cert !== undefined && Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);
}

/** What the listeners ask about client certificates beyond the TLS verification. */
export type CertificateTrust = Pick<ClientCertificateTrust, 'registeredWithoutCa' | 'noticeUnregistered'>;

/**
 * Whether a handshaken socket may be served: a verified certificate always; an unverified one only
 * when its issuer is unknown and it is registered without a CA (AWS: SNI_ONLY); on the listeners
 * where a certificate is optional, also a peer that presented none and speaks plain HTTP (no AWS ALPN
 * name).
 */
export function admits(kind: ListenerKind, socket: TLSSocket, trust?: CertificateTrust): boolean {
  if (socket.authorized) return true;
  const certificateId = peerCertificateId(socket);
  if (certificateId !== null) {
    // A certificate that does not verify is a misconfigured device: fail it loudly, not as anonymous.
    const error = socket.authorizationError;
    if (trust === undefined || error === undefined || !UNKNOWN_ISSUER.has(String(error)) || !trust.registeredWithoutCa(certificateId)) return false;
    // OpenSSL stops at the unknown issuer before it checks the dates: check them here.
    if (!isCurrent(socket.getPeerX509Certificate())) return false;
    admitWithoutCa(socket);
    return true;
  }
  if (!CERTIFICATE_OPTIONAL.has(kind)) return false;
  return socket.alpnProtocol !== ALPN_HTTP && socket.alpnProtocol !== ALPN_MQTT;
}

/**
 * The `reason` label of a handshake that failed (metrics): a small fixed set, so that a client cannot
 * make labels up. OpenSSL's codes are in `err.code`, or in `err.reason` when node gives none.
 */
export function handshakeFailureReason(err: NodeJS.ErrnoException & { reason?: string }): string {
  const code = `${err.code ?? ''} ${err.reason ?? ''} ${err.message}`.toLowerCase();
  if (code.includes('timeout') || code.includes('timed out')) return 'timeout';
  if (code.includes('no_application_protocol') || code.includes('no application protocol')) return 'no-alpn-match';
  if (code.includes('peer did not return a certificate') || code.includes('certificate required')) return 'no-certificate';
  if (code.includes('certificate') || code.includes('unknown ca') || code.includes('bad_certificate')) return 'bad-certificate';
  if (code.includes('version') || code.includes('protocol') || code.includes('cipher') || code.includes('wrong_version')) return 'protocol';
  if (code.includes('econnreset') || code.includes('socket hang up') || code.includes('disconnected')) return 'connection-reset';
  return 'other';
}

/** The `reason` label of a handshake that finished with a client certificate topicd refuses (`admits` false). */
function refusedCertificateReason(socket: TLSSocket): string {
  if (peerCertificateId(socket) === null) return 'no-certificate';
  const error = String(socket.authorizationError ?? '');
  if (error === 'CERT_HAS_EXPIRED' || error === 'CERT_NOT_YET_VALID') return 'certificate-expired';
  return UNKNOWN_ISSUER.has(error) ? 'untrusted-certificate' : 'bad-certificate';
}

export interface TlsMaterial {
  cert: string;
  key: string;
  /** Trusted CAs for client certificates (PEM). */
  ca: string[];
}

/** Replaces a listener's trusted CAs; connections made from now on are verified against them. */
export function setTrustedCas(server: TlsServer, material: TlsMaterial): void {
  server.setSecureContext({ cert: material.cert, key: material.key, ca: material.ca, minVersion: 'TLSv1.2' });
}

/** The bounds of one listener's sockets. */
export interface ListenerBounds {
  handshakeTimeoutMs: number;
  maxConnections: number;
  maxUnauthenticated: number;
}

/** Sockets counted as unauthenticated, and the count each belongs to. */
const unauthenticated = new WeakMap<object, { count: number }>();

/** The socket's client proved who it is (a SigV4-signed WebSocket upgrade): it no longer counts as unauthenticated. */
export function markAuthenticated(socket: object): void {
  const counter = unauthenticated.get(socket);
  if (counter === undefined) return;
  unauthenticated.delete(socket);
  counter.count--;
}

function countUnauthenticated(socket: TLSSocket | NetSocket, counter: { count: number }): void {
  counter.count++;
  unauthenticated.set(socket, counter);
  socket.once('close', () => markAuthenticated(socket));
}

export function createDataListener(
  kind: ListenerKind,
  material: TlsMaterial,
  onSocket: (socket: TLSSocket, protocol: DataProtocol) => void,
  bounds: ListenerBounds,
  trust?: CertificateTrust,
  counters?: Counters,
): TlsServer {
  const counter = { count: 0 };
  const options: TlsOptions = {
    cert: material.cert,
    key: material.key,
    ca: material.ca,
    requestCert: true,
    // Every handshake finishes and `admits` decides (see the module note).
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
    // Small MQTT packets and HTTPS answers must not wait for Nagle's algorithm (40 ms delayed ACKs).
    noDelay: true,
    ALPNCallback: ({ protocols }) => chooseAlpn(kind, protocols),
    // node's default is 120 s: a client that never finishes its handshake holds a socket that long.
    handshakeTimeout: bounds.handshakeTimeoutMs,
  };
  const server = createTlsServer(options, (socket) => {
    // The handshake is over: it no longer counts as unauthenticated unless it comes without a
    // certificate. node keeps the raw TCP socket a TLS socket wraps as `_parent`.
    markAuthenticated((socket as unknown as { _parent?: object })._parent ?? socket);
    if (!admits(kind, socket, trust)) {
      counters?.tlsFailure(refusedCertificateReason(socket));
      socket.destroy();
      return;
    }
    if (peerCertificateId(socket) === null) {
      if (counter.count >= bounds.maxUnauthenticated) {
        socket.destroy();
        return;
      }
      countUnauthenticated(socket, counter);
    }
    const certificateId = socket.authorized ? peerCertificateId(socket) : null;
    if (certificateId !== null && trust !== undefined) {
      trust.noticeUnregistered(certificateId, () => {
        const peer = socket.getPeerCertificate(true);
        return { certificate: peer.raw, issuer: peer.issuerCertificate?.raw };
      });
    }
    onSocket(socket, protocolOf(kind, socket));
  });
  // A failed handshake (no protocol we serve, a broken client) concerns that client only.
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket) => {
    counters?.tlsFailure(handshakeFailureReason(err));
    socket.destroy();
  });
  server.maxConnections = bounds.maxConnections;
  // The raw TCP socket before TLS: it counts as unauthenticated until its handshake ends.
  server.prependListener('connection', (raw: NetSocket) => {
    if (counter.count >= bounds.maxUnauthenticated) {
      raw.destroy();
      return;
    }
    countUnauthenticated(raw, counter);
  });
  return server;
}
