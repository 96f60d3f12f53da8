/**
 * @module control/server
 * The AWS IoT control-plane REST API (restJson1, reference §7) as a fastify app over the registry:
 * every request is SigV4-verified on its raw bytes before any operation runs, then routed to the
 * operation table (control/operations.ts); every answer carries `x-amzn-RequestId`, and every error
 * is AWS-shaped (`x-amzn-ErrorType` header, `{"message": ...}` body). This is the only place where
 * TopicdError becomes an HTTP status. It does not listen: the caller calls `.listen()`.
 *
 * It also serves the web console (console/routes.ts) under /console/. A request that carries the
 * console header is authenticated by the console's session cookie instead of SigV4, and then
 * authorized and run exactly as the signed request of the same access key would be.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { SigV4Error, verifySigV4 } from '../auth/sigv4.js';
import { iotArnPrefix } from '../auth/policy/index.js';
import { TopicdError, isTopicdError } from '../errors.js';
import { AccessKeyRegistry, type AccessKeyRegistryApi } from '../registry/access-keys.js';
import type { CaRegistryApi } from '../registry/ca-types.js';
import type { RegistryApi } from '../registry/types.js';
import type { AccessKeyStore } from '../store/store.js';
import { registerConsole, type ConsoleOptions } from '../console/routes.js';
import { consoleCaller, isConsoleRequest } from '../console/sessions.js';
import { OPERATIONS, type HttpMethod, type Operation } from './operations.js';
import { operationResource } from './resources.js';

export interface ControlPlaneDeps {
  registry: RegistryApi;
  caRegistry: CaRegistryApi;
  /** Where SigV4 secrets come from. */
  accessKeys: AccessKeyStore;
  /** Serves /topicd/access-keys; by default one over `accessKeys` (main passes its own to hear deletions). */
  accessKeyRegistry?: AccessKeyRegistryApi;
  /** The data endpoint DescribeEndpoint answers. */
  endpoint: string;
  /** The region a request's credential scope must name. */
  region: string;
  accountId: string;
  /** A pino-compatible logger, or true/false for fastify's own. */
  logger?: FastifyBaseLogger | boolean;
  /**
   * Decides a verified caller's operation (`iot:<Operation>` on the resource it acts on): the admin
   * key may do everything, other keys what their policies allow. Absent: every verified caller may.
   */
  authorize?: (call: { accessKeyId: string; action: string; resource: string; sourceIp: string }) => boolean;
  /** Clock for the SigV4 date check (tests). */
  now?: () => number;
  /** Told after each write operation succeeded (its AWS name): a cluster's other nodes reload their registries. */
  onWrite?: (operation: string) => void;
  /** The web console at /console/: its data, its MQTT WebSocket hook, its root CA. false: no console. */
  console?: ConsoleOptions | false;
  /** Routes of other parts, unsigned and outside the AWS API (the metrics and health probes: observe/routes.ts). */
  routes?: (app: FastifyInstance) => void;
}

/** AWS signs the control plane as `iot`; older botocore and the AWS CLI v1 sign it as `execute-api`. */
export const CONTROL_PLANE_SIGNING_NAMES = ['iot', 'execute-api'] as const;

/** Bodies here are small JSON documents (a CSR is at most 4 KB). */
const BODY_LIMIT = 256 * 1024;

interface Route {
  pattern: RegExp;
  methods: Set<HttpMethod>;
}

