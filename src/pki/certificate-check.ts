/**
 * @module pki/certificate-check
 * Reading certificates that others made (bring your own CA): parse a PEM, name its subject's common
 * name, and tell whether it was issued and signed by a given CA certificate. It checks signatures and
 * names only; whether a CA is registered or trusted is the registry's business.
 */
import { X509Certificate } from 'node:crypto';
import { TopicdError } from '../errors.js';
import { certificateDerOf, certificateIdOf } from './certificate-id.js';
import { x509 } from './x509.js';

export interface ParsedCertificate {
  /** AWS IoT's certificate id (lowercase hex SHA-256 of the DER). */
  certificateId: string;
  /** The PEM of this one certificate, normalised (a bundle's other certificates dropped). */
  pem: string;
  /** Validity, epoch milliseconds. */
  notBefore: number;
  notAfter: number;
  /** Basic constraints say it is a CA. */
  isCa: boolean;
  /** The subject's first common name, or undefined when it has none. */
  commonName: string | undefined;
  readonly x509: X509Certificate;
}

/**
 * Parses the first certificate of a PEM text. A text that is no certificate is AWS's
 * CertificateValidationException, naming `member` (certificatePem, caCertificate, ...).
 */
export function parseCertificate(pem: string, member: string): ParsedCertificate {
  let cert: X509Certificate;
  let commonName: string | undefined;
  try {
    const der = certificateDerOf(pem);
    cert = new X509Certificate(der);
    commonName = new x509.X509Certificate(der).subjectName.getField('CN')[0];
  } catch (err) {
    throw new TopicdError('CertificateValidationException', `The ${member} is not a valid PEM-encoded X.509 certificate.`, { cause: err });
  }
  return {
    certificateId: certificateIdOf(cert.raw),
    pem: cert.toString(),
    notBefore: Date.parse(cert.validFrom),
    notAfter: Date.parse(cert.validTo),
    isCa: cert.ca,
    commonName,
    x509: cert,
  };
}

/** Whether `cert` names `ca` as its issuer and its signature verifies with the CA's public key. */
export function isIssuedBy(cert: ParsedCertificate, ca: ParsedCertificate): boolean {
  try {
    return cert.x509.checkIssued(ca.x509) && cert.x509.verify(ca.x509.publicKey);
  } catch {
    return false;
  }
}

/** Whether the certificate is within its validity period at `now` (epoch milliseconds). */
export const isCurrent = (cert: ParsedCertificate, now: number): boolean => cert.notBefore <= now && now <= cert.notAfter;
