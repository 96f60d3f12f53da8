/**
 * @module store/postgres/records
 * The certificate listings' keyset (creation date, certificate id), shared by the certificate store and
 * the CA store's ListCertificatesByCA.
 */

/** Both certificate listings page by (creation date, certificate id). */
export const CREATION_KEY = ['creation_date', 'certificate_id'] as const;
export const CREATION_KEY_TYPES = ['number', 'string'] as const;
export const creationKeyOf = (r: { creation_date: number; certificate_id: string }): [number, string] => [r.creation_date, r.certificate_id];
