/**
 * @module store/sqlite/keyset
 * Keyset pagination for the SQLite backend, shared by every listing: a page is fetched by key (never
 * by offset), one row more than asked tells whether another page follows (the token and the page
 * cutting are store/page-token.ts, shared with the PostgreSQL backend).
 */
import type { Database as Db, Statement } from 'better-sqlite3';
import type { PageRequest } from '../store.js';

// The token and page cutting are the same in every backend.
export { checkLimit, decodeToken, encodeToken, toPage, type Key } from '../page-token.js';

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
