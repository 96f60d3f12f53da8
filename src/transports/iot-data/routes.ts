/**
 * @module transports/iot-data/routes
 * The iot-data operations other than Publish (reference §2; the shapes of @aws-sdk/client-iot-data-plane):
 * GetThingShadow, UpdateThingShadow, DeleteThingShadow (`/things/{thing}/shadow?name=`),
 * ListNamedShadowsForThing, GetRetainedMessage and ListRetainedMessages. Each is authorized as AWS
 * authorizes it (reference §6: iot:GetThingShadow on `thing/<t>`, `thing/<t>/<shadow>` for a named
 * shadow; iot:GetRetainedMessage on `topic/<t>`; iot:ListRetainedMessages on `*`), then runs. The
 * shadow service keeps its document in the Store before it answers.
 */
import { isTopicdError } from '../../errors.js';
import { IotDataError, type IotDataErrorType } from './answer.js';
import type { Caller, IotDataDeps } from './caller.js';

/** One parsed request: the path's decoded labels and the query. */
export interface RouteRequest {
  method: string;
  labels: string[];
  query: URLSearchParams;
  body: Buffer;
}

/** What an operation answers with: a JSON body (already encoded). */
export type RouteAnswer = Buffer | string;

export interface Route {
  /** The path, labels as `{name}`; a greedy last label as `{name+}`. */
  readonly path: RegExp;
  readonly methods: Readonly<Record<string, Operation>>;
}

interface Operation {
  /** The action and resource asked of the caller's policies. */
  authorize(r: RouteRequest, arnPrefix: string): { action: string; resource: string };
  run(r: RouteRequest, deps: IotDataDeps): Promise<RouteAnswer>;
}

const shadowName = (r: RouteRequest): string | undefined => r.query.get('name') ?? undefined;
const thingResource = (r: RouteRequest, arnPrefix: string): string => {
  const name = shadowName(r);
  return name === undefined || name === '' ? `${arnPrefix}thing/${r.labels[0]}` : `${arnPrefix}thing/${r.labels[0]}/${name}`;
};

/** A page size from the query: a whole number in [1, max]; AWS's validation error otherwise. */
function pageSize(query: URLSearchParams, member: string, max: number): number | undefined {
  const raw = query.get(member);
  if (raw === null) return undefined;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new IotDataError('InvalidRequestException', `1 validation error detected: Value '${raw}' at '${member}' failed to satisfy constraint: Member must have value between 1 and ${max}`);
  }
  return n;
}

const encodeToken = (topic: string): string => Buffer.from(JSON.stringify([topic]), 'utf8').toString('base64url');
function decodeToken(token: string): string {
  try {
    const key = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === 1 && typeof key[0] === 'string') return key[0];
  } catch {
    // falls through to the refusal
  }
  throw new IotDataError('InvalidRequestException', 'The pagination token is not valid.');
}

async function getRetained(r: RouteRequest, deps: IotDataDeps): Promise<RouteAnswer> {
  const topic = r.labels[0]!;
  const entry = deps.retained.get(topic);
  if (entry === undefined) throw new IotDataError('ResourceNotFoundException', `No retained message exists for topic: ${topic}`);
  const { message } = entry;
  const out: Record<string, unknown> = { topic, payload: message.payload.toString('base64'), qos: message.qos, lastModifiedTime: entry.at };
  const user = message.properties?.userProperties;
  if (user !== undefined) {
    // AWS: the user properties as the publish took them, base64 of a JSON array of one-pair objects.
    const pairs: Array<Record<string, string>> = [];
    for (const [name, value] of Object.entries(user)) for (const v of Array.isArray(value) ? value : [value]) pairs.push({ [name]: v });
    out.userProperties = Buffer.from(JSON.stringify(pairs)).toString('base64');
  }
  return JSON.stringify(out);
}

