/**
 * @module pki/types
 * The contract of topicd's own certificate authority: the root CA kept in the data dir, the server
 * certificate for the endpoint, and device certificates (from a fresh key pair or a CSR).
 */

export interface IssuedCertificate {
  certificatePem: string;
  /** Lowercase hex SHA-256 of the DER: AWS IoT's certificate id. */
  certificateId: string;
  /** Validity, epoch milliseconds. */
  notBefore: number;
  notAfter: number;
}

export interface IssuedKeysAndCertificate extends IssuedCertificate {
  /** PEM, PKCS#1 RSA ("BEGIN RSA PRIVATE KEY"), as AWS returns it. */
  privateKeyPem: string;
  publicKeyPem: string;
}

export interface CertificateAuthorityApi {
  /** PEM of the root CA (written to DATA/root-CA.pem). */
  readonly rootCertificatePem: string;
  /** Certificate id of the root CA. */
  readonly rootCertificateId: string;
  /** A device certificate with a fresh RSA 2048 key pair, as CreateKeysAndCertificate returns. */
  createKeysAndCertificate(): Promise<IssuedKeysAndCertificate>;
  /** Signs a CSR (PEM); throws TopicdError InvalidRequestException for a malformed or badly signed CSR. */
  signCsr(csrPem: string): Promise<IssuedCertificate>;
}
