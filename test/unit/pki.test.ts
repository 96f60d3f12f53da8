/**
 * @module test/unit/pki.test
 * topicd's CA with real files in temp dirs, and the certificates it issues checked the way clients
 * check them: node's tls (both ends verifying), OpenSSL (`openssl verify -x509_strict`), curl, and
 * Python's ssl with VERIFY_X509_STRICT.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate as NodeX509Certificate, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, webcrypto } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkServerIdentity, connect, createServer } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { isTopicdError } from '../../src/errors.js';
import {
  CertificateAuthority, ROOT_CA_FILE, ROOT_KEY_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE,
} from '../../src/pki/certificate-authority.js';
import { certificateIdOf } from '../../src/pki/certificate-id.js';
import { x509 } from '../../src/pki/x509.js';

const root = mkdtempSync(join(tmpdir(), 'topicd-pki-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(root, `d${++dirs}`);

const isInvalidRequest = (pattern: RegExp) => (err: unknown): boolean => {
  assert.ok(isTopicdError(err), `expected a TopicdError, got ${String(err)}`);
  assert.equal(err.code, 'InvalidRequestException');
  assert.match(err.message, pattern);
  return true;
};

const mode = (path: string): number => statSync(path).mode & 0o777;
const write = (dir: string, name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs a client as a child process without blocking this process, which serves the other end. */
function runClient(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 20_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

interface Tls {
  cert: string;
  key: string;
  ca: string;
}

interface RoundTrip {
  serverSawAuthorized: boolean;
  serverSawPeerId: string | undefined;
  reply: string;
}

/** A mutual-TLS exchange: the server demands a client certificate from `ca`; the client verifies the server. */
async function tlsRoundTrip(server: Tls, client: Partial<Tls> & { ca: string }, target: { host: string; servername?: string }): Promise<RoundTrip> {
  let serverSawAuthorized = false;
  let serverSawPeerId: string | undefined;
  const listener = createServer({ cert: server.cert, key: server.key, ca: [server.ca], requestCert: true, rejectUnauthorized: true }, (socket: TLSSocket) => {
    serverSawAuthorized = socket.authorized;
    const peer = socket.getPeerX509Certificate();
    serverSawPeerId = peer && certificateIdOf(peer.raw);
    socket.end('hello');
  });
  await new Promise<void>((resolve) => listener.listen(0, target.host, resolve));
  const { port } = listener.address() as AddressInfo;
  try {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: target.host, port, servername: target.servername, ca: [client.ca], cert: client.cert, key: client.key }, () => {
        if (!socket.authorized) reject(new Error(`client: ${String(socket.authorizationError)}`));
      });
      let data = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => { data += chunk; });
      // TLS 1.3: a refused client certificate shows only after the client's side of the handshake is done.
      socket.on('end', () => (data === '' ? reject(new Error('the server closed the connection without accepting it')) : resolve(data)));
      socket.on('error', reject);
    });
    return { serverSawAuthorized, serverSawPeerId, reply };
  } finally {
    listener.close();
  }
}

async function csrPem(algorithm: 'P-256' | 'P-384', name: string): Promise<string> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: algorithm }, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name, keys, signingAlgorithm: { name: 'ECDSA', hash: algorithm === 'P-256' ? 'SHA-256' : 'SHA-384' },
  });
  return csr.toString('pem');
}

