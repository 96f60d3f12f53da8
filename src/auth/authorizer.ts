/**
 * @module auth/authorizer
 * Who may do what. A Principal is the identity a transport authenticated (a client certificate, by
 * id; an access key, for SigV4-signed WebSocket clients; nobody, on the plain development listener);
 * an Authorizer answers for it. Transports and channels ask; they never decide.
 *
 * Questions are asked through Grants, one per connection: an MQTT connection's grants know its client
 * id (policy variables read it), an HTTPS connection's know none (AWS resolves no client or thing
 * variables over HTTPS). Grants are where decisions are cached, so the hot path asks an object it
 * already holds instead of looking the principal up on every message.
 */

export interface CertificatePrincipal {
  readonly kind: 'certificate';
  /** Lowercase hex SHA-256 of the certificate DER. */
  readonly certificateId: string;
  readonly sourceIp: string;
  /** The certificate's subject and issuer as node prints them (`CN=x\nO=y`), for certificate policy variables. */
  readonly subject?: string;
  readonly issuer?: string;
}

/** A client of the plain-TCP development listener: no identity, only an address. */
export interface AnonymousPrincipal {
  readonly kind: 'anonymous';
  readonly sourceIp: string;
}

/** A client that signed its request (a presigned WebSocket URL) with one of topicd's access keys. */
export interface AccessKeyPrincipal {
  readonly kind: 'access-key';
  readonly accessKeyId: string;
  readonly sourceIp: string;
}

export type Principal = CertificatePrincipal | AccessKeyPrincipal | AnonymousPrincipal;

/**
 * The key live connections are indexed by (see transports/connection-index). A certificate keeps its
 * bare id, which is what certificate status changes close connections by; an access key is prefixed so
 * the two id spaces can never meet.
 */
export const principalKey = (principal: Principal): string => {
  switch (principal.kind) {
    case 'certificate': return principal.certificateId;
    case 'access-key': return `access-key:${principal.accessKeyId}`;
    case 'anonymous': return 'anonymous';
  }
};

/** AWS IoT's names for what an MQTT CONNECT asks for, as the `iot:ConnectAttributes` condition key reads them. */
export type ConnectAttribute = 'PersistentConnect' | 'LastWill';

/** What one connection may do. Each answer reflects the registry as it is now (caches are invalidated). */
export interface Grants {
  /** iot:Connect on `client/<clientId>` (MQTT only), and the identity still good. */
  connect(): boolean;
  /** iot:Publish on `topic/<topic>`, and iot:RetainPublish as well when retained. */
  publish(topic: string, retain: boolean): boolean;
  /** iot:Subscribe on `topicfilter/<filter>` (a shared subscription is judged by the whole filter, as AWS does). */
  subscribe(filter: string): boolean;
  /** iot:Receive on `topic/<topic>`, asked on every delivery so a Deny cuts live subscriptions. */
  receive(topic: string): boolean;
}

export interface Authorizer {
  /** Whether the identity itself is (still) good: a certificate must be registered and ACTIVE, an access key exist. */
  authenticate(principal: Principal): boolean;
  /**
   * The grants of one connection; `clientId` is the MQTT client id, undefined over HTTPS.
   * `connectAttributes` are AWS's `iot:ConnectAttributes` of an MQTT CONNECT (`PersistentConnect`,
   * `LastWill`), which Connect policies may read.
   */
  grants(principal: Principal, clientId: string | undefined, connectAttributes?: readonly ConnectAttribute[]): Grants;
  /**
   * One data-plane action that is not a publish (AWS: iot:GetThingShadow on `thing/<t>`,
   * iot:GetRetainedMessage on `topic/<t>`, ...), asked per REST call; `resource` is the full ARN.
   */
  allows(principal: Principal, action: string, resource: string): boolean;
}

/**
 * The plain-TCP development listener's rule: its clients are anonymous, and what they may do is the
 * mqtt-plain-allow setting, whatever the topic (which `$` topics anyone may use is the publish
 * gate's rule). No policies apply.
 */
export class PlainListenerAuthorizer implements Authorizer {
  private readonly shared: Grants;

  constructor(allow: { publish: boolean; subscribe: boolean }) {
    this.shared = {
      connect: () => true,
      publish: () => allow.publish,
      subscribe: () => allow.subscribe,
      receive: () => true,
    };
  }

  authenticate(principal: Principal): boolean {
    return principal.kind === 'anonymous';
  }

  grants(principal: Principal, _clientId: string | undefined): Grants {
    return principal.kind === 'anonymous' ? this.shared : DENY_ALL;
  }

  /** The plain listener serves MQTT only. */
  allows(): boolean {
    return false;
  }
}

/** The grants of an identity that is not good at all. */
export const DENY_ALL: Grants = Object.freeze({
  connect: () => false,
  publish: () => false,
  subscribe: () => false,
  receive: () => false,
});
