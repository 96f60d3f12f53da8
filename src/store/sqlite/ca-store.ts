/**
 * @module store/sqlite/ca-store
 * The SQLite side of the `caCertificates` noun: registered CA certificates (bring your own CA) and the
 * certificates each one issued (the `certificates` rows whose ca_certificate_id names it). Built on the
 * keyset paging helpers (keyset.ts); sqlite-store.ts calls `createCaCertificateStore` when it opens.
 */
import type { Database as Db } from 'better-sqlite3';
import type { CaCertificateRow, CaCertificateStore, CertificateRow } from '../store.js';
import { checkLimit, decodeToken, pickKeyset, prepareKeyset, toPage, type Key } from './keyset.js';
import { toCaCertificate, toCertificate, type CaCertificateRecord, type CertificateRecord } from '../records.js';

/** Both listings page by (creation date, certificate id). */
const creationKey = (after: string | undefined): Key =>
  after === undefined ? [] : decodeToken(after, ['number', 'string']);

export function createCaCertificateStore(db: Db): CaCertificateStore {
  const columns = `certificate_id, certificate_pem, status, auto_registration_status, owned_by, certificate_mode,
    registration_config, creation_date, last_modified_date, not_before, not_after, customer_version, generation_id`;
  const values = `@certificateId, @certificatePem, @status, @autoRegistrationStatus, @ownedBy, @certificateMode,
    @registrationConfig, @creationDate, @lastModifiedDate, @notBefore, @notAfter, @customerVersion, @generationId`;
  const get = db.prepare<[string], CaCertificateRecord>('SELECT * FROM ca_certificates WHERE certificate_id = ?');
  const insert = db.prepare<[CaCertificateRow]>(
    `INSERT INTO ca_certificates (${columns}) VALUES (${values}) ON CONFLICT (certificate_id) DO NOTHING`);
  const update = db.prepare<[CaCertificateRow]>(`
    UPDATE ca_certificates SET certificate_pem = @certificatePem, status = @status,
      auto_registration_status = @autoRegistrationStatus, owned_by = @ownedBy, certificate_mode = @certificateMode,
      registration_config = @registrationConfig, creation_date = @creationDate, last_modified_date = @lastModifiedDate,
      not_before = @notBefore, not_after = @notAfter, customer_version = @customerVersion, generation_id = @generationId
    WHERE certificate_id = @certificateId`);
  const del = db.prepare<[string]>('DELETE FROM ca_certificates WHERE certificate_id = ?');
  const all = db.prepare<[], CaCertificateRecord>('SELECT * FROM ca_certificates ORDER BY creation_date, certificate_id');
  type Params = { limit: number; creationDate: number | null; certificateId: string | null };
  const list = prepareKeyset<Params, CaCertificateRecord>(
    db, 'SELECT * FROM ca_certificates', '', 'creation_date, certificate_id', '@creationDate, @certificateId');
  const certificatesOf = prepareKeyset<Params & { ca: string }, CertificateRecord>(
    db, 'SELECT * FROM certificates', 'ca_certificate_id = @ca', 'creation_date, certificate_id', '@creationDate, @certificateId');
  const count = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM certificates WHERE ca_certificate_id = ?');
  const withoutCa = db.prepare<[], { certificate_id: string }>(
    "SELECT certificate_id FROM certificates WHERE ca_certificate_id IS NULL AND certificate_mode = 'SNI_ONLY'");
  return {
    get: async (certificateId) => {
      const record = get.get(certificateId);
      return record && toCaCertificate(record);
    },
    insert: async (ca) => insert.run(ca).changes > 0,
    update: async (ca) => update.run(ca).changes > 0,
    delete: async (certificateId) => del.run(certificateId).changes > 0,
    list: async (page) => {
      const limit = checkLimit(page.limit);
      const [creationDate = null, certificateId = null] = creationKey(page.after);
      const records = pickKeyset(list, page).all({
        limit: limit + 1, creationDate: creationDate as number | null, certificateId: certificateId as string | null,
      });
      return toPage(records, limit, toCaCertificate, (r) => [r.creation_date, r.certificate_id]);
    },
    all: async () => all.all().map(toCaCertificate),
    certificatesOf: async (caCertificateId, page) => {
      const limit = checkLimit(page.limit);
      const [creationDate = null, certificateId = null] = creationKey(page.after);
      const records = pickKeyset(certificatesOf, page).all({
        ca: caCertificateId, limit: limit + 1, creationDate: creationDate as number | null, certificateId: certificateId as string | null,
      });
      return toPage<CertificateRecord, CertificateRow>(records, limit, toCertificate, (r) => [r.creation_date, r.certificate_id]);
    },
    countCertificatesOf: async (caCertificateId) => count.get(caCertificateId)?.n ?? 0,
    certificateIdsWithoutCa: async () => withoutCa.all().map((r) => r.certificate_id),
  };
}
