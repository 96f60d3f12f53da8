/**
 * @module store/records
 * The SQL rows of the Store's tables as both backends read them (SQLite and PostgreSQL share the
 * tables' column names and types), and their conversions to the port's row types: one mapping per
 * table, whatever the backend.
 */
import type {
  CaCertificateRow, CertificateRow, CertificateStatus, PolicyRow, PolicyVersionRow, ShadowRow,
} from './store.js';

export const qosOf = (n: number): 0 | 1 | 2 => (n === 2 ? 2 : n === 1 ? 1 : 0);

export interface CertificateRecord {
  certificate_id: string;
  certificate_pem: string;
  status: string;
  ca_certificate_id: string | null;
  owned_by: string;
  certificate_mode: string;
  creation_date: number;
  last_modified_date: number;
  not_before: number;
  not_after: number;
  customer_version: number;
  generation_id: string;
}

export const toCertificate = (r: CertificateRecord): CertificateRow => ({
  certificateId: r.certificate_id,
  certificatePem: r.certificate_pem,
  status: r.status as CertificateStatus,
  caCertificateId: r.ca_certificate_id,
  ownedBy: r.owned_by,
  certificateMode: r.certificate_mode as CertificateRow['certificateMode'],
  creationDate: r.creation_date,
  lastModifiedDate: r.last_modified_date,
  notBefore: r.not_before,
  notAfter: r.not_after,
  customerVersion: r.customer_version,
  generationId: r.generation_id,
});

export interface CaCertificateRecord {
  certificate_id: string;
  certificate_pem: string;
  status: string;
  auto_registration_status: string;
  owned_by: string;
  certificate_mode: string;
  registration_config: string | null;
  creation_date: number;
  last_modified_date: number;
  not_before: number;
  not_after: number;
  customer_version: number;
  generation_id: string;
}

export const toCaCertificate = (r: CaCertificateRecord): CaCertificateRow => ({
  certificateId: r.certificate_id,
  certificatePem: r.certificate_pem,
  status: r.status as CaCertificateRow['status'],
  autoRegistrationStatus: r.auto_registration_status as CaCertificateRow['autoRegistrationStatus'],
  ownedBy: r.owned_by,
  certificateMode: r.certificate_mode as CaCertificateRow['certificateMode'],
  registrationConfig: r.registration_config,
  creationDate: r.creation_date,
  lastModifiedDate: r.last_modified_date,
  notBefore: r.not_before,
  notAfter: r.not_after,
  customerVersion: r.customer_version,
  generationId: r.generation_id,
});

export interface PolicyRecord {
  policy_name: string;
  default_version_id: string;
  last_version: number;
  generation_id: string;
  creation_date: number;
  last_modified_date: number;
}

export interface VersionRecord {
  policy_name: string;
  version_id: string;
  document: string;
  creation_date: number;
}

export const toPolicy = (r: PolicyRecord): PolicyRow => ({
  policyName: r.policy_name,
  defaultVersionId: r.default_version_id,
  lastVersion: r.last_version,
  generationId: r.generation_id,
  creationDate: r.creation_date,
  lastModifiedDate: r.last_modified_date,
});

export const toVersion = (r: VersionRecord): PolicyVersionRow => ({
  policyName: r.policy_name, versionId: r.version_id, document: r.document, creationDate: r.creation_date,
});

export interface ShadowRecord {
  thing_name: string;
  shadow_name: string;
  document: string | null;
  version: number;
  updated_at: number;
  deleted_at: number | null;
}

export const toShadow = (r: ShadowRecord): ShadowRow => ({
  thingName: r.thing_name, shadowName: r.shadow_name, document: r.document, version: r.version, updatedAt: r.updated_at, deletedAt: r.deleted_at,
});
