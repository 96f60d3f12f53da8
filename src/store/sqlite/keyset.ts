/**
 * @module store/sqlite/keyset
 * Keyset pagination for the SQLite backend, shared by every listing: a page is fetched by key (never
 * by offset), one row more than asked tells whether another page follows, and the `next` token is the
 * base64url JSON of the page's last key. A token this code did not make is InvalidRequestException.
 */
import type { Database as Db, Statement } from 'better-sqlite3';
import { invalidRequest } from '../../errors.js';
import type { Page, PageRequest } from '../store.js';

export type Key = readonly (string | number)[];

export function encodeToken(key: Key): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** Decodes a token into a key of the given column types; anything else is the caller's mistake. */
export function decodeToken(token: string, types: readonly ('string' | 'number')[]): Key {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== types.length || key.some((part, i) => typeof part !== types[i])) {
    throw invalidRequest('The pagination token is not valid.');
  }
  return key as Key;
}

export function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`page limit must be a positive integer, got ${limit}`);
  return limit;
}

/** Cuts the one extra row a listing fetched to learn whether another page follows. */
export function toPage<R, T>(records: R[], limit: number, toItem: (record: R) => T, keyOf: (record: R) => Key): Page<T> {
  const more = records.length > limit;
  const rows = more ? records.slice(0, limit) : records;
  const last = rows[rows.length - 1];
  return { items: rows.map(toItem), next: more && last !== undefined ? encodeToken(keyOf(last)) : null };
}

/** The four statements of one keyset listing: first page or after a key, in either order. */
export interface Keyset<P, R> {
  firstAsc: Statement<[P], R>;
  afterAsc: Statement<[P], R>;
  firstDesc: Statement<[P], R>;
  afterDesc: Statement<[P], R>;
}

/**
 * Prepares a keyset listing. `where` filters (may be empty), `key` is the ordering column list and
 * `keyParams` the matching named parameters, compared as a row value so a composite key pages right.
 */
export function prepareKeyset<P extends object, R>(db: Db, select: string, where: string, key: string, keyParams: string): Keyset<P, R> {
  const sql = (after: '>' | '<' | null, order: 'ASC' | 'DESC'): string => {
    const conditions = [where, after ? `(${key}) ${after} (${keyParams})` : ''].filter((c) => c !== '');
    const orderBy = key.split(',').map((column) => `${column.trim()} ${order}`).join(', ');
    return `${select} ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''} ORDER BY ${orderBy} LIMIT @limit`;
  };
  return {
    firstAsc: db.prepare<P, R>(sql(null, 'ASC')) as Statement<[P], R>,
    afterAsc: db.prepare<P, R>(sql('>', 'ASC')) as Statement<[P], R>,
    firstDesc: db.prepare<P, R>(sql(null, 'DESC')) as Statement<[P], R>,
    afterDesc: db.prepare<P, R>(sql('<', 'DESC')) as Statement<[P], R>,
  };
}

export function pickKeyset<P, R>(keyset: Keyset<P, R>, page: PageRequest): Statement<[P], R> {
  const ascending = page.ascending !== false;
  if (page.after === undefined) return ascending ? keyset.firstAsc : keyset.firstDesc;
  return ascending ? keyset.afterAsc : keyset.afterDesc;
}
