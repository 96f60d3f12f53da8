/**
 * @module store/postgres/ca-store
 * The `caCertificates` noun of PostgresStore: registered CA certificates (bring your own CA) and the
 * certificates each one issued (the `certificates` rows whose ca_certificate_id names it).
 */
import type { CaCertificateStore } from '../store.js';
import { listPage, listing } from './keyset.js';
import type { Reader } from './reader.js';
import { toCaCertificate, toCertificate, type CaCertificateRecord, type CertificateRecord } from '../records.js';
import { CREATION_KEY, CREATION_KEY_TYPES, creationKeyOf } from './records.js';
import { sql } from './sql.js';
import type { WriteBatch } from './write-batch.js';

export function caCertificateStore(read: Reader, batch: WriteBatch): CaCertificateStore {
  const list = listing<CaCertificateRecord>('SELECT * FROM ca_certificates', '', CREATION_KEY, CREATION_KEY_TYPES, 0, creationKeyOf);
  const certificatesOf = listing<CertificateRecord>(
    'SELECT * FROM certificates', 'ca_certificate_id = $2', CREATION_KEY, CREATION_KEY_TYPES, 1, creationKeyOf);
  return {
    get: async (certificateId) => {
      const record = await read.first<CaCertificateRecord>('SELECT * FROM ca_certificates WHERE certificate_id = $1', [certificateId]);
      return record && toCaCertificate(record);
    },
    insert: async (ca) => batch.write(sql`
      INSERT INTO ca_certificates (certificate_id, certificate_pem, status, auto_registration_status, owned_by, certificate_mode,
        registration_config, creation_date, last_modified_date, not_before, not_after, customer_version, generation_id)
      VALUES (${ca.certificateId}, ${ca.certificatePem}, ${ca.status}, ${ca.autoRegistrationStatus}, ${ca.ownedBy}, ${ca.certificateMode},
        ${ca.registrationConfig}, ${ca.creationDate}, ${ca.lastModifiedDate}, ${ca.notBefore}, ${ca.notAfter}, ${ca.customerVersion},
        ${ca.generationId})
      ON CONFLICT (certificate_id) DO NOTHING`, (r) => r.rowCount !== 0),
    update: async (ca) => batch.write(sql`
      UPDATE ca_certificates SET certificate_pem = ${ca.certificatePem}, status = ${ca.status},
        auto_registration_status = ${ca.autoRegistrationStatus}, owned_by = ${ca.ownedBy}, certificate_mode = ${ca.certificateMode},
        registration_config = ${ca.registrationConfig}, creation_date = ${ca.creationDate}, last_modified_date = ${ca.lastModifiedDate},
        not_before = ${ca.notBefore}, not_after = ${ca.notAfter}, customer_version = ${ca.customerVersion}, generation_id = ${ca.generationId}
      WHERE certificate_id = ${ca.certificateId}`, (r) => r.rowCount !== 0),
    delete: async (certificateId) => batch.write(sql`DELETE FROM ca_certificates WHERE certificate_id = ${certificateId}`, (r) => r.rowCount !== 0),
    list: (page) => listPage(read, list, page, [], toCaCertificate),
    all: async () => (await read.rows<CaCertificateRecord>('SELECT * FROM ca_certificates ORDER BY creation_date, certificate_id')).map(toCaCertificate),
    certificatesOf: (caCertificateId, page) => listPage(read, certificatesOf, page, [caCertificateId], toCertificate),
    countCertificatesOf: async (caCertificateId) =>
      (await read.first<{ n: number }>('SELECT count(*) AS n FROM certificates WHERE ca_certificate_id = $1', [caCertificateId]))?.n ?? 0,
    certificateIdsWithoutCa: async () => (await read.rows<{ certificate_id: string }>(
      "SELECT certificate_id FROM certificates WHERE ca_certificate_id IS NULL AND certificate_mode = 'SNI_ONLY'")).map((r) => r.certificate_id),
  };
}
