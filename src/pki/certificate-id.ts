/**
 * @module pki/certificate-id
 * AWS IoT's certificate id: the lowercase hex SHA-256 of the certificate's DER (what
 * `openssl x509 -fingerprint -sha256` prints, without the colons). Transports call it once per TLS
 * connection on the peer certificate's `raw` DER, so that path does no parsing at all.
 */
import { createHash } from 'node:crypto';
import { invalidRequest } from '../errors.js';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/;

/** The DER of the first CERTIFICATE block of a PEM text; throws InvalidRequestException when there is none. */
export function certificateDerOf(pem: string): Buffer {
  const body = PEM_CERTIFICATE.exec(pem)?.[1];
  const der = body === undefined ? undefined : Buffer.from(body.replace(/\s+/g, ''), 'base64');
  if (der === undefined || der.length === 0) throw invalidRequest('The certificate is not a PEM-encoded X.509 certificate.');
  return der;
}

/** The certificate id of a DER certificate (a Buffer or Uint8Array), or of the first certificate of a PEM text. */
export function certificateIdOf(pemOrDer: string | Uint8Array): string {
  const der = typeof pemOrDer === 'string' ? certificateDerOf(pemOrDer) : pemOrDer;
  return createHash('sha256').update(der).digest('hex');
}
