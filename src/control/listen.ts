/**
 * @module control/listen
 * Binds the control plane's fastify app, turning a bind failure into one line that names the port
 * and its flag; resolves the control plane's URL.
 */
import type { FastifyInstance } from 'fastify';
import { TopicdError } from '../errors.js';

export async function listenControlPlane(app: FastifyInstance, port: number, host: string): Promise<{ port: number; url: string }> {
  try {
    await app.listen({ port, host });
  } catch (err) {
    await app.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw new TopicdError('InvalidRequestException',
      `cannot listen on port ${port} (--control-port): ${code === 'EADDRINUSE' ? 'address already in use' : (err as Error).message}`, { cause: err });
  }
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return { port: bound, url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}` };
}
