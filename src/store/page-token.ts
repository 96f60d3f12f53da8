/**
 * @module store/page-token
 * The backend-independent half of keyset pagination, shared by every Store backend: the opaque `next`
 * token (base64url JSON of the page's last key), its validation, and cutting the one extra row a
 * listing fetches to learn whether another page follows. How a backend fetches by key is its own.
 */
import { invalidRequest } from '../errors.js';
import type { Page } from './store.js';

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
  // A key the store made is a finite number or a string a database can hold (no U+0000).
  const fits = (part: unknown, i: number): boolean => typeof part === types[i]
    && (typeof part === 'number' ? Number.isFinite(part) : !(part as string).includes('\u0000'));
  if (!Array.isArray(key) || key.length !== types.length || !key.every(fits)) {
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
