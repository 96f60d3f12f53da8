/**
 * @module store/postgres/certificate-store
 * The `certificates` noun of PostgresStore: device certificates by id, their status, listed by creation date.
 */
import type { CertificateStatus, CertificateStore } from '../store.js';
import { listPage, listing } from './keyset.js';
import type { Reader } from './reader.js';
import { toCertificate, type CertificateRecord } from '../records.js';
import { CREATION_KEY, CREATION_KEY_TYPES, creationKeyOf } from './records.js';
import { sql } from './sql.js';
import type { WriteBatch } from './write-batch.js';

export function certificateStore(read: Reader, batch: WriteBatch): CertificateStore {
  const list = listing<CertificateRecord>('SELECT * FROM certificates', '', CREATION_KEY, CREATION_KEY_TYPES, 0, creationKeyOf);
  return {
    get: async (certificateId) => {
      const record = await read.first<CertificateRecord>('SELECT * FROM certificates WHERE certificate_id = $1', [certificateId]);
      return record && toCertificate(record);
    },
    insert: async (c) => batch.write(sql`
      INSERT INTO certificates (certificate_id, certificate_pem, status, ca_certificate_id, owned_by, certificate_mode,
        creation_date, last_modified_date, not_before, not_after, customer_version, generation_id)
      VALUES (${c.certificateId}, ${c.certificatePem}, ${c.status}, ${c.caCertificateId}, ${c.ownedBy}, ${c.certificateMode},
        ${c.creationDate}, ${c.lastModifiedDate}, ${c.notBefore}, ${c.notAfter}, ${c.customerVersion}, ${c.generationId})
      ON CONFLICT (certificate_id) DO NOTHING`, (r) => r.rowCount !== 0),
    setStatus: async (certificateId, status, at) => batch.write(
      sql`UPDATE certificates SET status = ${status}, last_modified_date = ${at} WHERE certificate_id = ${certificateId}`,
      (r) => r.rowCount !== 0),
    delete: async (certificateId) => batch.write(sql`DELETE FROM certificates WHERE certificate_id = ${certificateId}`, (r) => r.rowCount !== 0),
    list: (page) => listPage(read, list, page, [], toCertificate),
    listStatuses: () => read.rows<{ certificateId: string; status: CertificateStatus }>(
      'SELECT certificate_id AS "certificateId", status FROM certificates'),
  };
}
