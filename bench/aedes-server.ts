/**
 * @module bench/aedes-server
 * Aedes as the bench runs it: its own process (so it can be pinned to one CPU and measured alone),
 * default options and in-memory persistence, one plain TCP listener and one mutual-TLS listener on
 * node's tls. Started by bench/systems.ts; prints one JSON line with its ports when ready and stops
 * on SIGTERM. Not part of topicd.
 *
 * Usage: node dist/bench/aedes-server.js '{"ca":"...","cert":"...","key":"..."}'
 */
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes } from 'aedes';

interface Options {
  ca: string;
  cert: string;
  key: string;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as Options;
  const broker = await Aedes.createBroker();
  // noDelay: node leaves Nagle's algorithm on for accepted sockets; a deployment that cares turns it off.
  const plain = createServer({ noDelay: true }, (socket) => broker.handle(socket));
  const secure = createTlsServer({
    ca: readFileSync(options.ca),
    cert: readFileSync(options.cert),
    key: readFileSync(options.key),
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  }, (socket) => {
    socket.setNoDelay(true);
    broker.handle(socket);
  });
  // A client that fails its handshake concerns that client only.
  secure.on('tlsClientError', (_err, socket) => socket.destroy());
  const tcpPort = await listen(plain);
  const tlsPort = await listen(secure);
  process.stdout.write(`${JSON.stringify({ ready: true, tcpPort, tlsPort })}\n`);
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
}

main().catch((err: unknown) => {
  process.stderr.write(`aedes-server: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