/** Builds the control plane; the caller listens (`await app.listen({ port, host })`). */
export async function createControlPlane(deps: ControlPlaneDeps): Promise<FastifyInstance> {
  const logging = deps.logger === undefined || typeof deps.logger === 'boolean'
    ? { logger: deps.logger ?? false }
    : { loggerInstance: deps.logger };
  const app = Fastify({
    ...logging,
    bodyLimit: BODY_LIMIT,
    // Thing names are up to 128 characters: longer labels must reach the registry's own check, not 404.
    routerOptions: { maxParamLength: 1024 },
    exposeHeadRoutes: false,
    requestIdHeader: false,
    genReqId: () => randomUUID(),
    // One debug line per request (onResponse below) instead of fastify's two info lines.
    logController: new LogController({ disableRequestLogging: true }),
    // Malformed URLs and the like, before any route: still AWS-shaped.
    frameworkErrors: (err, request, reply) => {
      sendError(reply, request, 'InvalidRequestException', 400, err.message);
    },
  }) as unknown as FastifyInstance;

  // SigV4 covers the exact bytes, so every body is kept as a Buffer, whatever its content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const lookupSecret = async (accessKeyId: string): Promise<string | undefined> => (await deps.accessKeys.get(accessKeyId))?.secretAccessKey;
  const callers = new WeakMap<FastifyRequest, string>();
  const arnPrefix = iotArnPrefix(deps.region, deps.accountId);
  const consoleSessions = deps.console === false ? undefined : registerConsole(app, {
    ...deps.console,
    accessKeys: deps.accessKeys,
    authorize: deps.authorize ?? (() => true),
    arnPrefix,
    endpoint: deps.endpoint,
  });
  const authenticate = async (request: FastifyRequest): Promise<void> => {
    // The console's pages call the same routes with their session instead of a signature.
    if (consoleSessions && isConsoleRequest(request.headers)) {
      callers.set(request, (await consoleCaller(consoleSessions, request.headers)).accessKeyId);
      return;
    }
    const identity = await verifySigV4({
      method: request.method,
      path: request.raw.url ?? request.url,
      headers: request.headers,
      body: rawBody(request),
    }, { lookupSecret, region: deps.region, services: CONTROL_PLANE_SIGNING_NAMES, ...(deps.now ? { now: deps.now } : {}) });
    callers.set(request, identity.accessKeyId);
  };

  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-amzn-RequestId', request.id);
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'control-plane request');
  });

  deps.routes?.(app);

  const accessKeyRegistry = deps.accessKeyRegistry
    ?? new AccessKeyRegistry({ keys: deps.accessKeys, arn: (id) => deps.registry.accessKeyArn(id) });
  const ctx = { registry: deps.registry, caRegistry: deps.caRegistry, endpoint: deps.endpoint, accessKeys: accessKeyRegistry };
  const routes = new Map<string, Route>();
  for (const op of OPERATIONS) {
    app.route({
      method: op.method,
      url: op.url,
      // After the body is read (the payload hash needs it) and before the operation runs.
      preValidation: authenticate,
      handler: (request, reply) => runOperation(op, request, reply),
    });
    const route = routes.get(op.url) ?? { pattern: routePattern(op.url), methods: new Set<HttpMethod>() };
    route.methods.add(op.method);
    routes.set(op.url, route);
  }

  const runOperation = async (op: Operation, request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const params = (request.params ?? {}) as Record<string, string>;
    const accessKeyId = callers.get(request) ?? '';
    const resource = operationResource(op.url, params, arnPrefix);
    // `iot:<Name>`; topicd's own extensions (`topicd:CreateAccessKey`) too, since AWS IoT policies
    // name only iot: (and greengrass:) actions.
    const action = `iot:${op.name.slice(op.name.indexOf(':') + 1)}`;
    if (deps.authorize && !deps.authorize({ accessKeyId, action, resource, sourceIp: request.ip })) {
      // IAM's wording, so scripts that match on it keep working.
      throw new TopicdError('AccessDeniedException', `User: ${arnPrefix}accesskey/${accessKeyId} is not authorized to perform: ${action} on resource: ${resource}`);
    }
    const output = await op.handle(ctx, {
      params,
      query: (request.query ?? {}) as Record<string, string | string[] | undefined>,
      headers: request.headers,
      body: rawBody(request),
    });
    if (op.method !== 'GET') deps.onWrite?.(op.name);
    if (output === undefined) {
      await reply.code(200).send();
      return;
    }
    await reply.code(200).type('application/json').send(JSON.stringify(output));
  };

  // An unknown route is still authenticated first, as AWS does: an unsigned probe learns nothing.
  app.setNotFoundHandler({ preValidation: authenticate }, async (request, reply) => {
    const path = (request.raw.url ?? request.url).split('?')[0] ?? '';
    const known = [...routes.values()].find((r) => r.pattern.test(path));
    if (known) {
      reply.header('allow', [...known.methods].join(', '));
      sendError(reply, request, 'MethodNotAllowedException', 405, `The method ${request.method} is not allowed on ${path}.`);
      return;
    }
    sendError(reply, request, 'UnknownOperationException', 404, `No AWS IoT operation matches ${request.method} ${path}.`);
  });

  app.setErrorHandler((err: FastifyError | Error, request, reply) => {
    if (err instanceof SigV4Error) {
      sendError(reply, request, err.awsType, err.status, err.message);
    } else if (isTopicdError(err)) {
      sendError(reply, request, err.code, err.status, err.message, err.fields);
    } else if (isClientError(err)) {
      // fastify's own refusals (body too large, bad content length, ...): the caller's fault.
      const status = err.statusCode === 413 ? 413 : 400;
      sendError(reply, request, status === 413 ? 'RequestEntityTooLargeException' : 'InvalidRequestException', status, err.message);
    } else {
      request.log.error({ err, method: request.method, url: request.url }, 'control-plane operation failed');
      sendError(reply, request, 'InternalFailureException', 500, 'An internal error occurred. See the topicd log for details.');
    }
  });

  await app.ready();
  return app;
}

function rawBody(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

function isClientError(err: unknown): err is FastifyError & { statusCode: number } {
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/** `/things/:thingName/principals` -> /^\/things\/[^/]+\/principals$/ */
function routePattern(url: string): RegExp {
  const source = url.split('/').map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
  return new RegExp(`^${source}$`);
}

/** AWS restJson1 error: the type in `x-amzn-ErrorType`, `{"message": ..., ...fields}` in the body. */
function sendError(reply: FastifyReply, request: FastifyRequest, type: string, status: number, message: string, fields: Readonly<Record<string, string>> = {}): void {
  reply
    .code(status)
    .header('x-amzn-ErrorType', type)
    .header('x-amzn-RequestId', request.id)
    .type('application/json')
    .send(JSON.stringify({ ...fields, message }));
}