describe('pki - certificate id', () => {
  test('certificate id - same id from PEM, DER Buffer and Uint8Array; equals openssl\'s SHA-256 fingerprint', async () => {
    const ca = await CertificateAuthority.loadOrCreate(freshDir());
    const der = Buffer.from(new x509.X509Certificate(ca.rootCertificatePem).rawData);
    const id = certificateIdOf(ca.rootCertificatePem);
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(certificateIdOf(der), id);
    assert.equal(certificateIdOf(new Uint8Array(der)), id);
    assert.equal(id, createHash('sha256').update(der).digest('hex'));
    const fingerprint = openssl(['x509', '-noout', '-fingerprint', '-sha256'], ca.rootCertificatePem);
    assert.equal(fingerprint.trim().split('=')[1]?.replaceAll(':', '').toLowerCase(), id);
    assert.equal(ca.rootCertificateId, id);
  });

  test('certificate id - a text without a certificate is InvalidRequestException', () => {
    assert.throws(() => certificateIdOf('hello'), isInvalidRequest(/not a PEM-encoded X.509 certificate/));
    assert.throws(() => certificateIdOf('-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----'), isInvalidRequest(/PEM/));
  });
});

describe('pki - root CA', () => {
  test('root CA - first run writes root-CA.pem and a 0600 PKCS#8 root-CA.key: ECDSA P-256, self-signed CA, ~10 years', async () => {
    const dir = freshDir();
    const ca = await CertificateAuthority.loadOrCreate(dir);
    const certPath = join(dir, ROOT_CA_FILE);
    const keyPath = join(dir, ROOT_KEY_FILE);
    assert.equal(readFileSync(certPath, 'utf8'), ca.rootCertificatePem);
    assert.equal(mode(keyPath), 0o600);
    assert.match(readFileSync(keyPath, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);

    const cert = new x509.X509Certificate(ca.rootCertificatePem);
    assert.equal(cert.subject, 'CN=topicd Root CA, O=topicd');
    assert.equal(cert.issuer, cert.subject);
    assert.ok(await cert.isSelfSigned());
    const node = new NodeX509Certificate(ca.rootCertificatePem);
    assert.equal(node.ca, true);
    assert.equal(node.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.ok(node.checkPrivateKey(createPrivateKey(readFileSync(keyPath, 'utf8'))));
    const basic = cert.getExtension(x509.BasicConstraintsExtension);
    assert.equal(basic?.ca, true);
    assert.equal(basic?.critical, true);
    const usage = cert.getExtension(x509.KeyUsagesExtension);
    assert.ok(usage && (usage.usages & x509.KeyUsageFlags.keyCertSign) !== 0);
    const years = (cert.notAfter.getTime() - Date.now()) / (365.25 * 86_400_000);
    assert.ok(years > 9.9 && years < 10.1, `validity ${years} years`);
    assert.match(openssl(['x509', '-noout', '-text'], ca.rootCertificatePem), /CA:TRUE/);
  });

  test('root CA - later runs load the same root and leave the files alone', async () => {
    const dir = freshDir();
    const first = await CertificateAuthority.loadOrCreate(dir);
    const keyBefore = readFileSync(join(dir, ROOT_KEY_FILE), 'utf8');
    const second = await CertificateAuthority.loadOrCreate(dir);
    assert.equal(second.rootCertificateId, first.rootCertificateId);
    assert.equal(second.rootCertificatePem, first.rootCertificatePem);
    assert.equal(readFileSync(join(dir, ROOT_KEY_FILE), 'utf8'), keyBefore);
    // A certificate issued by the reloaded CA chains to the first one's root.
    const device = await second.createKeysAndCertificate();
    const chain = write(dir, 'device.pem', device.certificatePem);
    assert.match(openssl(['verify', '-x509_strict', '-CAfile', join(dir, ROOT_CA_FILE), chain]), /: OK/);
  });

  test('root CA - a certificate without its key is refused with a clear message', async () => {
    const dir = freshDir();
    await CertificateAuthority.loadOrCreate(dir);
    unlinkSync(join(dir, ROOT_KEY_FILE));
    await assert.rejects(CertificateAuthority.loadOrCreate(dir), /private key .* is missing/);
  });

  test('root CA - a key that is not the certificate\'s is refused', async () => {
    const dir = freshDir();
    await CertificateAuthority.loadOrCreate(dir);
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    writeFileSync(join(dir, ROOT_KEY_FILE), other);
    await assert.rejects(CertificateAuthority.loadOrCreate(dir), /is not the private key of/);
  });

  test('root CA - a key without its certificate gets a new root that still verifies what the old one signed', async () => {
    const dir = freshDir();
    const first = await CertificateAuthority.loadOrCreate(dir);
    const device = await first.createKeysAndCertificate();
    unlinkSync(join(dir, ROOT_CA_FILE));
    const second = await CertificateAuthority.loadOrCreate(dir);
    assert.notEqual(second.rootCertificateId, first.rootCertificateId);
    const chain = write(dir, 'device.pem', device.certificatePem);
    assert.match(openssl(['verify', '-x509_strict', '-CAfile', join(dir, ROOT_CA_FILE), chain]), /: OK/);
  });
});

describe('pki - server certificate', () => {
  let dir: string;
  let ca: CertificateAuthority;
  before(async () => {
    dir = freshDir();
    ca = await CertificateAuthority.loadOrCreate(dir);
  });

  test('server certificate - ECDSA P-256, serverAuth, SANs endpoint + localhost + 127.0.0.1 + ::1; key 0600', async () => {
    const server = await ca.ensureServerCertificate('iot.example.com');
    assert.equal(server.certPath, join(dir, SERVER_CERT_FILE));
    assert.equal(server.keyPath, join(dir, SERVER_KEY_FILE));
    assert.equal(readFileSync(server.certPath, 'utf8'), server.certPem);
    assert.equal(readFileSync(server.keyPath, 'utf8'), server.keyPem);
    assert.equal(mode(server.keyPath), 0o600);
    const node = new NodeX509Certificate(server.certPem);
    assert.equal(node.ca, false);
    assert.equal(node.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.ok(node.checkPrivateKey(createPrivateKey(server.keyPem)));
    assert.ok(node.verify(new NodeX509Certificate(ca.rootCertificatePem).publicKey));
    assert.deepEqual(node.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(node.subjectAltName, 'DNS:iot.example.com, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    for (const host of ['iot.example.com', 'localhost']) assert.equal(node.checkHost(host), host);
    for (const ip of ['127.0.0.1', '::1']) assert.equal(node.checkIP(ip), ip);
    assert.equal(node.checkHost('other.example.com'), undefined);
    const legacy = node.toLegacyObject();
    assert.equal(checkServerIdentity('localhost', legacy), undefined);
    assert.equal(checkServerIdentity('127.0.0.1', legacy), undefined);
    assert.ok(checkServerIdentity('example.org', legacy) instanceof Error);
    assert.match(openssl(['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', join(dir, ROOT_CA_FILE), server.certPath]), /: OK/);
  });

  test('server certificate - kept while the endpoint is the same, re-issued when it changes', async () => {
    const first = await ca.ensureServerCertificate('keep.example.com');
    const again = await ca.ensureServerCertificate('keep.example.com');
    assert.equal(again.certPem, first.certPem);
    assert.equal(again.keyPem, first.keyPem);
    const other = await ca.ensureServerCertificate('moved.example.com');
    assert.notEqual(other.certPem, first.certPem);
    assert.notEqual(other.keyPem, first.keyPem);
    assert.equal(new NodeX509Certificate(other.certPem).checkHost('moved.example.com'), 'moved.example.com');
    assert.equal(new NodeX509Certificate(other.certPem).checkHost('keep.example.com'), undefined);
  });

  test('server certificate - an IP endpoint is an IP SAN, not a DNS one', async () => {
    const server = await ca.ensureServerCertificate('192.0.2.7');
    const node = new NodeX509Certificate(server.certPem);
    assert.equal(node.subjectAltName, 'IP Address:192.0.2.7, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    assert.equal(node.checkIP('192.0.2.7'), '192.0.2.7');
    const local = await ca.ensureServerCertificate('localhost');
    assert.equal(new NodeX509Certificate(local.certPem).subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  });

  test('server certificate - re-issued when it expires within 30 days', async () => {
    const endpoint = 'soon.example.com';
    await ca.ensureServerCertificate(endpoint);
    // Sign a same-named certificate that ends in 10 days with the root key from the data dir.
    const rootKey = await webcrypto.subtle.importKey('pkcs8', createPrivateKey(readFileSync(join(dir, ROOT_KEY_FILE), 'utf8')).export({ type: 'pkcs8', format: 'der' }),
      { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
    const keyPem = readFileSync(join(dir, SERVER_KEY_FILE), 'utf8');
    const short = await x509.X509CertificateGenerator.create({
      subject: `CN=${endpoint}`,
      issuer: new x509.X509Certificate(ca.rootCertificatePem).subjectName,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 10 * 86_400_000),
      publicKey: createPublicKey(keyPem).export({ type: 'spki', format: 'der' }),
      signingKey: rootKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: endpoint }, { type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }, { type: 'ip', value: '::1' },
      ])],
    });
    const shortPem = short.toString('pem');
    writeFileSync(join(dir, SERVER_CERT_FILE), shortPem);
    const renewed = await ca.ensureServerCertificate(endpoint);
    assert.notEqual(renewed.certPem, shortPem);
    assert.ok(Date.parse(new NodeX509Certificate(renewed.certPem).validTo) - Date.now() > 300 * 86_400_000);
  });

  test('server certificate - one not signed by the current root, or not matching its key, is replaced', async () => {
    const endpoint = 'foreign.example.com';
    const other = await CertificateAuthority.loadOrCreate(freshDir());
    const foreign = await other.ensureServerCertificate(endpoint);
    writeFileSync(join(dir, SERVER_CERT_FILE), foreign.certPem);
    writeFileSync(join(dir, SERVER_KEY_FILE), foreign.keyPem);
    const mine = await ca.ensureServerCertificate(endpoint);
    assert.ok(new NodeX509Certificate(mine.certPem).verify(new NodeX509Certificate(ca.rootCertificatePem).publicKey));
    writeFileSync(join(dir, SERVER_KEY_FILE), generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const fixed = await ca.ensureServerCertificate(endpoint);
    assert.ok(new NodeX509Certificate(fixed.certPem).checkPrivateKey(createPrivateKey(fixed.keyPem)));
    assert.notEqual(fixed.certPem, mine.certPem);
    writeFileSync(join(dir, SERVER_CERT_FILE), 'garbage');
    assert.ok((await ca.ensureServerCertificate(endpoint)).certPem.startsWith('-----BEGIN CERTIFICATE-----'));
  });
});

describe('pki - device certificates', () => {
  let dir: string;
  let ca: CertificateAuthority;
  let server: Awaited<ReturnType<CertificateAuthority['ensureServerCertificate']>>;
  before(async () => {
    dir = freshDir();
    ca = await CertificateAuthority.loadOrCreate(dir);
    server = await ca.ensureServerCertificate('localhost');
  });

  test('device certificate - AWS shape: RSA 2048 PKCS#1 key, SPKI public key, CN=AWS IoT Certificate, until 2049-12-31T23:59:59Z, clientAuth', async () => {
    const device = await ca.createKeysAndCertificate();
    assert.match(device.privateKeyPem, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.match(device.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
    const node = new NodeX509Certificate(device.certificatePem);
    assert.equal(node.subject, 'CN=AWS IoT Certificate');
    assert.equal(node.publicKey.asymmetricKeyType, 'rsa');
    assert.equal(node.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    assert.ok(node.checkPrivateKey(createPrivateKey(device.privateKeyPem)));
    assert.ok(createPublicKey(device.publicKeyPem).equals(node.publicKey));
    assert.equal(new Date(node.validTo).toISOString(), '2049-12-31T23:59:59.000Z');
    assert.equal(device.notAfter, Date.parse('2049-12-31T23:59:59Z'));
    assert.equal(device.notBefore, Date.parse(node.validFrom));
    assert.ok(device.notBefore <= Date.now());
    assert.deepEqual(node.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    assert.equal(node.ca, false);
    assert.ok(/^[0-7]/.test(node.serialNumber) && /[1-9A-F]/.test(node.serialNumber), `positive, non-zero serial ${node.serialNumber}`);
    assert.equal(device.certificateId, certificateIdOf(device.certificatePem));
    assert.equal(device.certificateId, createHash('sha256').update(node.raw).digest('hex'));
    const path = write(dir, 'device.pem', device.certificatePem);
    assert.match(openssl(['verify', '-x509_strict', '-purpose', 'sslclient', '-CAfile', join(dir, ROOT_CA_FILE), path]), /: OK/);
  });

  test('device certificate - two are different (fresh keys, random serials)', async () => {
    const [a, b] = await Promise.all([ca.createKeysAndCertificate(), ca.createKeysAndCertificate()]);
    assert.notEqual(a.certificateId, b.certificateId);
    assert.notEqual(a.privateKeyPem, b.privateKeyPem);
    assert.notEqual(new NodeX509Certificate(a.certificatePem).serialNumber, new NodeX509Certificate(b.certificatePem).serialNumber);
  });

  test('device certificate - node tls round trip, both ends verified, for localhost and 127.0.0.1', async () => {
    const device = await ca.createKeysAndCertificate();
    const serverTls = { cert: server.certPem, key: server.keyPem, ca: ca.rootCertificatePem };
    const clientTls = { cert: device.certificatePem, key: device.privateKeyPem, ca: ca.rootCertificatePem };
    for (const target of [{ host: '127.0.0.1', servername: 'localhost' }, { host: '127.0.0.1' }]) {
      const result = await tlsRoundTrip(serverTls, clientTls, target);
      assert.equal(result.reply, 'hello');
      assert.equal(result.serverSawAuthorized, true);
      assert.equal(result.serverSawPeerId, device.certificateId);
    }
  });

  test('device certificate - a client certificate from another CA, or none, fails the handshake', async () => {
    const other = await CertificateAuthority.loadOrCreate(freshDir());
    const stranger = await other.createKeysAndCertificate();
    const serverTls = { cert: server.certPem, key: server.keyPem, ca: ca.rootCertificatePem };
    await assert.rejects(tlsRoundTrip(serverTls, { cert: stranger.certificatePem, key: stranger.privateKeyPem, ca: ca.rootCertificatePem }, { host: '127.0.0.1', servername: 'localhost' }));
    await assert.rejects(tlsRoundTrip(serverTls, { ca: ca.rootCertificatePem }, { host: '127.0.0.1', servername: 'localhost' }));
  });

  test('device certificate - a client trusting another root refuses the server; a wrong host name is refused', async () => {
    const other = await CertificateAuthority.loadOrCreate(freshDir());
    const device = await ca.createKeysAndCertificate();
    const serverTls = { cert: server.certPem, key: server.keyPem, ca: ca.rootCertificatePem };
    await assert.rejects(tlsRoundTrip(serverTls, { cert: device.certificatePem, key: device.privateKeyPem, ca: other.rootCertificatePem }, { host: '127.0.0.1', servername: 'localhost' }));
    await assert.rejects(tlsRoundTrip(serverTls, { cert: device.certificatePem, key: device.privateKeyPem, ca: ca.rootCertificatePem }, { host: '127.0.0.1', servername: 'example.org' }),
      /does not match|altnames/);
  });

  test('device certificate - curl (OpenSSL) publishes over mutual TLS to localhost', async () => {
    const device = await ca.createKeysAndCertificate();
    const certPath = write(dir, 'curl.pem.crt', device.certificatePem);
    const keyPath = write(dir, 'curl.private.pem.key', device.privateKeyPem);
    let seen: string | undefined;
    const https = createHttpsServer({ cert: server.certPem, key: server.keyPem, ca: [ca.rootCertificatePem], requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerX509Certificate();
      seen = peer && certificateIdOf(peer.raw);
      res.end('{"message":"OK"}');
    });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    const { port } = https.address() as AddressInfo;
    try {
      const out = await runClient('curl', ['-sS', '--fail', '--resolve', `localhost:${port}:127.0.0.1`,
        '--cacert', join(dir, ROOT_CA_FILE), '--cert', certPath, '--key', keyPath, '-X', 'POST', `https://localhost:${port}/topics/a`]);
      assert.equal(out, '{"message":"OK"}');
      assert.equal(seen, device.certificateId);
    } finally {
      https.close();
    }
  });

  test('device certificate - Python ssl (VERIFY_X509_STRICT) connects to localhost and 127.0.0.1', async () => {
    const device = await ca.createKeysAndCertificate();
    const certPath = write(dir, 'py.pem.crt', device.certificatePem);
    const keyPath = write(dir, 'py.private.pem.key', device.privateKeyPem);
    let seen: string | undefined;
    const listener = createServer({ cert: server.certPem, key: server.keyPem, ca: [ca.rootCertificatePem], requestCert: true, rejectUnauthorized: true }, (socket) => {
      const peer = socket.getPeerX509Certificate();
      seen = peer && certificateIdOf(peer.raw);
      socket.end('hello');
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as AddressInfo;
    const script = [
      'import socket, ssl, sys',
      'host, port, ca, cert, key = sys.argv[1:]',
      'ctx = ssl.create_default_context(cafile=ca)',
      'ctx.verify_flags |= ssl.VERIFY_X509_STRICT',
      'ctx.load_cert_chain(cert, key)',
      "with socket.create_connection(('127.0.0.1', int(port))) as raw:",
      '    with ctx.wrap_socket(raw, server_hostname=host) as tls:',
      '        print(tls.recv(5).decode())',
    ].join('\n');
    try {
      for (const host of ['localhost', '127.0.0.1']) {
        seen = undefined;
        const out = await runClient('python3', ['-c', script, host, String(port), join(dir, ROOT_CA_FILE), certPath, keyPath]);
        assert.equal(out.trim(), 'hello', host);
        assert.equal(seen, device.certificateId);
      }
    } finally {
      listener.close();
    }
  });
});

describe('pki - certificates from a CSR', () => {
  let dir: string;
  let ca: CertificateAuthority;
  before(async () => {
    dir = freshDir();
    ca = await CertificateAuthority.loadOrCreate(dir);
  });

  test('CSR - EC P-256 and P-384: subject kept, key kept, clientAuth, chains to the root', async () => {
    for (const curve of ['P-256', 'P-384'] as const) {
      const csr = await csrPem(curve, `CN=sensor-${curve}, O=Example`);
      const issued = await ca.signCsr(csr);
      const node = new NodeX509Certificate(issued.certificatePem);
      assert.equal(node.subject, `CN=sensor-${curve}\nO=Example`);
      assert.ok(node.publicKey.equals(createPublicKey({ key: Buffer.from(new x509.Pkcs10CertificateRequest(csr).publicKey.rawData), format: 'der', type: 'spki' })));
      assert.deepEqual(node.keyUsage, ['1.3.6.1.5.5.7.3.2']);
      assert.equal(issued.certificateId, certificateIdOf(node.raw));
      assert.equal(issued.notAfter, Date.parse('2049-12-31T23:59:59Z'));
      const path = write(dir, `csr-${curve}.pem`, issued.certificatePem);
      assert.match(openssl(['verify', '-x509_strict', '-CAfile', join(dir, ROOT_CA_FILE), path]), /: OK/);
    }
  });

  test('CSR - RSA 2048 from openssl req, then a TLS round trip with its key', async () => {
    const keyPath = join(dir, 'rsa.key');
    const csr = openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-subj', '/CN=rsa-device/O=Example']);
    const issued = await ca.signCsr(csr);
    assert.equal(new NodeX509Certificate(issued.certificatePem).subject, 'CN=rsa-device\nO=Example');
    const server = await ca.ensureServerCertificate('localhost');
    const result = await tlsRoundTrip({ cert: server.certPem, key: server.keyPem, ca: ca.rootCertificatePem },
      { cert: issued.certificatePem, key: readFileSync(keyPath, 'utf8'), ca: ca.rootCertificatePem }, { host: '127.0.0.1', servername: 'localhost' });
    assert.equal(result.serverSawPeerId, issued.certificateId);
  });

  test('CSR - an EC P-256 certificate works in a TLS round trip', async () => {
    const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const keyPath = write(dir, 'ec.key', keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const csr = openssl(['req', '-new', '-key', keyPath, '-subj', '/CN=ec-device']);
    const issued = await ca.signCsr(csr);
    const server = await ca.ensureServerCertificate('localhost');
    const result = await tlsRoundTrip({ cert: server.certPem, key: server.keyPem, ca: ca.rootCertificatePem },
      { cert: issued.certificatePem, key: readFileSync(keyPath, 'utf8'), ca: ca.rootCertificatePem }, { host: '127.0.0.1', servername: 'localhost' });
    assert.equal(result.serverSawAuthorized, true);
    assert.equal(result.serverSawPeerId, issued.certificateId);
  });

  test('CSR - not PEM, or unparsable, is InvalidRequestException', async () => {
    await assert.rejects(ca.signCsr('hello'), isInvalidRequest(/not PEM-encoded/));
    await assert.rejects(ca.signCsr(''), isInvalidRequest(/not PEM-encoded/));
    await assert.rejects(ca.signCsr('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n'), isInvalidRequest(/could not be parsed/));
    await assert.rejects(ca.signCsr(ca.rootCertificatePem), isInvalidRequest(/not PEM-encoded/));
  });

  test('CSR - a signature that does not verify is InvalidRequestException', async () => {
    const csr = await csrPem('P-256', 'CN=device-1');
    const der = Buffer.from(new x509.Pkcs10CertificateRequest(csr).rawData);
    const at = der.indexOf(Buffer.from('device-1'));
    assert.ok(at > 0);
    der.write('device-2', at);
    const tampered = x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
    await assert.rejects(ca.signCsr(tampered), isInvalidRequest(/signature does not verify/));
  });

  test('CSR - RSA under 2048 bits and other key types are InvalidRequestException', async () => {
    const small = openssl(['req', '-new', '-newkey', 'rsa:1024', '-nodes', '-keyout', join(dir, 'small.key'), '-subj', '/CN=small']);
    await assert.rejects(ca.signCsr(small), isInvalidRequest(/RSA 1024\) is not supported/));
    const ed = openssl(['req', '-new', '-newkey', 'ed25519', '-nodes', '-keyout', join(dir, 'ed.key'), '-subj', '/CN=ed']);
    await assert.rejects(ca.signCsr(ed), isInvalidRequest(/ed25519\) is not supported/));
    const k1 = openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp256k1', '-nodes', '-keyout', join(dir, 'k1.key'), '-subj', '/CN=k1']);
    await assert.rejects(ca.signCsr(k1), isInvalidRequest(/EC secp256k1\) is not supported/));
  });

  test('CSR - a "NEW CERTIFICATE REQUEST" label is accepted', async () => {
    const csr = (await csrPem('P-256', 'CN=legacy')).replaceAll('CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST');
    const issued = await ca.signCsr(csr);
    assert.equal(new NodeX509Certificate(issued.certificatePem).subject, 'CN=legacy');
    assert.ok(existsSync(join(dir, ROOT_CA_FILE)));
  });
});
