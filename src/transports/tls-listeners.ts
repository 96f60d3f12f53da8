/**
 * @module transports/tls-listeners
 * The data-plane TLS listeners and the ALPN choice each makes (reference §3):
 * - HTTPS port (8443): `x-amzn-http-ca`, `http/1.1`, `http/1.0`, or no ALPN at all.
 * - MQTT port (8883): `x-amzn-mqtt-ca`, `mqtt`, or no ALPN.
 * - ALPN port (443): `x-amzn-http-ca` to HTTPS, `x-amzn-mqtt-ca` to MQTT; `http/1.1` or none to HTTPS.
 * Every listener requires a client certificate verified against topicd's trusted CAs. A client that
 * offers several protocols (curl offers `h2,http/1.1`) gets the one we serve; h2 is never picked, and a
 * handshake is only refused when its offer holds nothing we serve.
 */
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket, type TlsOptions } from 'node:tls';

export const ALPN_HTTP = 'x-amzn-http-ca';
export const ALPN_MQTT = 'x-amzn-mqtt-ca';

export type DataProtocol = 'https' | 'mqtt';

/** Server preference per listener: the first one the client offers wins. */
const CHOICES: Record<'https' | 'mqtt' | 'alpn', readonly string[]> = {
  https: [ALPN_HTTP, 'http/1.1', 'http/1.0'],
  mqtt: [ALPN_MQTT, 'mqtt'],
  alpn: [ALPN_HTTP, ALPN_MQTT, 'http/1.1', 'http/1.0'],
};

export type ListenerKind = keyof typeof CHOICES;

export function chooseAlpn(kind: ListenerKind, offered: readonly string[]): string | undefined {
  for (const protocol of CHOICES[kind]) if (offered.includes(protocol)) return protocol;
  return undefined;
}

/** Which data protocol a verified socket speaks, from the listener and the negotiated ALPN. */
export function protocolOf(kind: ListenerKind, socket: TLSSocket): DataProtocol {
  if (kind === 'alpn') return socket.alpnProtocol === ALPN_MQTT ? 'mqtt' : 'https';
  return kind === 'mqtt' ? 'mqtt' : 'https';
}

export interface TlsMaterial {
  cert: string;
  key: string;
  /** Trusted CAs for client certificates (PEM). */
  ca: string[];
}

export function createDataListener(
  kind: ListenerKind,
  material: TlsMaterial,
  onSocket: (socket: TLSSocket, protocol: DataProtocol) => void,
): TlsServer {
  const options: TlsOptions = {
    cert: material.cert,
    key: material.key,
    ca: material.ca,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    ALPNCallback: ({ protocols }) => chooseAlpn(kind, protocols),
  };
  const server = createTlsServer(options, (socket) => onSocket(socket, protocolOf(kind, socket)));
  // A failed handshake (no certificate, another CA, no protocol we serve) concerns that client only.
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  return server;
}
