/**
 * @module test/helpers/nats-server
 * A real nats-server (the Debian package's /usr/sbin/nats-server) of the test's own, on an ephemeral
 * port, so that a test can stop it and start it again on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';

export const NATS_SERVER = process.env['TOPICD_TEST_NATS_SERVER'] ?? '/usr/sbin/nats-server';

export interface TestNats {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGKILL when `kill`), and waits for it to exit. */
  stop(kill?: boolean): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function accepting(port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nats-server on ${port} did not start`);
}

export async function startNats(): Promise<TestNats> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    child = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    await accepting(port, Date.now() + 10_000);
  };
  await start();
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    start,
    async stop(kill = false) {
      const c = child;
      child = undefined;
      if (c === undefined || c.exitCode !== null) return;
      const exited = new Promise((resolve) => c.once('exit', resolve));
      c.kill(kill ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
  };
}
