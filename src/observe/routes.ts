/**
 * @module observe/routes
 * `GET /metrics`, `GET /healthz` and `GET /readyz` on the control-plane listener (127.0.0.1:9000 by
 * default). None is SigV4-signed: probes and Prometheus do not sign. /healthz and /readyz say nothing
 * secret and answer anyone who reaches the listener. /metrics answers loopback peers only: it names
 * the fleet's activity (denials by action, traffic), and the control plane listens on loopback unless
 * told otherwise, so a Prometheus on another host scrapes through an agent or a proxy on this one
 * (docs/observability.md).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readiness } from './health.js';
import type { Registry } from 'prom-client';

export interface ObserveRoutesDeps {
  registry: Registry;
  readiness: Readiness;
}

/** 127.0.0.0/8 and ::1, as IPv4 or IPv4-mapped IPv6. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

function refuse(reply: FastifyReply, request: FastifyRequest): void {
  void reply.code(403).header('x-amzn-ErrorType', 'ForbiddenException').type('application/json')
    .send(JSON.stringify({ message: `GET /metrics is served to loopback peers only, not to ${request.socket.remoteAddress ?? 'this peer'}` }));
}

export function registerObserveRoutes(app: FastifyInstance, deps: ObserveRoutesDeps): void {
  app.get('/metrics', async (request, reply) => {
    if (!isLoopback(request.socket.remoteAddress)) return refuse(reply, request);
    const text = await deps.registry.metrics();
    await reply.code(200).type(deps.registry.contentType).send(text);
  });
  app.get('/healthz', async (_request, reply) => {
    await reply.code(200).type('application/json').send('{"status":"ok"}');
  });
  app.get('/readyz', async (_request, reply) => {
    const report = await deps.readiness.report();
    const notReady = Object.entries(report.checks).filter(([, c]) => !c.ready).map(([name]) => name);
    const body = report.ready ? { status: 'ready', checks: report.checks } : { status: 'not ready', notReady, checks: report.checks };
    await reply.code(report.ready ? 200 : 503).type('application/json').send(JSON.stringify(body));
  });
}
