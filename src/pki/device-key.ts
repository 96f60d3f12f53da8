/**
 * @module pki/device-key
 * A device's key pair and certificate signing request, made where the device's files are written
 * (the CLI), so the private key never crosses the control plane. RSA 2048 with a PKCS#1 PEM key, as
 * AWS's CreateKeysAndCertificate gives: every AWS sample and SDK reads that format, and a server
 * verifies RSA signatures faster than ECDSA ones, which is what an mTLS handshake asks of it.
 */
import { generateKeyPair, webcrypto } from 'node:crypto';
import { promisify } from 'node:util';
import { x509 } from './x509.js';

const generate = promisify(generateKeyPair);
const ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

export interface DeviceKeyAndCsr {
  /** PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`). */
  privateKeyPem: string;
  csrPem: string;
}

/** A new key and a CSR whose subject is `CN=<commonName>` (topicd's default thing policy reads it). */
export async function deviceKeyAndCsr(commonName: string): Promise<DeviceKeyAndCsr> {
  const { privateKey, publicKey } = await generate('rsa', { modulusLength: 2048 });
  const keys = {
    privateKey: await webcrypto.subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), ALGORITHM, false, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', publicKey.export({ type: 'spki', format: 'der' }), ALGORITHM, true, ['verify']),
  };
  const name = new x509.Name([{ CN: [commonName] }]);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name, keys, signingAlgorithm: ALGORITHM });
  return { privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), csrPem: csr.toString('pem') };
}
