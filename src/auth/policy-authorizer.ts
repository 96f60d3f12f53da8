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
import type { CompiledPolicy, PolicyContext, ThingContext } from './policy/index.js';
import { certificateNameFields, evaluate, iotArnPrefix } from './policy/index.js';
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
    return evaluate(policies, { action, resource }, { sourceIp }).allowed;
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

class PolicyGrants implements Grants {
  private generation = -1;
  private policies: readonly CompiledPolicy[] = [];
  private context: PolicyContext = {};
  private readonly target: string;
  private readonly arnPrefix: string;
  // Created on first use: most connections only ever publish or only ever receive.
  private published?: Map<string, boolean>;
  private retained?: Map<string, boolean>;
  private received?: Map<string, boolean>;
  private subscribed?: Map<string, boolean>;
  private connectDecision = false;
  private lastReceived: string | undefined;
  private lastReceivedAllowed = false;

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
    return this.connectDecision;
  }

  publish(topic: string, retain: boolean): boolean {
    this.refresh();
    const published = (this.published ??= new Map());
    let allowed = published.get(topic);
    if (allowed === undefined) allowed = remember(published, topic, this.allows('iot:Publish', `${this.arnPrefix}topic/${topic}`));
    if (!allowed || !retain) return allowed;
    // AWS: a retained publish needs iot:RetainPublish as well as iot:Publish.
    const retainedCache = (this.retained ??= new Map());
    const retainAllowed = retainedCache.get(topic);
    return retainAllowed ?? remember(retainedCache, topic, this.allows('iot:RetainPublish', `${this.arnPrefix}topic/${topic}`));
  }

  subscribe(filter: string): boolean {
    this.refresh();
    const subscribed = (this.subscribed ??= new Map());
    const allowed = subscribed.get(filter);
    return allowed ?? remember(subscribed, filter, this.allows('iot:Subscribe', `${this.arnPrefix}topicfilter/${filter}`));
  }

  receive(topic: string): boolean {
    // A fan-out asks every subscriber about the same topic string, often many times in a row: the
    // last answer is one comparison away (the string is the message's own, so usually the same object).
    if (topic === this.lastReceived && this.generation === this.authorizer.source.generation) return this.lastReceivedAllowed;
    this.refresh();
    const received = (this.received ??= new Map());
    let allowed = received.get(topic);
    if (allowed === undefined) allowed = remember(received, topic, this.allows('iot:Receive', `${this.arnPrefix}topic/${topic}`));
    this.lastReceived = topic;
    this.lastReceivedAllowed = allowed;
    return allowed;
  }

  private allows(action: string, resource: string): boolean {
    return evaluate(this.policies, { action, resource }, this.context).allowed;
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
    if (!this.authorizer.authenticate(this.principal)) {
      this.policies = [];
      this.connectDecision = false;
      return;
    }
    this.policies = source.policiesOf(this.target);
    this.context = this.contextNow(source);
    this.connectDecision = this.clientId === undefined
      || this.allows('iot:Connect', `${this.arnPrefix}client/${this.clientId}`);
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

function remember(cache: Map<string, boolean>, key: string, allowed: boolean): boolean {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, allowed);
  return allowed;
}
