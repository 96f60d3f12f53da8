/**
 * @module auth/policy-authorizer
 * AWS IoT's authorization on the data plane: every Connect, Publish, RetainPublish, Subscribe and
 * Receive is decided by the policies attached to the principal (reference §6), default deny, an
 * explicit Deny winning.
 *
 * Design note (hot path): the registry keeps compiled policies and the thing data policies read in
 * memory (AuthorizationSource) and bumps one generation number on every change that can alter a
 * decision. Each connection's grants cache decisions per topic or filter and remember the generation
 * they were made at; one integer comparison per question tells them to start again. So a change
 * applies to live connections at their next message, and the sweep the transports run on `onChange`
 * closes connections whose Connect no longer holds (reference: within a second, not AWS's minutes).
 */
import type { CompiledPolicy, Decision, DecidingStatement, PolicyContext, ThingContext } from './policy/index.js';
import { IMPLICIT_DENY, certificateNameFields, evaluate, iotArnPrefix } from './policy/index.js';
import type { Authorizer, ConnectAttribute, Grants, Principal } from './authorizer.js';
import { DENY_ALL } from './authorizer.js';

/** What the registry tells the authorizer, synchronously, from memory (registry/authorization-view). */
export interface AuthorizationSource {
  /** Increments on every change that can alter a decision. */
  readonly generation: number;
  /** Compiled default versions of the policies attached to `target` (a certificate or access-key ARN). */
  policiesOf(target: string): readonly CompiledPolicy[];
  /** The thing named `thingName`, with isAttached for `principalArn`; undefined when there is none. */
  thing(thingName: string, principalArn: string): ThingContext | undefined;
}

export interface PolicyAuthorizerOptions {
  source: AuthorizationSource;
  region: string;
  accountId: string;
  /** Whether the certificate is registered and ACTIVE (the registry's in-memory status map). */
  certificateActive(certificateId: string): boolean;
  /** Whether the access key exists. */
  accessKeyExists(accessKeyId: string): boolean;
  /** Admin keys (the one topicd makes in the data dir) are not subject to policies. */
  accessKeyIsAdmin(accessKeyId: string): boolean;
  /**
   * Told of every request refused, cached decisions included, so a 403 or a refused PUBACK can be
   * explained (observe/denial-log logs them, at most once a minute per principal, action and resource).
   * Called on the refusing request's path: it must be cheap and must not throw.
   */
  onDenied?: (denial: Denial) => void;
}

/**
 * Why a request was refused: `explicit-deny` and `implicit-deny` are the policies' answer (IAM's
 * names), `principal-inactive` a
 * certificate no longer ACTIVE (or an access key deleted), for which no policy is read.
 */
export type DenialReason = 'explicit-deny' | 'implicit-deny' | 'principal-inactive';

/** One refused request, as PolicyAuthorizerOptions.onDenied receives it. */
export interface Denial {
  readonly principalKind: 'certificate' | 'access-key';
  /** The certificate id (what `topicd policy test --cert` takes) or the access key id. */
  readonly principal: string;
  /** The MQTT client id; absent over HTTPS and on the control plane. */
  readonly clientId?: string;
  readonly sourceIp: string;
  /** `iot:Publish`, `iot:Connect`, ..., or a control-plane `iot:<Operation>`. */
  readonly action: string;
  /** The ARN asked about. */
  readonly resource: string;
  readonly reason: DenialReason;
  /** The Deny statement that decided, for an explicit deny. */
  readonly decidedBy?: DecidingStatement;
  /** The names of the policies that were evaluated (attached to the principal). */
  readonly policies: readonly string[];
}

/**
 * Decisions cached per topic are bounded, so a client publishing to ever new topics cannot grow a
 * connection's memory without end; past the bound the cache starts over (a miss costs one evaluation).
 */
const CACHE_LIMIT = 256;

export class PolicyAuthorizer implements Authorizer {
  /** `arn:aws:iot:<region>:<account>:`, built once: every resource and target ARN starts with it. */
  readonly arnPrefix: string;

  constructor(private readonly options: PolicyAuthorizerOptions) {
    this.arnPrefix = iotArnPrefix(options.region, options.accountId);
  }

  authenticate(principal: Principal): boolean {
    switch (principal.kind) {
      case 'certificate': return this.options.certificateActive(principal.certificateId);
      case 'access-key': return this.options.accessKeyExists(principal.accessKeyId);
      case 'anonymous': return false;
    }
  }

  grants(principal: Principal, clientId: string | undefined, connectAttributes: readonly ConnectAttribute[] = []): Grants {
    if (principal.kind === 'anonymous') return DENY_ALL;
    if (principal.kind === 'access-key' && this.options.accessKeyIsAdmin(principal.accessKeyId)) {
      return new AdminGrants(() => this.authenticate(principal));
    }
    return new PolicyGrants(this, principal, clientId, connectAttributes);
  }

