/**
 * @module console/routes
 * The console's own routes on the control-plane listener: its pages, sign-in and sign-out, and the
 * few reads AWS has no control-plane operation for (connected clients, retained messages, the
 * dashboard's counters, a thing's shadows in one read), each authorized with the signed-in key's policies as AWS names the action.
 * Everything else the pages do goes through the AWS control-plane routes themselves, which accept the
 * console's session in place of a SigV4 signature (control/server.ts asks `consoleCaller`).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessKeyPrincipal } from '../auth/authorizer.js';
import { TopicdError, invalidRequest } from '../errors.js';
import type { ShadowService } from '../services/shadow/index.js';
import type { AccessKeyStore } from '../store/store.js';
import {
  SHADOWS_SHOWN, type ListConnectionsResponse, type ListRetainedResponse, type RetainedMessageResponse, type SessionInfo, type ShadowView, type StatsResponse,
  type ThingShadowsResponse,
} from './api-types.js';
import type { ConsoleData } from './console-data.js';
import { consoleUpgradeHandler } from './mqtt-upgrade.js';
import { CLEARED_COOKIE, ConsoleSessions, consoleCaller, sameOrigin, sessionCookie } from './sessions.js';
import { CONSOLE_PREFIX, DEFAULT_ASSETS_DIR, registerStaticPages } from './static-pages.js';
import { StatsHistory } from './stats-history.js';
import { CONSOLE_HEADER } from './api-types.js';

/** What the control plane's deps may say about the console (all optional: a bare control plane still serves its pages). */
export interface ConsoleOptions {
  /** Clients, retained messages and counters; without it those pages say they are not available. */
  data?: ConsoleData;
  /** Hands a signed-in console's WebSocket upgrade (`/console/mqtt`) to the MQTT-over-WebSocket gateway. */
  mqttUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer, principal: AccessKeyPrincipal) => void;
  /** The Device Shadow service, for a thing's page; without it the page says shadows are not available. */
  shadows?: ShadowService;
  /** The root CA the create-thing page offers for download. */
  rootCaPem?: string;
  /** Where the built pages are; default dist/console. */
  assetsDir?: string;
  sessionTtlMs?: number;
  sessionIdleMs?: number;
  statsIntervalMs?: number;
  now?: () => number;
}

export interface ConsoleRouteDeps extends ConsoleOptions {
  accessKeys: AccessKeyStore;
  /** The control plane's authorizer for a key's call (the same one its SigV4 callers get). */
  authorize: (call: { accessKeyId: string; action: string; resource: string; sourceIp: string }) => boolean;
  /** `arn:aws:iot:<region>:<account>:` */
  arnPrefix: string;
  endpoint: string;
}

/** A page of retained topics: AWS's default and maximum of ListRetainedMessages. */
const RETAINED_PAGE = { default: 50, max: 200 };

/** Registers the console on the control-plane app and returns its sessions (the control plane's authenticate reads them). */
export function registerConsole(app: FastifyInstance, deps: ConsoleRouteDeps): ConsoleSessions {
  const sessions = new ConsoleSessions({
    keyExists: async (id) => (await deps.accessKeys.get(id)) !== undefined,
    ...(deps.sessionTtlMs === undefined ? {} : { ttlMs: deps.sessionTtlMs }),
    ...(deps.sessionIdleMs === undefined ? {} : { idleMs: deps.sessionIdleMs }),
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });
  registerStaticPages(app, deps.assetsDir ?? DEFAULT_ASSETS_DIR);
  registerSessionRoutes(app, deps, sessions);
  registerDataRoutes(app, deps, sessions);
  registerRetainedRoutes(app, deps, sessions);
  registerShadowRoutes(app, deps, sessions);
  if (deps.mqttUpgrade) app.server.on('upgrade', consoleUpgradeHandler(sessions, deps.mqttUpgrade));
  return sessions;
}

const API = `${CONSOLE_PREFIX}/api`;
const json = (value: object): string => JSON.stringify(value);

