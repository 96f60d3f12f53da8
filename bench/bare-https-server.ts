/**
 * @module bench/bare-https-server
 * The ceiling of the HTTPS publish path: node's https server with the same mutual TLS as topicd
 * (requestCert, rejectUnauthorized, an ECDSA P-256 server key), which reads each body and answers
 * 200 with a body shaped like topicd's, and routes nothing. Whatever topicd spends above this is
 * topicd's own. Its own process, started by bench/systems.ts; prints one JSON line with its port
 * when ready and stops on SIGTERM. Not part of topicd.
 *
 * Usage: node dist/bench/bare-https-server.js '{"ca":"...","cert":"...","key":"..."}'
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';

interface Options {
  ca: string;
  cert: string;
  key: string;
}

/** The size of topicd's `{"message":"OK","traceId":...}`, so both write the same bytes. */
const BODY = '{"message":"OK","traceId":"00000000-0000-0000-0000-000000000000"}';
const HEADERS = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) };

function main(): void {
  const options = JSON.parse(process.argv[2] ?? '{}') as Options;
  const server = createServer({
    ca: readFileSync(options.ca),
    cert: readFileSync(options.cert),
    key: readFileSync(options.key),
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  }, (req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      res.writeHead(200, HEADERS);
      res.end(BODY);
    });
  });
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as AddressInfo).port;
    process.stdout.write(`${JSON.stringify({ ready: true, httpsPort: port })}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
}

main();
