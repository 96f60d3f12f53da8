/**
 * @module store/postgres/records
 * Small conversions from PostgreSQL rows that several nouns share, and the `certificates` row with its
 * CertificateRow (the certificate store and the CA store's ListCertificatesByCA both return it).
 */
import type { CertificateRow, CertificateStatus } from '../store.js';

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

/** Both certificate listings page by (creation date, certificate id). */
export const CREATION_KEY = ['creation_date', 'certificate_id'] as const;
export const CREATION_KEY_TYPES = ['number', 'string'] as const;
export const creationKeyOf = (r: { creation_date: number; certificate_id: string }): [number, string] => [r.creation_date, r.certificate_id];