/** Sign-in, who-am-I, sign-out, and the root CA for the create-thing page. */
function registerSessionRoutes(app: FastifyInstance, deps: ConsoleRouteDeps, sessions: ConsoleSessions): void {
  const api = API;
  app.post(`${api}/session`, async (request, reply) => {
    // A cross-site form cannot sign a victim into the attacker's key either.
    if (request.headers[CONSOLE_HEADER] !== '1' || !sameOrigin(request.headers)) {
      throw new TopicdError('ForbiddenException', `Sign in from the console's page (the ${CONSOLE_HEADER} header is missing or the origin is another site).`);
    }
    const { accessKeyId, secretAccessKey } = signInBody(request.body);
    const key = await deps.accessKeys.get(accessKeyId);
    if (!key) throw new TopicdError('UnauthorizedException', `The access key ID ${accessKeyId} is not one of this topicd's access keys.`);
    if (!secretsEqual(key.secretAccessKey, secretAccessKey)) {
      throw new TopicdError('UnauthorizedException', 'The secret access key is wrong for this access key ID.');
    }
    const session = sessions.create(accessKeyId);
    const info: SessionInfo = { accessKeyId, expiresAt: session.expiresAt, endpoint: deps.endpoint };
    return reply.header('set-cookie', sessionCookie(session.id, session.expiresAt, (deps.now ?? Date.now)()))
      .header('cache-control', 'no-store').type('application/json').send(json(info));
  });
  app.get(`${api}/session`, async (request, reply) => {
    const session = await consoleCaller(sessions, request.headers);
    const info: SessionInfo = { accessKeyId: session.accessKeyId, expiresAt: session.expiresAt, endpoint: deps.endpoint };
    return reply.header('cache-control', 'no-store').type('application/json').send(json(info));
  });
  app.delete(`${api}/session`, async (request, reply) => {
    const session = await consoleCaller(sessions, request.headers).catch(() => undefined);
    if (session) sessions.delete(session.id);
    return reply.header('set-cookie', CLEARED_COOKIE).code(204).send();
  });

  app.get(`${api}/root-ca`, async (request, reply) => {
    await consoleCaller(sessions, request.headers);
    if (deps.rootCaPem === undefined) throw new TopicdError('ResourceNotFoundException', 'This topicd did not give the console its root CA.');
    return reply.type('application/x-pem-file').send(deps.rootCaPem);
  });

}

const denial = (deps: ConsoleRouteDeps, accessKeyId: string, action: string, resource: string): string =>
  `User: ${deps.arnPrefix}accesskey/${accessKeyId} is not authorized to perform: ${action} on resource: ${resource}`;

interface Guard {
  /** The caller's key, after the key's policies allowed each `action` on its `resource` (AWS-shaped 403 otherwise). */
  allowed(request: FastifyRequest, ...asks: Array<[action: string, resource: string]>): Promise<string>;
  data(): ConsoleData;
}

function guard(deps: ConsoleRouteDeps, sessions: ConsoleSessions): Guard {
  return {
    async allowed(request, ...asks) {
      const { accessKeyId } = await consoleCaller(sessions, request.headers);
      for (const [action, resource] of asks) {
        if (!deps.authorize({ accessKeyId, action, resource, sourceIp: request.ip })) {
          throw new TopicdError('AccessDeniedException', denial(deps, accessKeyId, action, resource));
        }
      }
      return accessKeyId;
    },
    data() {
      if (!deps.data) throw new TopicdError('ServiceUnavailableException', 'This topicd serves no console data (clients, retained messages, counters).');
      return deps.data;
    },
  };
}

/** Connected clients and the dashboard's counters, over ConsoleData. */
function registerDataRoutes(app: FastifyInstance, deps: ConsoleRouteDeps, sessions: ConsoleSessions): void {
  const api = API;
  const { allowed, data } = guard(deps, sessions);
  // AWS has no operation that lists connections: `iot:ListConnections` on `*` is topicd's name for it.
  app.get(`${api}/connections`, async (request, reply) => {
    await allowed(request, ['iot:ListConnections', '*']);
    const out: ListConnectionsResponse = { connections: await data().clients() };
    return reply.type('application/json').send(json(out));
  });
  // AWS: DeleteConnection (iot-data `DELETE /connections/{clientId}`), iot:DeleteConnection on client/<id>.
  app.delete<{ Params: { clientId: string }; Querystring: Record<string, string | undefined> }>(`${api}/connections/:clientId`, async (request, reply) => {
    const { clientId } = request.params;
    if (clientId === '' || clientId.startsWith('$')) throw invalidRequest('The client ID must not be empty or start with $.');
    await allowed(request, ['iot:DeleteConnection', `${deps.arnPrefix}client/${clientId}`]);
    const options = { cleanSession: request.query.cleanSession === 'true', preventWillMessage: request.query.preventWillMessage === 'true' };
    if (!(await data().disconnect(clientId, options))) throw new TopicdError('ResourceNotFoundException', `No client ${clientId} is connected.`);
    return reply.code(200).send();
  });

  const history = deps.data ? new StatsHistory(() => deps.data!.stats(), deps.statsIntervalMs) : undefined;
  history?.start();
  app.addHook('onClose', async () => history?.stop());
  // Not an AWS action: `iot:GetBrokerStatistics` on `*` is topicd's name for reading the dashboard.
  app.get(`${api}/stats`, async (request, reply) => {
    await allowed(request, ['iot:GetBrokerStatistics', '*']);
    if (!history) data();
    const out: StatsResponse = { intervalMs: history!.intervalMs, samples: history!.read() };
    return reply.type('application/json').send(json(out));
  });
}