  /**
   * A control-plane call by a SigV4 caller (`iot:<OperationName>` on the resource it acts on): the
   * admin key may do everything, other keys what the policies attached to them allow.
   */
  allowsControl(accessKeyId: string, action: string, resource: string, sourceIp: string): boolean {
    if (this.options.accessKeyIsAdmin(accessKeyId)) return true;
    const policies = this.options.source.policiesOf(`${this.arnPrefix}accesskey/${accessKeyId}`);
    const decision = evaluate(policies, { action, resource }, { sourceIp });
    if (!decision.allowed) {
      this.denied({ principalKind: 'access-key', principal: accessKeyId, sourceIp, action, resource, ...reasonOf(decision), policies: policies.map((p) => p.name) });
    }
    return decision.allowed;
  }

  allows(principal: Principal, action: string, resource: string): boolean {
    if (principal.kind === 'anonymous' || !this.authenticate(principal)) return false;
    if (principal.kind === 'access-key' && this.options.accessKeyIsAdmin(principal.accessKeyId)) return true;
    const policies = this.options.source.policiesOf(this.targetOf(principal));
    const decision = evaluate(policies, { action, resource }, { sourceIp: principal.sourceIp });
    if (decision.allowed) return true;
    return this.denied({
      principalKind: principal.kind,
      principal: principal.kind === 'certificate' ? principal.certificateId : principal.accessKeyId,
      sourceIp: principal.sourceIp, action, resource, ...reasonOf(decision), policies: policies.map((p) => p.name),
    });
  }

  /** Reports a denial to onDenied, if any; returns false, the answer the caller gives. */
  denied(denial: Denial): false {
    this.options.onDenied?.(denial);
    return false;
  }

  /** Whether anyone listens for denials (so a grants object builds none for nobody). */
  get reportsDenials(): boolean {
    return this.options.onDenied !== undefined;
  }

  /** The ARN policies are attached to for this principal. */
  targetOf(principal: Principal): string {
    switch (principal.kind) {
      case 'certificate': return `${this.arnPrefix}cert/${principal.certificateId}`;
      case 'access-key': return `${this.arnPrefix}accesskey/${principal.accessKeyId}`;
      case 'anonymous': return '';
    }
  }

  get source(): AuthorizationSource {
    return this.options.source;
  }
}

/** An admin access key: everything (which `$` topics anyone may use is the publish gate's rule). */
class AdminGrants implements Grants {
  constructor(private readonly good: () => boolean) {}
  connect(): boolean { return this.good(); }
  publish(): boolean { return this.good(); }
  subscribe(): boolean { return this.good(); }
  receive(): boolean { return this.good(); }
}

/** The Denial fields a policy Decision gives. */
function reasonOf(decision: Decision): Pick<Denial, 'reason' | 'decidedBy'> {
  return decision.reason === 'explicit-deny' && decision.decidedBy !== undefined
    ? { reason: 'explicit-deny', decidedBy: decision.decidedBy }
    : { reason: 'implicit-deny' };
}

/** An HTTPS connection asks no iot:Connect (AWS: HTTPS has no client id): its identity is all. */
const ALLOWED: Decision = Object.freeze({ allowed: true, reason: 'allow' });

class PolicyGrants implements Grants {
  private generation = -1;
  private policies: readonly CompiledPolicy[] = [];
  private context: PolicyContext = {};
  private readonly target: string;
  private readonly arnPrefix: string;
  /** The principal failed authenticate() at the last refresh: every answer is no, without policies. */
  private inactive = false;
  // Created on first use: most connections only ever publish or only ever receive. Decisions (shared,
  // frozen objects) rather than booleans, so a cached refusal can still name the statement that decided.
  private published?: Map<string, Decision>;
  private retained?: Map<string, Decision>;
  private received?: Map<string, Decision>;
  private subscribed?: Map<string, Decision>;
  private connectDecision: Decision = IMPLICIT_DENY;
  private lastReceived: string | undefined;
  private lastReceivedDecision: Decision = IMPLICIT_DENY;

  constructor(
    private readonly authorizer: PolicyAuthorizer,
    private readonly principal: Principal,
    private readonly clientId: string | undefined,
    private readonly connectAttributes: readonly ConnectAttribute[],
  ) {
    this.target = authorizer.targetOf(principal);
    this.arnPrefix = authorizer.arnPrefix;
  }

  connect(): boolean {
    this.refresh();
    if (this.connectDecision.allowed) return true;
    return this.clientId === undefined ? false : this.denied('iot:Connect', `${this.arnPrefix}client/${this.clientId}`, this.connectDecision);
  }

