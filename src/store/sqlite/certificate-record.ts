/**
 * @module store/sqlite/certificate-record
 * A `certificates` row as SQLite returns it, and its CertificateRow: shared by the certificate
 * store (sqlite-store.ts) and the CA store's ListCertificatesByCA (ca-store.ts).
 */
import type { CertificateRow, CertificateStatus } from '../store.js';

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
