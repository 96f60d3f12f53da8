/**
 * @module bench/nginx
 * nginx as the ceiling of the HTTPS publish path (issue 9 §4): the Debian binary with a config the
 * bench writes into its own temporary prefix (no /etc, /var or /run path is read or written), on a
 * free loopback port, with the peers' CA, server certificate and key (the same P-256 key kind as the
 * others) and `ssl_verify_client on`. It answers `POST /topics/...` with a fixed 200 JSON body of
 * the same bytes as the bare node server's, and routes nothing else. Started, pinned and stopped
 * like the other servers (bench/systems.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clientContext, type PeerCerts } from './certs.js';
import { freePort, spawnPinned, stopChild, waitForPort, type RunningSystem } from './systems.js';

/** Debian's `nginx` (or `nginx-light`) package puts it here. */
const NGINX_PATHS = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];

/** The nginx binary, or undefined when none is installed. */
export function nginxBinary(): string | undefined {
  const found = NGINX_PATHS.find((path) => existsSync(path));
  if (found !== undefined) return found;
  try {
    const path = execFileSync('bash', ['-c', 'command -v nginx'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return path === '' ? undefined : path;
  } catch {
    return undefined;
  }
}

/** `nginx -v` prints `nginx version: nginx/1.22.1` on stderr (and exits 0). */
export function nginxVersion(binary: string): string {
  const run = spawnSync(binary, ['-v'], { encoding: 'utf8' });
  const out = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  return /nginx\/(\S+)/.exec(out)?.[1] ?? (out.trim() || 'unknown');
}

/** The bare node server's body (bench/bare-https-server.ts), so the three servers write the same bytes. */
const BODY = '{"message":"OK","traceId":"00000000-0000-0000-0000-000000000000"}';

function config(prefix: string, port: number, certs: PeerCerts): string {
  return [
    '# written by topicd bench/nginx.ts',
    'daemon off;',
    // One process that accepts and serves, as one worker does: the bench pins it to the server core
    // and reads its CPU time, and nothing outlives it (no master with workers of its own).
    'master_process off;',
    'worker_processes 1;',
    `pid ${join(prefix, 'nginx.pid')};`,
    `lock_file ${join(prefix, 'nginx.lock')};`,
    'error_log stderr error;',
    'events { worker_connections 4096; }',
    'http {',
    '  access_log off;',
    '  server_tokens off;',
    // The compiled-in temp paths are under /var/lib/nginx: every one is moved into the prefix.
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${join(prefix, kind)};`),
    // node's servers (the bare one, topicd) close no keep-alive connection after N requests; nginx
    // closes after 1,000 by default, which the generator would count as errors.
    '  keepalive_requests 1000000000;',
    '  keepalive_timeout 600s;',
    '  server {',
    `    listen 127.0.0.1:${port} ssl;`,
    `    ssl_certificate ${certs.server.cert};`,
    `    ssl_certificate_key ${certs.server.key};`,
    `    ssl_client_certificate ${certs.server.ca};`,
    '    ssl_verify_client on;',
    '    ssl_protocols TLSv1.2 TLSv1.3;',
    '    default_type application/json;',
    // `return` reads each request body off the connection and discards it (it must, to parse the
    // next request on the keep-alive connection); nothing is routed, stored or forwarded.
    `    location /topics/ { return 200 '${BODY}'; }`,
    '    location / { return 404; }',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** nginx in its own prefix under `dir`, pinned like the others; its pid is the process that serves. */
export async function startNginx(cpu: number | undefined, binary: string, certs: PeerCerts, dir: string): Promise<RunningSystem> {
  const prefix = join(dir, 'nginx');
  mkdirSync(prefix, { recursive: true });
  const port = await freePort();
  const path = join(prefix, 'nginx.conf');
  writeFileSync(path, config(prefix, port, certs));
  // -e: the error log before the config is read (else the compiled-in path); -p: the prefix.
  const child = spawnPinned(cpu, [binary, '-p', prefix, '-e', 'stderr', '-c', path]);
  try {
    await waitForPort(port, 10_000, child, 'nginx');
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return {
    id: 'nginx', pid: child.pid ?? -1, mqttTcp: undefined, mqttTls: undefined, https: port,
    secureContext: clientContext(certs.client), servername: 'localhost',
    stop: () => stopChild(child),
  };
}
