/**
 * @module auth/authorizer
 * Who may do what. A Principal is the identity a transport authenticated (a client certificate, by
 * id; an access key, for SigV4-signed WebSocket clients); an Authorizer answers each action the data
 * plane takes for it. Transports and channels ask; they never decide. The policy engine (AWS IoT
 * policies) is a later Authorizer; until it lands, OpenAuthorizer lets an ACTIVE certificate or a
 * known access key do anything outside the reserved `$` topics (docs/security.md says so plainly).
 */
import type { CertificateStatus } from '../store/store.js';

export interface CertificatePrincipal {
  readonly kind: 'certificate';
  /** Lowercase hex SHA-256 of the certificate DER. */
  readonly certificateId: string;
  readonly sourceIp: string;
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

export interface Authorizer {
  /** Whether the identity itself is (still) good: a certificate must be registered and ACTIVE, an access key exist. */
  authenticate(principal: Principal): boolean;
  connect(principal: Principal, clientId: string): boolean;
  publish(principal: Principal, topic: string, retain: boolean): boolean;
  subscribe(principal: Principal, filter: string): boolean;
  receive(principal: Principal, topic: string): boolean;
}

/** Clients may watch AWS's lifecycle events; every other `$` topic is the service's. */
const isEvents = (filter: string): boolean => filter.startsWith('$aws/events/');

/** `$` topics are the service's; a shared subscription is judged by the filter it shares. */
const isReserved = (topicOrFilter: string): boolean => {
  if (topicOrFilter.startsWith('$share/')) {
    const slash = topicOrFilter.indexOf('/', 7);
    return slash !== -1 && topicOrFilter.charCodeAt(slash + 1) === 36;
  }
  return topicOrFilter.charCodeAt(0) === 36; /* $ */
};

/**
 * Seed rule: an ACTIVE registered certificate, or an access key topicd knows, may publish and subscribe
 * anywhere outside `$` topics.
 */
export class OpenAuthorizer implements Authorizer {
  constructor(
    private readonly statusOf: (certificateId: string) => CertificateStatus | undefined,
    /** Whether the access key exists; without it, no access-key principal is authenticated. */
    private readonly accessKeyExists: (accessKeyId: string) => boolean = () => false,
  ) {}

  authenticate(principal: Principal): boolean {
    switch (principal.kind) {
      case 'certificate': return this.statusOf(principal.certificateId) === 'ACTIVE';
      case 'access-key': return this.accessKeyExists(principal.accessKeyId);
      case 'anonymous': return false;
    }
  }

  connect(principal: Principal, _clientId: string): boolean {
    return this.authenticate(principal);
  }

  publish(principal: Principal, topic: string, _retain: boolean): boolean {
    return !isReserved(topic) && this.authenticate(principal);
  }

  subscribe(principal: Principal, filter: string): boolean {
    return (isEvents(filter) || !isReserved(filter)) && this.authenticate(principal);
  }

  receive(_principal: Principal, _topic: string): boolean {
    return true;
  }
}

/**
 * The plain-TCP development listener's rule: its clients are anonymous, and what they may do is the
 * mqtt-plain-allow setting, whatever the topic (`$` topics stay reserved).
 */
export class PlainListenerAuthorizer implements Authorizer {
  constructor(private readonly allow: { publish: boolean; subscribe: boolean }) {}

  authenticate(principal: Principal): boolean {
    return principal.kind === 'anonymous';
  }

  connect(principal: Principal, _clientId: string): boolean {
    return this.authenticate(principal);
  }

  publish(principal: Principal, topic: string, _retain: boolean): boolean {
    return this.allow.publish && !isReserved(topic) && this.authenticate(principal);
  }

  subscribe(principal: Principal, filter: string): boolean {
    return this.allow.subscribe && (isEvents(filter) || !isReserved(filter)) && this.authenticate(principal);
  }

  receive(_principal: Principal, _topic: string): boolean {
    return true;
  }
}
