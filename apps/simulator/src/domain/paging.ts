import { formatTai } from './tai.js';

export type PagingOrder = 'create' | 'update';

export interface PagedEntry<T> {
  item: T;
  /** TAI nanoseconds of creation or of the last update, by the order in use. */
  at: bigint;
}

export interface PageRequest {
  since?: bigint;
  until?: bigint;
  limit: number;
}

export interface Page<T> {
  items: T[];
  since: bigint;
  until: bigint;
}

/**
 * IS-04 Query API paging over entries sorted by `at` ascending: a page covers (since, until] and is
 * returned newest first. Without `since`, the newest `limit` entries up to `until` (default now); with
 * only `since`, the `limit` entries just after it. The bounds are exact, so `until` of one page is the
 * `since` of the next and no entry is skipped or repeated.
 */
export function pageOf<T>(sorted: readonly PagedEntry<T>[], request: PageRequest, now: bigint): Page<T> {
  const until = request.until ?? now;
  const since = request.since ?? -1n;
  const inRange = sorted.filter((e) => e.at > since && e.at <= until);
  if (request.since !== undefined && request.until === undefined) {
    const chosen = inRange.slice(0, request.limit);
    const full = chosen.length === request.limit && inRange.length > request.limit;
    return { items: chosen.map((e) => e.item).reverse(), since: request.since, until: full ? chosen[chosen.length - 1].at : until };
  }
  const chosen = inRange.slice(Math.max(0, inRange.length - request.limit));
  const skipped = inRange.length - chosen.length;
  const pageSince = skipped > 0 ? inRange[skipped - 1].at : (request.since ?? 0n);
  return { items: chosen.map((e) => e.item).reverse(), since: pageSince < 0n ? 0n : pageSince, until };
}

/** The `Link` header: prev, next, first, last, as nmos-cpp writes it. */
export function pagingLinks(baseUrl: string, query: URLSearchParams, page: Page<unknown>, limit: number, order: PagingOrder): string {
  const link = (params: Record<string, string>, rel: string) => {
    const q = new URLSearchParams([...query.entries()].filter(([k]) => !k.startsWith('paging.')));
    q.set('paging.order', order);
    q.set('paging.limit', String(limit));
    for (const [k, v] of Object.entries(params)) q.set(k, v);
    return `<${baseUrl}?${q.toString().replace(/%3A/g, ':')}>; rel="${rel}"`;
  };
  return [
    link({ 'paging.until': formatTai(page.since) }, 'prev'),
    link({ 'paging.since': formatTai(page.until) }, 'next'),
    link({ 'paging.since': '0:0' }, 'first'),
    link({}, 'last'),
  ].join(', ');
}
