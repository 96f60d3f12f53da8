/**
 * @module pki/certificate-authority
 * topicd's own certificate authority, kept in the data dir: the root CA (made on the first start), the
 * TLS server certificate of the endpoint (re-issued when the endpoint changes or it nears expiry), and
 * device certificates, from a fresh RSA key pair or from a CSR, shaped like the ones AWS IoT issues.
 * It does not register anything: the registry stores what this issues.
 *
 * Keys are made with node:crypto (RSA key generation runs off the event loop); @peculiar/x509 builds
 * and signs the certificates with the root's WebCrypto key. Files are written to a temporary name and
 * renamed, so a crash never leaves a half-written certificate or key behind.
 */
import {
  X509Certificate as NodeX509Certificate, createPrivateKey, createPublicKey, generateKeyPair, randomBytes, webcrypto,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TopicdError, invalidRequest } from '../errors.js';
import { certificateIdOf } from './certificate-id.js';
import type { CertificateAuthorityApi, IssuedCertificate, IssuedKeysAndCertificate } from './types.js';
import { x509 } from './x509.js';
import { ROOT_CA_FILE, ROOT_KEY_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE } from '../config/data-files.js';
import { keepPrivate } from '../config/private-files.js';

const generateKeyPairAsync = promisify(generateKeyPair);

export { ROOT_CA_FILE, ROOT_KEY_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE };

const ROOT_SUBJECT = 'CN=topicd Root CA, O=topicd';
/** The subject AWS IoT gives the certificates CreateKeysAndCertificate makes. */
const DEVICE_SUBJECT: x509.JsonName = [{ CN: ['AWS IoT Certificate'] }];
/** AWS: certificates AWS IoT issues expire 2049-12-31T23:59:59Z. */
const DEVICE_NOT_AFTER = new Date('2049-12-31T23:59:59Z');
const DAY_MS = 86_400_000;
const ROOT_VALIDITY_MS = 3652 * DAY_MS;
/** Browsers and Apple clients refuse server certificates valid for more than 398 days. */
const SERVER_VALIDITY_MS = 397 * DAY_MS;
const SERVER_RENEW_BEFORE_MS = 30 * DAY_MS;
/** Slack for clocks behind ours: a certificate is valid from a little before it is made. */
const BACKDATE_MS = 5 * 60_000;
const CSR_RSA_BITS = { min: 2048, max: 8192 };
/** node's curve names -> the ones the error message uses. */
const CSR_CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384' };

export interface ServerCertificate {
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

interface Signer {
  key: webcrypto.CryptoKey;
  algorithm: webcrypto.AlgorithmIdentifier | webcrypto.EcdsaParams | webcrypto.RsaHashedImportParams;
}

/** The WebCrypto import parameters and signing algorithm for a root key of a kind we can sign with. */
function signerParams(key: KeyObject): { importAs: webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams; sign: Signer['algorithm'] } {
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return { importAs: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } };
    if (curve === 'secp384r1') return { importAs: { name: 'ECDSA', namedCurve: 'P-384' }, sign: { name: 'ECDSA', hash: 'SHA-384' } };
  } else if (key.asymmetricKeyType === 'rsa') {
    const params = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    return { importAs: params, sign: params };
  }
  throw new Error(`root CA key type ${key.asymmetricKeyType ?? 'unknown'} ${key.asymmetricKeyDetails?.namedCurve ?? ''} is not supported (use EC P-256/P-384 or RSA)`);
}

async function importSigner(keyPem: string): Promise<Signer> {
  const keyObject = createPrivateKey(keyPem);
  const { importAs, sign } = signerParams(keyObject);
  const pkcs8 = keyObject.export({ type: 'pkcs8', format: 'der' });
  const key = await webcrypto.subtle.importKey('pkcs8', pkcs8, importAs, false, ['sign']);
  return { key, algorithm: sign };
}

function pemOf(cert: x509.X509Certificate): string {
  return `${cert.toString('pem').trimEnd()}\n`;
}

