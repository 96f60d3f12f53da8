/**
 * @module console/sessions
 * Console sign-in sessions: a random id in an HttpOnly, SameSite=Strict cookie, mapped here (in
 * memory, never in the cookie) to the access key that signed in, with an expiry. A session counts
 * only on a request that also carries the console header (a cross-site form or image cannot add a
 * header, and a cross-site script would need a CORS preflight topicd never answers) and, when the
 * browser names an Origin, only from this same host. Sessions end with the process, on sign-out, at
 * their expiry, and as soon as their access key is deleted.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { TopicdError } from '../errors.js';
import { CONSOLE_HEADER } from './api-types.js';

export const SESSION_COOKIE = 'topicd-console';
/** AWS console sessions last up to 12 hours; an idle one ends sooner. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
export const SESSION_IDLE_MS = 60 * 60 * 1000;
/** A bound on memory: past it the oldest sessions go first. */
const MAX_SESSIONS = 10_000;

interface Session {
  readonly accessKeyId: string;
  readonly expiresAt: number;
  lastSeen: number;
}

export interface ConsoleSessionsOptions {
  /** Whether the access key still exists (a deleted key's sessions end). */
  keyExists: (accessKeyId: string) => Promise<boolean>;
  ttlMs?: number;
  idleMs?: number;
  now?: () => number;
}

export class ConsoleSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly ttlMs: number;
  private readonly idleMs: number;
  private readonly now: () => number;

  constructor(private readonly options: ConsoleSessionsOptions) {
    this.ttlMs = options.ttlMs ?? SESSION_TTL_MS;
    this.idleMs = options.idleMs ?? SESSION_IDLE_MS;
    this.now = options.now ?? Date.now;
  }

  /** A new session for a key whose secret was just verified. */
  create(accessKeyId: string): { id: string; expiresAt: number } {
    this.sweep();
    // Map order is insertion order: the first entries are the oldest.
    while (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    const id = randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = now + this.ttlMs;
    this.sessions.set(id, { accessKeyId, expiresAt, lastSeen: now });
    return { id, expiresAt };
  }

  /** The signed-in session of a cookie header, or undefined (unknown, expired, idle, or its key deleted). */
  async resolve(cookieHeader: string | undefined): Promise<{ id: string; accessKeyId: string; expiresAt: number } | undefined> {
    const id = readCookie(cookieHeader, SESSION_COOKIE);
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const now = this.now();
    if (now >= session.expiresAt || now - session.lastSeen >= this.idleMs || !(await this.options.keyExists(session.accessKeyId))) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeen = now;
    return { id, accessKeyId: session.accessKeyId, expiresAt: session.expiresAt };
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) if (now >= s.expiresAt || now - s.lastSeen >= this.idleMs) this.sessions.delete(id);
  }
}

/** The Set-Cookie value for a new session (no Secure: the control plane is plain HTTP on loopback). */
export function sessionCookie(id: string, expiresAt: number, now = Date.now()): string {
  const maxAge = Math.max(0, Math.floor((expiresAt - now) / 1000));
  return `${SESSION_COOKIE}=${id}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict`;
}

export const CLEARED_COOKIE = `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict`;

/** One cookie's value from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Whether a browser request comes from this console's own pages: an Origin header, when present,
 * names this same host (a page elsewhere, even one whose name resolves here, is refused).
 */
export function sameOrigin(headers: IncomingHttpHeaders): boolean {
  const origin = headers.origin;
  if (origin === undefined) return true;
  const host = headers.host;
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
}

/** Whether the request asks to be judged as the console's (its header is present, whatever its value). */
export const isConsoleRequest = (headers: IncomingHttpHeaders): boolean => headers[CONSOLE_HEADER] !== undefined;

/**
 * The access key a console request acts as; throws AWS-shaped 401/403 otherwise. The header must be
 * exactly `1`, the origin this host's, and the cookie a live session.
 */
export async function consoleCaller(sessions: ConsoleSessions, headers: IncomingHttpHeaders): Promise<{ id: string; accessKeyId: string; expiresAt: number }> {
  if (headers[CONSOLE_HEADER] !== '1') throw new TopicdError('ForbiddenException', `The ${CONSOLE_HEADER} header must be 1.`);
  if (!sameOrigin(headers)) throw new TopicdError('ForbiddenException', 'The console accepts requests from its own pages only (Origin does not match Host).');
  const session = await sessions.resolve(headers.cookie);
  if (!session) throw new TopicdError('UnauthorizedException', 'Not signed in to the console, or the session has ended: sign in again.');
  return session;
}
