/**
 * @module store/paging
 * How the Store's listings page: a page of items and the opaque token of the next one.
 */
/** One page of a listing. `next` is an opaque token (the last key of the page), null on the last page. */
export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface PageRequest {
  /** Opaque token from a previous page's `next`; a token the backend did not make rejects with InvalidRequestException. */
  after?: string | undefined;
  limit: number;
  /** Listing order by key; ascending unless false. */
  ascending?: boolean | undefined;
}