/** Retained messages (AWS ListRetainedMessages, GetRetainedMessage; delete as MQTT deletes one), over ConsoleData. */
function registerRetainedRoutes(app: FastifyInstance, deps: ConsoleRouteDeps, sessions: ConsoleSessions): void {
  const api = API;
  const { allowed, data } = guard(deps, sessions);
  // AWS: ListRetainedMessages, iot:ListRetainedMessages on `*`.
  app.get<{ Querystring: Record<string, string | undefined> }>(`${api}/retained`, async (request, reply) => {
    await allowed(request, ['iot:ListRetainedMessages', '*']);
    const maxResults = request.query.maxResults === undefined ? RETAINED_PAGE.default : Number(request.query.maxResults);
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > RETAINED_PAGE.max) throw invalidRequest(`maxResults must be 1 to ${RETAINED_PAGE.max}.`);
    const out: ListRetainedResponse = await data().retained.list({ maxResults, nextToken: request.query.nextToken });
    return reply.type('application/json').send(json(out));
  });
  // AWS: GetRetainedMessage, iot:GetRetainedMessage on topic/<topic>. The topic is a query member
  // here, since it holds slashes.
  app.get<{ Querystring: Record<string, string | undefined> }>(`${api}/retained/message`, async (request, reply) => {
    const topic = topicOf(request.query.topic);
    await allowed(request, ['iot:GetRetainedMessage', `${deps.arnPrefix}topic/${topic}`]);
    const message = await data().retained.get(topic);
    if (!message) throw new TopicdError('ResourceNotFoundException', `No retained message on topic ${topic}.`);
    const out: RetainedMessageResponse = { ...message, payload: message.payload.toString('base64') };
    return reply.type('application/json').send(json(out));
  });
  // AWS deletes a retained message by a zero-byte retained publish, so it takes what that publish takes.
  app.delete<{ Querystring: Record<string, string | undefined> }>(`${api}/retained/message`, async (request, reply) => {
    const topic = topicOf(request.query.topic);
    if (topic.startsWith('$')) throw invalidRequest('Retained messages on $ topics belong to the service.');
    const resource = `${deps.arnPrefix}topic/${topic}`;
    await allowed(request, ['iot:Publish', resource], ['iot:RetainPublish', resource]);
    if (!(await data().retained.delete(topic))) throw new TopicdError('ResourceNotFoundException', `No retained message on topic ${topic}.`);
    return reply.code(200).send();
  });
}

/** A thing's shadows (AWS ListNamedShadowsForThing, then GetThingShadow of each), over the shadow service. */
function registerShadowRoutes(app: FastifyInstance, deps: ConsoleRouteDeps, sessions: ConsoleSessions): void {
  const { allowed } = guard(deps, sessions);
  // AWS (iot-data): ListNamedShadowsForThing on thing/<t>; GetThingShadow on thing/<t> for the classic
  // shadow and on thing/<t>/<shadow> for a named one. A named shadow the key may not read is listed as refused.
  app.get<{ Params: { thingName: string } }>(`${API}/things/:thingName/shadows`, async (request, reply) => {
    const { thingName } = request.params;
    const thingArn = `${deps.arnPrefix}thing/${thingName}`;
    const accessKeyId = await allowed(request, ['iot:ListNamedShadowsForThing', thingArn], ['iot:GetThingShadow', thingArn]);
    const service = deps.shadows;
    if (!service) throw new TopicdError('ServiceUnavailableException', 'This topicd gave the console no Device Shadow service.');
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await service.listNamedShadowsForThing(thingName, { pageSize: 100, ...(nextToken === undefined ? {} : { nextToken }) });
      names.push(...page.results);
      nextToken = page.nextToken;
    } while (nextToken !== undefined && names.length < SHADOWS_SHOWN);
    const out: ThingShadowsResponse = { shadows: [], truncated: nextToken !== undefined || names.length > SHADOWS_SHOWN };
    for (const name of [undefined, ...names.slice(0, SHADOWS_SHOWN)]) {
      const resource = name === undefined ? thingArn : `${thingArn}/${name}`;
      if (name !== undefined && !deps.authorize({ accessKeyId, action: 'iot:GetThingShadow', resource, sourceIp: request.ip })) {
        out.shadows.push({ shadowName: name, refused: denial(deps, accessKeyId, 'iot:GetThingShadow', resource) });
        continue;
      }
      // None: the thing has no classic shadow, or the named one was deleted since the listing.
      const shadow = await service.describeShadow(thingName, name);
      if (shadow === undefined) continue;
      const { state } = JSON.parse(shadow.document.toString('utf8')) as { state: ShadowView['state'] };
      out.shadows.push({ shadowName: name ?? null, version: shadow.version, lastUpdated: shadow.updatedAt, state });
    }
    return reply.header('cache-control', 'no-store').type('application/json').send(json(out));
  });
}

function signInBody(body: unknown): { accessKeyId: string; secretAccessKey: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.isBuffer(body) ? body.toString('utf8') : '');
  } catch {
    throw invalidRequest('Sign in with a JSON body: {"accessKeyId": ..., "secretAccessKey": ...}.');
  }
  const { accessKeyId, secretAccessKey } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof accessKeyId !== 'string' || accessKeyId === '') throw invalidRequest('Enter the access key ID.');
  if (typeof secretAccessKey !== 'string' || secretAccessKey === '') throw invalidRequest('Enter the secret access key.');
  return { accessKeyId: accessKeyId.trim(), secretAccessKey };
}

/** Compared in constant time, so the answer's timing tells nothing of the secret. */
function secretsEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function topicOf(topic: string | undefined): string {
  if (topic === undefined || topic === '') throw invalidRequest('Name the topic (?topic=).');
  return topic;
}
