/**
 * @module store/sqlite/certificate-store
 * The `certificates` noun of SqliteStore: device certificates by id, their status, listed by creation date.
 */
import type { Database as Db } from 'better-sqlite3';
import type { CertificateRow, CertificateStatus, CertificateStore } from '../store.js';
import { toCertificate, type CertificateRecord } from '../records.js';
import { checkLimit, decodeToken, pickKeyset, prepareKeyset, toPage } from './keyset.js';

export function certificateStore(db: Db): CertificateStore {
  const get = db.prepare<[string], CertificateRecord>('SELECT * FROM certificates WHERE certificate_id = ?');
  const insert = db.prepare<[CertificateRow]>(`
    INSERT INTO certificates (certificate_id, certificate_pem, status, ca_certificate_id, owned_by, certificate_mode,
      creation_date, last_modified_date, not_before, not_after, customer_version, generation_id)
    VALUES (@certificateId, @certificatePem, @status, @caCertificateId, @ownedBy, @certificateMode,
      @creationDate, @lastModifiedDate, @notBefore, @notAfter, @customerVersion, @generationId)
    ON CONFLICT (certificate_id) DO NOTHING`);
  const setStatus = db.prepare<[string, number, string]>(
    'UPDATE certificates SET status = ?, last_modified_date = ? WHERE certificate_id = ?');
  const del = db.prepare<[string]>('DELETE FROM certificates WHERE certificate_id = ?');
  const statuses = db.prepare<[], { certificateId: string; status: CertificateStatus }>(
    'SELECT certificate_id AS certificateId, status FROM certificates');
  const list = prepareKeyset<{ limit: number; creationDate: number | null; certificateId: string | null }, CertificateRecord>(
    db, 'SELECT * FROM certificates', '', 'creation_date, certificate_id', '@creationDate, @certificateId');
  return {
    get: async (certificateId) => {
      const record = get.get(certificateId);
      return record && toCertificate(record);
    },
    insert: async (cert) => insert.run(cert).changes > 0,
    setStatus: async (certificateId, status, at) => setStatus.run(status, at, certificateId).changes > 0,
    delete: async (certificateId) => del.run(certificateId).changes > 0,
    list: async (page) => {
      const limit = checkLimit(page.limit);
      const after = page.after === undefined ? [null, null] : decodeToken(page.after, ['number', 'string']);
      const records = pickKeyset(list, page).all({
        limit: limit + 1, creationDate: after[0] as number | null, certificateId: after[1] as string | null,
      });
      return toPage(records, limit, toCertificate, (r) => [r.creation_date, r.certificate_id]);
    },
    listStatuses: async () => statuses.all(),
  };
}