  publish(topic: string, retain: boolean): boolean {
    this.refresh();
    const published = (this.published ??= new Map());
    let decision = published.get(topic);
    if (decision === undefined) decision = remember(published, topic, this.decide('iot:Publish', `${this.arnPrefix}topic/${topic}`));
    if (!decision.allowed) return this.denied('iot:Publish', `${this.arnPrefix}topic/${topic}`, decision);
    if (!retain) return true;
    // AWS: a retained publish needs iot:RetainPublish as well as iot:Publish.
    const retainedCache = (this.retained ??= new Map());
    let retainDecision = retainedCache.get(topic);
    if (retainDecision === undefined) retainDecision = remember(retainedCache, topic, this.decide('iot:RetainPublish', `${this.arnPrefix}topic/${topic}`));
    return retainDecision.allowed || this.denied('iot:RetainPublish', `${this.arnPrefix}topic/${topic}`, retainDecision);
  }

  subscribe(filter: string): boolean {
    this.refresh();
    const subscribed = (this.subscribed ??= new Map());
    let decision = subscribed.get(filter);
    if (decision === undefined) decision = remember(subscribed, filter, this.decide('iot:Subscribe', `${this.arnPrefix}topicfilter/${filter}`));
    return decision.allowed || this.denied('iot:Subscribe', `${this.arnPrefix}topicfilter/${filter}`, decision);
  }

  receive(topic: string): boolean {
    // A fan-out asks every subscriber about the same topic string, often many times in a row: the
    // last answer is one comparison away (the string is the message's own, so usually the same object).
    let decision: Decision | undefined;
    if (topic === this.lastReceived && this.generation === this.authorizer.source.generation) {
      decision = this.lastReceivedDecision;
    } else {
      this.refresh();
      const received = (this.received ??= new Map());
      decision = received.get(topic);
      if (decision === undefined) decision = remember(received, topic, this.decide('iot:Receive', `${this.arnPrefix}topic/${topic}`));
      this.lastReceived = topic;
      this.lastReceivedDecision = decision;
    }
    return decision.allowed || this.denied('iot:Receive', `${this.arnPrefix}topic/${topic}`, decision);
  }

  private decide(action: string, resource: string): Decision {
    return evaluate(this.policies, { action, resource }, this.context);
  }

  /** Reports a refusal (when anyone listens) and returns false. */
  private denied(action: string, resource: string, decision: Decision): false {
    if (!this.authorizer.reportsDenials) return false;
    const principal = this.principal;
    if (principal.kind === 'anonymous') return false;
    return this.authorizer.denied({
      principalKind: principal.kind,
      principal: principal.kind === 'certificate' ? principal.certificateId : principal.accessKeyId,
      ...(this.clientId === undefined ? {} : { clientId: this.clientId }),
      sourceIp: principal.sourceIp,
      action,
      resource,
      ...(this.inactive ? { reason: 'principal-inactive' as const } : reasonOf(decision)),
      policies: this.policies.map((p) => p.name),
    });
  }

  /** Starts over when the registry changed since the last decision: policies, thing, status. */
  private refresh(): void {
    const source = this.authorizer.source;
    if (source.generation === this.generation) return;
    this.generation = source.generation;
    this.published?.clear();
    this.retained?.clear();
    this.received?.clear();
    this.subscribed?.clear();
    this.lastReceived = undefined;
    this.inactive = !this.authorizer.authenticate(this.principal);
    if (this.inactive) {
      this.policies = [];
      this.connectDecision = IMPLICIT_DENY;
      return;
    }
    this.policies = source.policiesOf(this.target);
    this.context = this.contextNow(source);
    this.connectDecision = this.clientId === undefined
      ? ALLOWED
      : this.decide('iot:Connect', `${this.arnPrefix}client/${this.clientId}`);
  }

  private contextNow(source: AuthorizationSource): PolicyContext {
    const principal = this.principal;
    // Parse the certificate's names and look the thing up only when a policy reads them.
    const needsCertificate = this.policies.some((p) => p.needs.certificate);
    const needsThing = this.policies.some((p) => p.needs.thing);
    const certificate = principal.kind === 'certificate' && needsCertificate
      ? {
          id: principal.certificateId,
          ...certificateNameFields({ subject: principal.subject ?? '', issuer: principal.issuer ?? '' }),
        }
      : undefined;
    // AWS: Thing variables resolve only over MQTT (a client id), for the thing named by it.
    const thing = this.clientId === undefined || !needsThing ? undefined : source.thing(this.clientId, this.target);
    return {
      sourceIp: principal.sourceIp,
      ...(this.clientId === undefined ? {} : { clientId: this.clientId }),
      ...(thing ? { thing } : {}),
      ...(certificate ? { certificate } : {}),
      // AWS: iot:ConnectAttributes is a key of MQTT connections only.
      ...(this.clientId === undefined ? {} : { extra: { 'iot:ConnectAttributes': this.connectAttributes } }),
    };
  }
}

function remember(cache: Map<string, Decision>, key: string, decision: Decision): Decision {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, decision);
  return decision;
}