/** A random, positive, 128-bit serial (RFC 5280 allows up to 20 octets; the set top nibble keeps it minimal). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

/** Writes through a temporary file and a rename, so readers see the old file or the new one, never half. */
function writeFileAtomic(path: string, data: string, mode: number): void {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, data, { mode, flag: 'wx' });
    renameSync(temp, path);
  } catch (err) {
    try { unlinkSync(temp); } catch { /* it was never made, or is gone already */ }
    throw err;
  }
}

/** One comparable string per SAN entry; IPv6 addresses are put in their compressed form first. */
function sanKey(name: { type: string; value: string }): string {
  if (name.type === 'ip' && isIP(name.value) === 6) return `ip:${new URL(`http://[${name.value}]/`).hostname}`;
  return `${name.type}:${name.type === 'dns' ? name.value.toLowerCase() : name.value}`;
}

function serverSans(endpoint: string): Array<{ type: 'dns' | 'ip'; value: string }> {
  const names: Array<{ type: 'dns' | 'ip'; value: string }> = [
    { type: isIP(endpoint) === 0 ? 'dns' : 'ip', value: endpoint },
    { type: 'dns', value: 'localhost' },
    { type: 'ip', value: '127.0.0.1' },
    { type: 'ip', value: '::1' },
  ];
  const unique = new Map(names.map((name) => [sanKey(name), name] as const));
  return [...unique.values()];
}

interface IssueParams {
  subject: x509.JsonName | x509.Name;
  /** SPKI DER of the subject's public key. */
  publicKey: Buffer;
  extendedKeyUsage: x509.ExtendedKeyUsage;
  keyUsage: x509.KeyUsageFlags;
  notBefore: Date;
  notAfter: Date;
  subjectAltNames?: Array<{ type: 'dns' | 'ip'; value: string }>;
}

export class CertificateAuthority implements CertificateAuthorityApi {
  readonly rootCertificatePem: string;
  readonly rootCertificateId: string;
  readonly rootCertificatePath: string;
  private readonly root: x509.X509Certificate;
  private readonly rootKeyId: string;
  private readonly signer: Signer;
  private readonly dataDir: string;

  private constructor(dataDir: string, rootPem: string, signer: Signer) {
    this.dataDir = dataDir;
    this.rootCertificatePath = join(dataDir, ROOT_CA_FILE);
    this.rootCertificatePem = rootPem;
    this.rootCertificateId = certificateIdOf(rootPem);
    this.root = new x509.X509Certificate(rootPem);
    this.signer = signer;
    const ski = this.root.getExtension(x509.SubjectKeyIdentifierExtension);
    if (!ski) throw new Error(`${this.rootCertificatePath} has no subject key identifier; it cannot be topicd's root CA`);
    this.rootKeyId = ski.keyId;
  }

  /**
   * Loads the root CA from DATA/root-CA.pem and DATA/root-CA.key, or makes it on the first start. A key
   * without its certificate gets a new self-signed certificate (same key and name, so certificates it
   * signed stay valid); a certificate without its key is an error, since nothing could be signed.
   */
  static async loadOrCreate(dataDir: string): Promise<CertificateAuthority> {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const certPath = join(dataDir, ROOT_CA_FILE);
    const keyPath = join(dataDir, ROOT_KEY_FILE);
    const hasCert = existsSync(certPath);
    const hasKey = existsSync(keyPath);
    if (hasCert && !hasKey) {
      throw new Error(`${certPath} exists but its private key ${keyPath} is missing: restore the key, or remove ${certPath} to make a new root CA (every certificate the old one issued then stops working)`);
    }
    let keyPem: string;
    if (hasKey) {
      // A key an older topicd (or a copy) left readable to others is made private again.
      keepPrivate(keyPath);
      keyPem = readFileSync(keyPath, 'utf8');
    } else {
      const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
      const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
      keyPem = `${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY').trimEnd()}\n`;
      writeFileAtomic(keyPath, keyPem, 0o600);
    }
    const signer = await importSigner(keyPem);
    let rootPem: string;
    if (hasCert) {
      rootPem = readFileSync(certPath, 'utf8');
      const rootPublicKey = new NodeX509Certificate(rootPem).publicKey;
      const keyPublicKey = createPublicKey(keyPem);
      if (!rootPublicKey.equals(keyPublicKey)) throw new Error(`${keyPath} is not the private key of ${certPath}`);
    } else {
      rootPem = await CertificateAuthority.selfSign(keyPem, signer);
      writeFileAtomic(certPath, rootPem, 0o644);
    }
    return new CertificateAuthority(dataDir, rootPem, signer);
  }

