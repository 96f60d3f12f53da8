/**
 * @module transports/iot-data/caller
 * Who calls the iot-data API, and what the API needs to serve them. AWS lets two kinds of caller in
 * (reference §2, §3): a device with its client certificate (8443, or 443 with ALPN `x-amzn-http-ca`),
 * judged by the certificate's IoT policies; and, on 443 without a certificate, a request signed with
 * SigV4 (signing name `iotdata`, or `iotdevicegateway` as the developer guide names it), judged by the
 * policies of its access key exactly as control-plane calls are. Every signed request is verified on
 * its own bytes; the grants of one access key are kept for the connection's keep-alive life.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { DENY_ALL, principalKey, type Authorizer, type Principal } from '../../auth/authorizer.js';
import { precheckSigV4, SigV4Error, verifySigV4, type SigV4Options } from '../../auth/sigv4.js';
import type { PublishGate, Publisher } from '../../broker/ingress.js';
import type { RetainedEntry } from '../../broker/retained.js';
import type { ShadowService } from '../../services/shadow/index.js';
import type { Durability } from '../../store/store.js';
import { peerAddress } from '../address.js';
import type { ConnectionIndex } from '../connection-index.js';
import { principalOf } from '../principal.js';
import { IotDataError } from './answer.js';

/** The retained messages as the broker keeps them (broker/retained.ts). */
export interface RetainedView {
  get(topic: string): RetainedEntry | undefined;
  list(after: string | undefined, limit: number): RetainedEntry[];
}

export interface IotDataDeps {
  gate: PublishGate;
  authorizer: Authorizer;
  connections: ConnectionIndex;
  /** The 200 of a publish waits for the writes it acknowledges. */
  durability: Durability;
  onError?: ((err: unknown, context: string) => void) | undefined;
  shadows: ShadowService;
  retained: RetainedView;
  /** The secret of one of topicd's access keys (SigV4 callers). */
  lookupSecret(accessKeyId: string): Promise<string | undefined>;
  region: string;
  /** `arn:aws:iot:<region>:<account>:`, the start of every resource a REST call is authorized on. */
  arnPrefix: string;
  /** Clock for the SigV4 date check (tests); epoch milliseconds. */
  now?: () => number;
}

/** AWS: the iot-data model's signing name, and the developer guide's (reference §9). */
export const IOT_DATA_SIGNING_NAMES = ['iotdata', 'iotdevicegateway'] as const;

export interface Caller {
  readonly principal: Principal;
  /** Its publisher at the gate (no client id, no session: AWS resolves no client variables over HTTPS). */
  readonly publisher: Publisher;
}

/**
 * An HTTPS caller's publisher at the gate: its principal's grants (AWS: HTTPS has no client id, so
 * neither client nor thing policy variables resolve), no session, no quota window.
 */
export function httpsPublisher(authorizer: Authorizer, principal: Principal | null): Publisher {
  return { grants: principal ? authorizer.grants(principal, undefined) : DENY_ALL, session: undefined, rate: undefined, clientId: undefined };
}

const callers = new WeakMap<TLSSocket, Caller>();

function callerFor(socket: TLSSocket, principal: Principal, authorizer: Authorizer): Caller {
  const kept = callers.get(socket);
  if (kept !== undefined && samePrincipal(kept.principal, principal)) return kept;
  const caller: Caller = { principal, publisher: httpsPublisher(authorizer, principal) };
  callers.set(socket, caller);
  return caller;
}

const samePrincipal = (a: Principal, b: Principal): boolean =>
  a.kind === b.kind && (a.kind !== 'access-key' || b.kind !== 'access-key' || a.accessKeyId === b.accessKeyId);

/**
 * Registers a device's HTTPS connection, so that a certificate that stops being ACTIVE loses it at once
 * (at shutdown the request in flight finishes and idle connections are closed by the caller instead).
 * Returns the function that unregisters it.
 */
export function trackDevice(deps: IotDataDeps, socket: TLSSocket, principal: Principal): () => void {
  return deps.connections.add(principalKey(principal), (reason) => {
    if (reason === 'certificate-inactive') socket.destroy();
  });
}

const sigV4Options = (deps: IotDataDeps): SigV4Options => ({
  lookupSecret: (id) => deps.lookupSecret(id), region: deps.region, services: IOT_DATA_SIGNING_NAMES, ...(deps.now ? { now: deps.now } : {}),
});

/** A signature check's refusal as the iot-data API answers it (403 with SigV4's own error type). */
function asIotDataError(err: unknown): unknown {
  return err instanceof SigV4Error ? new IotDataError(err.awsType, err.message) : err;
}

/** The SigV4 caller of a request on a socket without a certificate; throws IotDataError (403) when the signature does not hold. */
export async function signedCaller(req: IncomingMessage, body: Buffer, deps: IotDataDeps): Promise<Caller> {
  let accessKeyId: string;
  try {
    accessKeyId = (await verifySigV4({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body }, sigV4Options(deps))).accessKeyId;
  } catch (err) {
    throw asIotDataError(err);
  }
  const socket = req.socket as TLSSocket;
  const principal: Principal = { kind: 'access-key', accessKeyId, sourceIp: peerAddress(socket) };
  if (!deps.authorizer.authenticate(principal)) throw new IotDataError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  return callerFor(socket, principal, deps.authorizer);
}

/** The caller of a request whose body has been read: its certificate's, or its signature's. */
export function callerOf(req: IncomingMessage, body: Buffer, deps: IotDataDeps): Promise<Caller> {
  const socket = req.socket as TLSSocket;
  const principal = principalOf(socket);
  if (principal === null) return signedCaller(req, body, deps);
  return Promise.resolve(callerFor(socket, principal, deps.authorizer));
}

/** A failure's answer: ours as they are, anything else logged and answered 500. */
export type Fail = (res: ServerResponse, err: unknown, traceId: string) => void;

/**
 * `Expect: 100-continue`: `100 Continue`, then `read`, once what can be judged without the body holds:
 * a device's certificate was judged at its handshake; a signed caller's claim (scope, date, signed
 * headers, a known access key) is checked here (auth/sigv4.ts precheckSigV4), so a request signed
 * with a wrong key is refused before its body is sent. The signature, which covers the body, is
 * checked once the body is in. A refusal here closes the connection after the answer: the body was
 * never read.
 */
export function continueWhenChecked(req: IncomingMessage, res: ServerResponse, deps: IotDataDeps, traceId: string, fail: Fail, read: () => void): void {
  const go = (): void => {
    res.writeContinue();
    read();
  };
  if (principalOf(req.socket as TLSSocket) !== null) return go();
  precheckSigV4({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers }, sigV4Options(deps)).then(go, (err: unknown) => {
    res.shouldKeepAlive = false;
    fail(res, asIotDataError(err), traceId);
  });
}
