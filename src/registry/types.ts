/**
 * @module registry/types
 * The registry's contract: the AWS IoT rules over things, certificates and attachments (names,
 * idempotency, conflicts, status transitions), in AWS's own field names. The control plane calls it;
 * the transports ask it, on the hot path, whether a certificate may act. It knows nothing of HTTP or
 * MQTT. Errors are TopicdError with AWS error types (src/errors.ts).
 */
import type { CertificateStatus } from '../store/store.js';
import type { ThingTypeRegistryApi } from './thing-type-registry.js';
import type { AuthorizationView } from './authorization-view.js';
import type { PolicyRegistryApi } from './policy-types.js';

export interface ThingDescription {
  thingName: string;
  thingId: string;
  thingArn: string;
  thingTypeName?: string;
  attributes: Record<string, string>;
  version: number;
  defaultClientId: string;
}

export interface CertificateDescription {
  certificateArn: string;
  certificateId: string;
  caCertificateId?: string;
  status: CertificateStatus;
  certificatePem: string;
  ownedBy: string;
  /** Epoch seconds, as restJson sends timestamps. */
  creationDate: number;
  lastModifiedDate: number;
  customerVersion: number;
  generationId: string;
  validity: { notBefore: number; notAfter: number };
  certificateMode: 'DEFAULT' | 'SNI_ONLY';
}

export interface CertificateSummary {
  certificateArn: string;
  certificateId: string;
  status: CertificateStatus;
  certificateMode: 'DEFAULT' | 'SNI_ONLY';
  creationDate: number;
}

export interface CreatedCertificate {
  certificateArn: string;
  certificateId: string;
  certificatePem: string;
}

export interface CreatedKeysAndCertificate extends CreatedCertificate {
  keyPair: { PublicKey: string; PrivateKey: string };
}

export interface CreateThingInput {
  thingName: string;
  thingTypeName?: string | undefined;
  attributes?: Record<string, string> | undefined;
}

export interface UpdateThingInput {
  thingName: string;
  thingTypeName?: string | undefined;
  removeThingType?: boolean | undefined;
  attributes?: Record<string, string> | undefined;
  /** Merge the attributes into the existing ones (an empty value removes one); replace them all when false. */
  merge?: boolean | undefined;
  expectedVersion?: number | undefined;
}

export interface ListThingsInput {
  nextToken?: string | undefined;
  maxResults?: number | undefined;
  attributeName?: string | undefined;
  attributeValue?: string | undefined;
  thingTypeName?: string | undefined;
  usePrefixAttributeValue?: boolean | undefined;
}

export interface ListCertificatesInput {
  marker?: string | undefined;
  pageSize?: number | undefined;
  isAscendingOrder?: boolean | undefined;
}

export interface PagingInput {
  nextToken?: string | undefined;
  maxResults?: number | undefined;
}

/** Emitted when a certificate's status changes or it is deleted, so transports can drop its live connections. */
export interface CertificateChange {
  certificateId: string;
  /** The new status; undefined when the certificate was deleted. */
  status: CertificateStatus | undefined;
}

export interface RegistryApi {
  readonly accountId: string;
  readonly region: string;
  /** Thing types (registry/thing-type-registry.ts). */
  readonly thingTypes: ThingTypeRegistryApi;

  createThing(input: CreateThingInput): Promise<{ thingName: string; thingArn: string; thingId: string }>;
  describeThing(thingName: string): Promise<ThingDescription>;
  listThings(input: ListThingsInput): Promise<{ things: Array<Omit<ThingDescription, 'thingId' | 'defaultClientId'>>; nextToken?: string }>;
  updateThing(input: UpdateThingInput): Promise<void>;
  deleteThing(thingName: string, expectedVersion?: number): Promise<void>;

  createKeysAndCertificate(setAsActive: boolean): Promise<CreatedKeysAndCertificate>;
  createCertificateFromCsr(csrPem: string, setAsActive: boolean): Promise<CreatedCertificate>;
  describeCertificate(certificateId: string): Promise<CertificateDescription>;
  listCertificates(input: ListCertificatesInput): Promise<{ certificates: CertificateSummary[]; nextMarker?: string }>;
  updateCertificate(certificateId: string, newStatus: string): Promise<void>;
  deleteCertificate(certificateId: string, forceDelete: boolean): Promise<void>;

  attachThingPrincipal(thingName: string, principal: string): Promise<void>;
  detachThingPrincipal(thingName: string, principal: string): Promise<void>;
  listThingPrincipals(thingName: string, input: PagingInput): Promise<{ principals: string[]; nextToken?: string }>;
  listPrincipalThings(principal: string, input: PagingInput): Promise<{ things: string[]; nextToken?: string }>;

  /**
   * Hot path: the status of a certificate by id, from memory (undefined when unknown to the registry).
   * Kept in step with every write the registry makes.
   */
  certificateStatus(certificateId: string): CertificateStatus | undefined;
  /** Subscribe to certificate status changes; returns the unsubscribe function. */
  onCertificateChange(listener: (change: CertificateChange) => void): () => void;

  thingArn(thingName: string): string;
  certificateArn(certificateId: string): string;
  /** `arn:aws:iot:<region>:<account>:accesskey/<id>`: the target policies for an access key will attach to. */
  accessKeyArn(accessKeyId: string): string;

  /** Policies, versions, attachments, GetEffectivePolicies and TestAuthorization. */
  readonly policies: PolicyRegistryApi;
  /** Hot path: what enforcement reads, synchronously and in memory (registry/authorization-view.ts). */
  readonly authorization: AuthorizationView;
}
