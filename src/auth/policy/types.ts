/**
 * @module auth/policy/types
 * The shapes the policy engine takes and gives: a validated policy document (AWS's own JSON shape,
 * normalized so that every list is an array), the request context that policy variables and condition
 * keys read, and the decision with the statement that made it. No logic here.
 */

/** The policy language versions IAM defines; policy variables exist only in 2012-10-17. */
export type PolicyVersion = '2012-10-17' | '2008-10-17';
export type Effect = 'Allow' | 'Deny';

/**
 * One statement, normalized: each of Action, NotAction, Resource and NotResource is an array when
 * present (exactly one of each pair is), and condition values are strings (JSON `true` becomes
 * `"true"`, `5` becomes `"5"`). `JSON.stringify` of a document gives a valid policy again.
 */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: Effect;
  readonly Action?: readonly string[];
  readonly NotAction?: readonly string[];
  readonly Resource?: readonly string[];
  readonly NotResource?: readonly string[];
  /** operator (`StringEquals`, `ForAllValues:StringLike`...) -> condition key -> values */
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version: PolicyVersion;
  readonly Id?: string;
  readonly Statement: readonly PolicyStatement[];
}

/** What an action is asked on: `iot:Publish` on `arn:aws:iot:<region>:<account>:topic/<topic>`. */
export interface PolicyRequest {
  readonly action: string;
  readonly resource: string;
}

/**
 * The registry thing whose name is the connection's client id. Thing policy variables and keys
 * resolve only when it is attached to the principal and the client id equals its name (see
 * context-keys), so a transport may pass whatever thing the client id names.
 */
export interface ThingContext {
  readonly name: string;
  readonly typeName?: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** The thing is attached to the certificate (AttachThingPrincipal). */
  readonly isAttached: boolean;
}

/** Distinguished-name attributes by AWS name (`CommonName`, `Organization`...), values in certificate order. */
export type CertificateNameFields = Readonly<Record<string, readonly string[]>>;

export interface CertificateContext {
  /** Certificate id (lowercase hex SHA-256 of the DER): `${iot:CertificateId}`. */
  readonly id?: string;
  readonly subject: CertificateNameFields;
  readonly issuer: CertificateNameFields;
}

/** A condition key's value as later code supplies it: one string or a set of them. */
export type ContextKeyValue = string | readonly string[];

/**
 * What is known about the caller when a request is evaluated. A field left out is a key that is not
 * present: an MQTT connection has `clientId`, an HTTPS publish has none, and so no Thing variables.
 */
export interface PolicyContext {
  readonly clientId?: string;
  readonly sourceIp?: string;
  readonly thing?: ThingContext;
  readonly certificate?: CertificateContext;
  /**
   * Any other condition key or variable, by its AWS name (`iot:ConnectAttributes`,
   * `iot:LastWillTopic`, `iot:DomainName`...). Names match case-insensitively, as IAM's do; a key the
   * engine resolves itself (above) is never read from here.
   */
  readonly extra?: Readonly<Record<string, ContextKeyValue>>;
}

export interface DecidingStatement {
  readonly policyName: string;
  /** Zero-based index of the statement in the policy's `Statement` list. */
  readonly statementIndex: number;
  readonly sid?: string;
  readonly effect: Effect;
}

export type DecisionReason = 'explicit-deny' | 'allow' | 'implicit-deny';

/** The answer, and for an allow or an explicit deny the statement that gave it. */
export interface Decision {
  readonly allowed: boolean;
  readonly reason: DecisionReason;
  readonly decidedBy?: DecidingStatement;
}

/**
 * Which parts of the context a compiled policy can read, so a transport may skip a registry lookup
 * (the thing, the certificate's names) that no attached policy needs.
 */
export interface PolicyNeeds {
  readonly thing: boolean;
  readonly certificate: boolean;
  readonly sourceIp: boolean;
  readonly clientId: boolean;
  /** Names of keys read from `PolicyContext.extra`, as the policy spells them. */
  readonly extra: readonly string[];
}
