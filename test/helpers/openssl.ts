/**
 * @module test/helpers/openssl
 * Certificates made the way a user makes them for "bring your own CA": with the openssl CLI, in a
 * temporary directory (EC P-256 keys, as the AWS guide's examples allow).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PemFiles {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

const files = (dir: string, name: string): PemFiles => ({
  certPath: join(dir, `${name}.pem`),
  keyPath: join(dir, `${name}.key`),
  cert: readFileSync(join(dir, `${name}.pem`), 'utf8'),
  key: readFileSync(join(dir, `${name}.key`), 'utf8'),
});

/** A self-signed CA certificate (openssl req -x509 marks it CA:TRUE) and its key: DIR/NAME.pem, DIR/NAME.key. */
export function makeCa(dir: string, name: string): PemFiles {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`,
    '-out', `${name}.pem`, '-subj', `/CN=${name}`, '-days', '3']);
  return files(dir, name);
}

/** A certificate with subject CN=`commonName` signed by `ca`'s key: DIR/NAME.pem, DIR/NAME.key. */
export function makeSigned(dir: string, ca: PemFiles, name: string, commonName = name): PemFiles {
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`,
    '-out', `${name}.csr`, '-subj', `/CN=${commonName}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', ca.certPath, '-CAkey', ca.keyPath, '-CAcreateserial',
    '-out', `${name}.pem`, '-days', '2']);
  return files(dir, name);
}