async function listRetained(r: RouteRequest, deps: IotDataDeps): Promise<RouteAnswer> {
  const limit = pageSize(r.query, 'maxResults', 200) ?? 200;
  const token = r.query.get('nextToken');
  const after = token === null || token === '' ? undefined : decodeToken(token);
  // One more than asked, to know whether another page follows.
  const entries = deps.retained.list(after, limit + 1);
  const page = entries.slice(0, limit);
  const out: Record<string, unknown> = {
    retainedTopics: page.map((e) => ({ topic: e.message.topic, payloadSize: e.message.payload.length, qos: e.message.qos, lastModifiedTime: e.at })),
  };
  if (entries.length > limit) out.nextToken = encodeToken(page[page.length - 1]!.message.topic);
  return JSON.stringify(out);
}

async function listNamedShadows(r: RouteRequest, deps: IotDataDeps): Promise<RouteAnswer> {
  const size = pageSize(r.query, 'pageSize', 100);
  const token = r.query.get('nextToken');
  const result = await deps.shadows.listNamedShadowsForThing(r.labels[0]!, {
    ...(token === null || token === '' ? {} : { nextToken: token }),
    ...(size === undefined ? {} : { pageSize: size }),
  });
  return JSON.stringify(result);
}

const action = (name: string, resource: (r: RouteRequest, arnPrefix: string) => string) =>
  (r: RouteRequest, arnPrefix: string): { action: string; resource: string } => ({ action: `iot:${name}`, resource: resource(r, arnPrefix) });

export const ROUTES: readonly Route[] = [
  {
    path: /^\/things\/([^/]+)\/shadow$/,
    methods: {
      GET: { authorize: action('GetThingShadow', thingResource), run: (r, d) => d.shadows.getThingShadow(r.labels[0]!, shadowName(r)) },
      POST: { authorize: action('UpdateThingShadow', thingResource), run: (r, d) => d.shadows.updateThingShadow(r.labels[0]!, shadowName(r), r.body) },
      DELETE: { authorize: action('DeleteThingShadow', thingResource), run: (r, d) => d.shadows.deleteThingShadow(r.labels[0]!, shadowName(r)) },
    },
  },
  {
    path: /^\/api\/things\/shadow\/ListNamedShadowsForThing\/([^/]+)$/,
    methods: { GET: { authorize: action('ListNamedShadowsForThing', (r, p) => `${p}thing/${r.labels[0]}`), run: listNamedShadows } },
  },
  {
    path: /^\/retainedMessage\/(.+)$/,
    methods: { GET: { authorize: action('GetRetainedMessage', (r, p) => `${p}topic/${r.labels[0]}`), run: getRetained } },
  },
  {
    path: /^\/retainedMessage$/,
    methods: { GET: { authorize: action('ListRetainedMessages', () => '*'), run: listRetained } },
  },
];

/** The route and operation of a path and method; 404 or 405 as AWS answers them. */
export function findOperation(method: string, path: string): { operation: Operation; labels: string[] } {
  for (const route of ROUTES) {
    const match = route.path.exec(path);
    if (match === null) continue;
    const operation = route.methods[method];
    if (operation === undefined) throw new IotDataError('MethodNotAllowedException', `Method ${method} is not allowed on ${path}`);
    let labels: string[];
    try {
      labels = match.slice(1).map((l) => decodeURIComponent(l));
    } catch {
      throw new IotDataError('InvalidRequestException', 'The path is not validly percent-encoded');
    }
    return { operation, labels };
  }
  throw new IotDataError('ResourceNotFoundException', `No route for ${path}`);
}

/** Authorizes and runs one operation for its caller. */
export async function runOperation(operation: Operation, r: RouteRequest, caller: Caller, deps: IotDataDeps): Promise<RouteAnswer> {
  const { action: name, resource } = operation.authorize(r, deps.arnPrefix);
  if (!deps.authorizer.allows(caller.principal, name, resource)) throw new IotDataError('ForbiddenException', 'Forbidden');
  try {
    return await operation.run(r, deps);
  } catch (err) {
    // The shadow service's refusals carry the model's type and AWS's status (409, 413, 415, 429, ...).
    if (isTopicdError(err) && err.status < 500) throw new IotDataError(err.code as IotDataErrorType, err.message, err.status);
    throw err;
  }
}
