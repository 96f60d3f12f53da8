/**
 * @module registry/ca-types
 * The shapes of bring-your-own-CA (reference §7): the CA operations' inputs and answers as the AWS
 * model names them, the certificate-registered event, and what the TLS listeners ask of the CA registry.
 */
import type { AutoRegistrationStatus, CaCertificateStatus, CertificateStatus } from '../store/store.js';
import type { CertificateSummary, ListCertificatesInput } from './types.js';

/** AWS's RegistrationConfig: kept and described, not acted on (topicd has no provisioning templates). */
export interface RegistrationConfig {
  templateBody?: string;
  roleArn?: string;
  templateName?: string;
}

export interface CaCertificateDescription {
  certificateArn: string;
  certificateId: string;
  status: CaCertificateStatus;
  certificatePem: string;
  ownedBy: string;
  /** Epoch seconds. */
  creationDate: number;
  autoRegistrationStatus: AutoRegistrationStatus;
  lastModifiedDate: number;
  customerVersion: number;
  generationId: string;
  validity: { notBefore: number; notAfter: number };
  certificateMode: 'DEFAULT' | 'SNI_ONLY';
}

export interface CaCertificateSummary {
  certificateArn: string;
  certificateId: string;
  status: CaCertificateStatus;
  creationDate: number;
}

export interface RegisterCaCertificateInput {
  caCertificate: string;
  verificationCertificate?: string | undefined;
  certificateMode?: 'DEFAULT' | 'SNI_ONLY' | undefined;
  registrationConfig?: RegistrationConfig | undefined;
  setAsActive?: boolean | undefined;
  allowAutoRegistration?: boolean | undefined;
}

export interface UpdateCaCertificateInput {
  certificateId: string;
  newStatus?: CaCertificateStatus | undefined;
  newAutoRegistrationStatus?: AutoRegistrationStatus | undefined;
  registrationConfig?: RegistrationConfig | undefined;
  removeAutoRegistration?: boolean | undefined;
}

export interface RegisterCertificateInput {
  certificatePem: string;
  caCertificatePem?: string | undefined;
  status?: CertificateStatus | undefined;
  /** Deprecated by AWS in favour of status, still honoured: true means ACTIVE. */
  setAsActive?: boolean | undefined;
}

/** AWS: the JSON of `$aws/events/certificates/registered/<caCertificateId>`. */
export interface CertificateRegisteredEvent {
  certificateId: string;
  caCertificateId: string;
  /** Epoch milliseconds. */
  timestamp: number;
  certificateStatus: CertificateStatus;
  awsAccountId: string;
  certificateRegistrationTimestamp: number;
}

export interface CaRegistryApi {
  getRegistrationCode(): Promise<{ registrationCode: string }>;
  registerCaCertificate(input: RegisterCaCertificateInput): Promise<{ certificateArn: string; certificateId: string }>;
  describeCaCertificate(certificateId: string): Promise<{ certificateDescription: CaCertificateDescription; registrationConfig?: RegistrationConfig }>;
  listCaCertificates(input: ListCertificatesInput): Promise<{ certificates: CaCertificateSummary[]; nextMarker?: string }>;
  updateCaCertificate(input: UpdateCaCertificateInput): Promise<void>;
  deleteCaCertificate(certificateId: string): Promise<void>;
  registerCertificate(input: RegisterCertificateInput): Promise<{ certificateArn: string; certificateId: string }>;
  registerCertificateWithoutCa(certificatePem: string, status?: CertificateStatus): Promise<{ certificateArn: string; certificateId: string }>;
  listCertificatesByCa(caCertificateId: string, input: ListCertificatesInput): Promise<{ certificates: CertificateSummary[]; nextMarker?: string }>;
}

/** What the TLS listeners ask, synchronously, on every handshake. */
export interface ClientCertificateTrust {
  /** PEMs of the ACTIVE registered CAs, trusted next to topicd's own root. */
  activeCaPems(): string[];
  /** Whether an unverified client certificate is one registered without a CA (SNI_ONLY). */
  registeredWithoutCa(certificateId: string): boolean;
  /**
   * Called for every verified client certificate: one the registry does not know is registered as
   * PENDING_ACTIVATION when its issuer is an ACTIVE registered CA with auto-registration enabled.
   * `peer` (the DERs of the certificate and of its issuer) is read only then.
   */
  noticeUnregistered(certificateId: string, peer: () => { certificate: Uint8Array; issuer: Uint8Array | undefined }): void;
}
