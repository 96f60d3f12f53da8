/**
 * @module bench/certs
 * Certificates for the peers, made with the openssl command: a CA, a server certificate for
 * localhost and 127.0.0.1, and a client certificate. Key kinds follow topicd's so every server does
 * the same handshake work: ECDSA P-256 for the CA and the server, and the client key kind the
 * topicd device got (P-256 when topicd signed our CSR; RSA 2048 when it fell back to `thing create`).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';

export type ClientKeyKind = 'ec-p256' | 'rsa-2048';

/** File paths of one side's TLS material. */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface PeerCerts {
  /** What the peers' servers load: their certificate and key, and the CA they trust for clients. */
  server: TlsFiles;
  /** What the generator presents to the peers, and the CA it trusts for their server certificate. */
  client: TlsFiles;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Makes a private key of the given kind at `path`. */
export function makeKey(dir: string, path: string, kind: ClientKeyKind): void {
  const algorithm = kind === 'ec-p256'
    ? ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']
    : ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'];
  openssl(['genpkey', ...algorithm, '-out', path], dir);
}

/** Makes a CSR for `keyPath` (for topicd's CreateCertificateFromCsr). */
export function makeCsr(dir: string, keyPath: string, commonName: string): string {
  const path = join(dir, 'client.csr');
  openssl(['req', '-new', '-key', keyPath, '-subj', `/CN=${commonName}`, '-out', path], dir);
  return readFileSync(path, 'utf8');
}

function issue(dir: string, name: string, keyKind: ClientKeyKind, extensions: string): void {
  makeKey(dir, `${name}.key`, keyKind);
  openssl(['req', '-new', '-key', `${name}.key`, '-subj', `/CN=bench ${name}`, '-out', `${name}.csr`], dir);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl([
    'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '30', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.pem`,
  ], dir);
}

/** Writes a CA, a server and a client certificate into `dir`. */
export function makePeerCerts(dir: string, clientKind: ClientKeyKind): PeerCerts {
  makeKey(dir, 'ca.key', 'ec-p256');
  openssl([
    'req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '30', '-subj', '/CN=bench CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-out', 'ca.pem',
  ], dir);
  issue(dir, 'server', 'ec-p256', [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '',
  ].join('\n'));
  issue(dir, 'client', clientKind, [
    'basicConstraints=CA:FALSE',
    `keyUsage=critical,digitalSignature${clientKind === 'rsa-2048' ? ',keyEncipherment' : ''}`,
    'extendedKeyUsage=clientAuth',
    '',
  ].join('\n'));
  const ca = join(dir, 'ca.pem');
  return {
    server: { ca, cert: join(dir, 'server.pem'), key: join(dir, 'server.key') },
    client: { ca, cert: join(dir, 'client.pem'), key: join(dir, 'client.key') },
  };
}

/**
 * The generator's TLS context for one server: built once, shared by every connection to it. It
 * holds no CA and the connections do not verify the server: node's TLS client spends ~1.3 ms per
 * handshake on checking the server's chain and identity (more than the server's whole handshake),
 * and the server's work is the same either way. The server still verifies the client certificate.
 */
export function clientContext(files: TlsFiles): SecureContext {
  return createSecureContext({
    cert: readFileSync(files.cert),
    key: readFileSync(files.key),
    minVersion: 'TLSv1.2',
  });
}
