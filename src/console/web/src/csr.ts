/**
 * @module console/web/csr
 * A device's key and certificate signing request, made in the browser: the private key never leaves
 * the page (it is offered for download once), and topicd signs the CSR (CreateCertificateFromCsr), as
 * `topicd thing create` does. RSA 2048 with a PKCS#1 PEM key and `CN=<thing name>`, the same as the
 * CLI's (pki/device-key.ts): the AWS samples read that key format and the default thing policy reads
 * the common name. WebCrypto needs a secure context; http://127.0.0.1 is one.
 */
const ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

export interface DeviceKeyAndCsr {
  privateKeyPem: string;
  csrPem: string;
}

function pem(label: string, der: Uint8Array): string {
  let binary = '';
  for (const byte of der) binary += String.fromCharCode(byte);
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** One DER element's header at `pos`: its tag, where its content starts, and its length. */
function element(der: Uint8Array, pos: number): { tag: number; start: number; length: number } {
  const tag = der[pos]!;
  let length = der[pos + 1]!;
  let start = pos + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i]!;
    start += bytes;
  }
  return { tag, start, length };
}

/**
 * PKCS#8 PrivateKeyInfo (what WebCrypto exports) -> the PKCS#1 RSAPrivateKey it wraps (RFC 5208:
 * SEQUENCE { version INTEGER, algorithm AlgorithmIdentifier, privateKey OCTET STRING }).
 */
export function pkcs8ToPkcs1(der: Uint8Array): Uint8Array {
  const outer = element(der, 0);
  const version = element(der, outer.start);
  const algorithm = element(der, version.start + version.length);
  const key = element(der, algorithm.start + algorithm.length);
  if (outer.tag !== 0x30 || version.tag !== 0x02 || algorithm.tag !== 0x30 || key.tag !== 0x04) throw new Error('not a PKCS#8 private key');
  return der.slice(key.start, key.start + key.length);
}

export async function deviceKeyAndCsr(commonName: string): Promise<DeviceKeyAndCsr> {
  if (!globalThis.crypto?.subtle) throw new Error('This browser gives no WebCrypto here: open the console at http://127.0.0.1 or over HTTPS.');
  const { x509 } = await import('./x509');
  const keys = await crypto.subtle.generateKey({ ...ALGORITHM, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: new x509.Name([{ CN: [commonName] }]), keys, signingAlgorithm: ALGORITHM });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { privateKeyPem: pem('RSA PRIVATE KEY', pkcs8ToPkcs1(pkcs8)), csrPem: csr.toString('pem') };
}
