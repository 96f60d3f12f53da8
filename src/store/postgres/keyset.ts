/**
 * @module store/postgres/keyset
 * Keyset pagination for the PostgreSQL backend, shared by every listing: a page is fetched by key
 * (never by offset) with one row more than asked; the token and the page cutting are
 * store/page-token.ts, the same as SQLite's. Parameters: $1 is the limit, then the listing's filter
 * values, then (after a token) the key's values, compared as a row so that a composite key pages right.
 */
import { checkLimit, decodeToken, toPage, type Key } from '../page-token.js';
import type { Page, PageRequest } from '../store.js';
import type { Reader } from './reader.js';

export interface Listing<R> {
  /** The SQL of the four variants: first page or after a key, ascending or descending. */
  firstAsc: string;
  afterAsc: string;
  firstDesc: string;
  afterDesc: string;
  keyTypes: readonly ('string' | 'number')[];
  keyOf: (record: R) => Key;
}

/**
 * Makes a listing. `where` may use $2.. for the `filters` the page call passes (it may be empty);
 * `key` lists the ordering columns, of the given types.
 */
export function listing<R>(select: string, where: string, key: readonly string[], keyTypes: readonly ('string' | 'number')[],
  filters: number, keyOf: (record: R) => Key): Listing<R> {
  const keyParams = key.map((_, i) => `$${i + 2 + filters}`).join(', ');
  const sql = (after: '>' | '<' | null, order: 'ASC' | 'DESC'): string => {
    const conditions = [where, after ? `(${key.join(', ')}) ${after} (${keyParams})` : ''].filter((c) => c !== '');
    const orderBy = key.map((column) => `${column} ${order}`).join(', ');
    return `${select} ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''} ORDER BY ${orderBy} LIMIT $1`;
  };
  return {
    firstAsc: sql(null, 'ASC'), afterAsc: sql('>', 'ASC'), firstDesc: sql(null, 'DESC'), afterDesc: sql('<', 'DESC'), keyTypes, keyOf,
  };
}

/** One page of a listing; a token this store did not make is InvalidRequestException. */
export async function listPage<R extends object, T>(read: Reader, list: Listing<R>, page: PageRequest, filters: readonly unknown[],
  toItem: (record: R) => T): Promise<Page<T>> {
  const limit = checkLimit(page.limit);
  const ascending = page.ascending !== false;
  const values: unknown[] = [limit + 1, ...filters];
  let text: string;
  if (page.after === undefined) {
    text = ascending ? list.firstAsc : list.firstDesc;
  } else {
    values.push(...decodeToken(page.after, list.keyTypes));
    text = ascending ? list.afterAsc : list.afterDesc;
  }
  return toPage(await read.rows<R & Record<string, unknown>>(text, values), limit, toItem, list.keyOf);
}