  private static async selfSign(keyPem: string, signer: Signer): Promise<string> {
    const publicKey = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
    const now = Date.now();
    const ski = await x509.SubjectKeyIdentifierExtension.create(publicKey);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: ROOT_SUBJECT,
      issuer: ROOT_SUBJECT,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + ROOT_VALIDITY_MS),
      publicKey,
      signingKey: signer.key,
      signingAlgorithm: signer.algorithm,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
        ski,
        new x509.AuthorityKeyIdentifierExtension(ski.keyId),
      ],
    });
    return pemOf(cert);
  }

  /**
   * The TLS server certificate and key of the endpoint, in DATA/server.pem.crt and
   * DATA/server.private.pem.key. The existing pair is kept while it names exactly this endpoint (plus
   * localhost, 127.0.0.1 and ::1), is signed by the current root, matches its key and has more than 30
   * days left; otherwise a new pair is issued.
   */
  async ensureServerCertificate(endpoint: string): Promise<ServerCertificate> {
    if (endpoint.length === 0) throw invalidRequest('The endpoint host name is empty.');
    const certPath = join(this.dataDir, SERVER_CERT_FILE);
    const keyPath = join(this.dataDir, SERVER_KEY_FILE);
    const sans = serverSans(endpoint);
    const existing = this.readUsableServerCertificate(certPath, keyPath, sans);
    if (existing) {
      keepPrivate(keyPath);
      return existing;
    }

    const { publicKey, privateKey } = await generateKeyPairAsync('ec', {
      namedCurve: 'prime256v1',
      publicKeyEncoding: { type: 'spki', format: 'der' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const now = Date.now();
    const cert = await this.issue({
      // X.509 caps a CN at 64 characters; clients match the SANs anyway.
      subject: [{ CN: [endpoint.length <= 64 ? endpoint : 'topicd'] }],
      publicKey,
      extendedKeyUsage: x509.ExtendedKeyUsage.serverAuth,
      keyUsage: x509.KeyUsageFlags.digitalSignature,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(Math.min(now + SERVER_VALIDITY_MS, this.root.notAfter.getTime())),
      subjectAltNames: sans,
    });
    const certPem = pemOf(cert);
    // Key first: a certificate on disk without its new key would be the worse half.
    writeFileAtomic(keyPath, privateKey, 0o600);
    writeFileAtomic(certPath, certPem, 0o644);
    return { certPath, keyPath, certPem, keyPem: privateKey };
  }

  private readUsableServerCertificate(certPath: string, keyPath: string, sans: Array<{ type: string; value: string }>): ServerCertificate | undefined {
    if (!existsSync(certPath) || !existsSync(keyPath)) return undefined;
    try {
      const certPem = readFileSync(certPath, 'utf8');
      const keyPem = readFileSync(keyPath, 'utf8');
      const nodeCert = new NodeX509Certificate(certPem);
      if (!nodeCert.verify(new NodeX509Certificate(this.rootCertificatePem).publicKey)) return undefined;
      if (!nodeCert.checkPrivateKey(createPrivateKey(keyPem))) return undefined;
      if (Date.parse(nodeCert.validTo) - Date.now() < SERVER_RENEW_BEFORE_MS) return undefined;
      const san = new x509.X509Certificate(certPem).getExtension(x509.SubjectAlternativeNameExtension);
      const have = (san?.names.toJSON() ?? []).map(sanKey).sort();
      const want = sans.map(sanKey).sort();
      if (have.length !== want.length || have.some((name, i) => name !== want[i])) return undefined;
      return { certPath, keyPath, certPem, keyPem };
    } catch {
      // Unreadable or unparsable: replacing it is the repair.
      return undefined;
    }
  }

  /** AWS: CreateKeysAndCertificate makes an RSA 2048 key pair and returns the private key as PKCS#1 PEM. */
  async createKeysAndCertificate(): Promise<IssuedKeysAndCertificate> {
    const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    const issued = await this.issueDevice(DEVICE_SUBJECT, createPublicKey(publicKey).export({ type: 'spki', format: 'der' }));
    return { ...issued, privateKeyPem: privateKey, publicKeyPem: publicKey };
  }

  /** AWS: CreateCertificateFromCsr keeps the CSR's subject; RSA (2048 bits or more) and EC P-256/P-384 keys. */
  async signCsr(csrPem: string): Promise<IssuedCertificate> {
    const match = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([A-Za-z0-9+/=\s]+)-----END (?:NEW )?CERTIFICATE REQUEST-----/.exec(csrPem);
    if (!match?.[1]) throw invalidRequest('The certificate signing request is not PEM-encoded (-----BEGIN CERTIFICATE REQUEST-----).');
    let csr: x509.Pkcs10CertificateRequest;
    let publicKey: KeyObject;
    try {
      csr = new x509.Pkcs10CertificateRequest(Buffer.from(match[1].replace(/\s+/g, ''), 'base64'));
      publicKey = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
    } catch (err) {
      throw new TopicdError('InvalidRequestException', 'The certificate signing request could not be parsed.', { cause: err });
    }
    const kind = publicKey.asymmetricKeyType;
    const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
    const curve = CSR_CURVES[publicKey.asymmetricKeyDetails?.namedCurve ?? ''];
    const supported = (kind === 'rsa' && bits >= CSR_RSA_BITS.min && bits <= CSR_RSA_BITS.max) || (kind === 'ec' && curve !== undefined);
    if (!supported) {
      const got = kind === 'rsa' ? `RSA ${bits}` : kind === 'ec' ? `EC ${publicKey.asymmetricKeyDetails?.namedCurve ?? ''}` : (kind ?? 'unknown');
      throw invalidRequest(`The certificate signing request's key (${got}) is not supported: use RSA (2048 bits or more) or EC P-256/P-384.`);
    }
    let verified = false;
    try {
      verified = await csr.verify();
    } catch {
      verified = false;
    }
    if (!verified) throw invalidRequest('The certificate signing request\'s signature does not verify with its own public key.');
    return this.issueDevice(csr.subjectName, publicKey.export({ type: 'spki', format: 'der' }));
  }

  private async issueDevice(subject: x509.JsonName | x509.Name, publicKey: Buffer): Promise<IssuedCertificate> {
    const cert = await this.issue({
      subject,
      publicKey,
      extendedKeyUsage: x509.ExtendedKeyUsage.clientAuth,
      keyUsage: x509.KeyUsageFlags.digitalSignature,
      notBefore: new Date(Date.now() - BACKDATE_MS),
      notAfter: DEVICE_NOT_AFTER,
    });
    const certificatePem = pemOf(cert);
    return {
      certificatePem,
      certificateId: certificateIdOf(Buffer.from(cert.rawData)),
      notBefore: cert.notBefore.getTime(),
      notAfter: cert.notAfter.getTime(),
    };
  }

  private async issue(params: IssueParams): Promise<x509.X509Certificate> {
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(params.keyUsage, true),
      new x509.ExtendedKeyUsageExtension([params.extendedKeyUsage]),
      await x509.SubjectKeyIdentifierExtension.create(params.publicKey),
      new x509.AuthorityKeyIdentifierExtension(this.rootKeyId),
    ];
    if (params.subjectAltNames) extensions.push(new x509.SubjectAlternativeNameExtension(params.subjectAltNames));
    return x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: params.subject,
      issuer: this.root.subjectName,
      notBefore: params.notBefore,
      notAfter: params.notAfter,
      publicKey: params.publicKey,
      signingKey: this.signer.key,
      signingAlgorithm: this.signer.algorithm,
      extensions,
    });
  }
}
