import { Injectable } from '@nestjs/common';
import { DomainError, ExpiringCache, parseTai, taiNowNanos, type FieldProblem } from '#common';
import { DatabaseService } from '#database';
import { MetricsService, type Counter } from '#metrics';
import { isNmosType, NMOS_TYPES, type NmosType } from '../domain/nmos-resource.js';
import { ViewCache } from './view-cache.js';
import { NmosReadRepository, SORT_KEYS, type MergedResource, type ResourceCopy, type SortKey } from '../infra/nmos-read.repository.js';

const RESERVED = new Set(['q', 'registry', 'stale', 'sort', 'limit', 'cursor']);

export interface ListAnswer {
  /** The page as JSON text: a list of merged resources (type, id, version, stale, registries, first_seen, last_seen, resource). */
  json: string;
  total: number;
  nextCursor?: string;
}

export interface QueryApiPage {
  /** The page's resources as JSON text (a list). */
  json: string;
  since: bigint;
  until: bigint;
  limit: number;
}

/** The text of cached pages a replica keeps, at most (least recently used go first). */
const CACHE_BYTES = 16 * 1024 * 1024;

type ListPage = Awaited<ReturnType<NmosReadRepository['page']>>;
/**
 * A Query API page as read: its resources as the JSON list answered, whether more follow, its last
 * entry's position and the position of the first entry past it; valid while the clock is before
 * `validBefore` (a resource positioned after the read's now joins the page then).
 */
interface QueryApiRead {
  json: string;
  more: boolean;
  lastAt?: bigint;
  nextAt?: bigint;
  validBefore?: bigint;
}

/** A cursor is the client's to forge: its key must be what the sort column holds, or SQL would fail on it. */
function isCursorKey(sort: SortKey, key: unknown): key is string {
  if (typeof key !== 'string' || key.includes('\u0000')) return false;
  if (sort === 'version') return /^\d{1,30}$/.test(key);
  if (sort === 'first_seen' || sort === 'last_seen') return /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2})?)?$/.test(key);
  return true;
}

/** Reading the merged view: the controller's own API and the aggregated IS-04 Query API. */
@Injectable()
export class NmosQueryService {
  /** Totals are counted at most once a second per listing: X-Total-Count may lag the view by that much. */
  private readonly totals = new ExpiringCache<number>(1_000);
  /** Pages read lately, each served again while the view's generation is unchanged (ViewCache). */
  private readonly listPages = new ViewCache<ListPage>(CACHE_BYTES / 2);
  private readonly queryApiPages = new ViewCache<QueryApiRead>(CACHE_BYTES / 2);

  private readonly cacheLookups: Counter<'listing' | 'result'>;

  constructor(
    private readonly db: DatabaseService,
    private readonly repository: NmosReadRepository,
    metrics: MetricsService,
  ) {
    this.cacheLookups = metrics.counter({
      name: 'nmos_control_view_cache_lookups_total',
      help: 'Merged-view pages looked up in this replica\'s cache (listing api or query_api), by result (hit: served without reading the page)',
      labelNames: ['listing', 'result'],
    });
  }

  async list(typeText: string, query: Record<string, string | string[] | undefined>): Promise<ListAnswer> {
    const type = this.typeOf(typeText);
    const problems: FieldProblem[] = [];
    const single = (name: string): string | undefined => {
      const value = query[name];
      if (Array.isArray(value)) problems.push({ field: name, message: 'give it once' });
      return Array.isArray(value) ? value[0] : value;
    };
    const limit = single('limit') === undefined ? 100 : Number(single('limit'));
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) problems.push({ field: 'limit', message: 'must be a whole number from 1 to 1000' });
    const sortText = single('sort') ?? 'label';
    const sort = sortText.replace(/^-/, '') as SortKey;
    if (!Object.hasOwn(SORT_KEYS, sort)) problems.push({ field: 'sort', message: `must be one of ${Object.keys(SORT_KEYS).join(', ')} (prefix - for descending)` });
    const staleText = single('stale');
    if (staleText !== undefined && staleText !== 'true' && staleText !== 'false') problems.push({ field: 'stale', message: 'must be true or false' });
    const cursorText = single('cursor');
    let after: [string, string] | undefined;
    if (cursorText !== undefined) {
      try {
        const decoded = JSON.parse(Buffer.from(cursorText, 'base64url').toString('utf8')) as { s: string; k: string; i: string };
        if (decoded.s !== sortText || !isCursorKey(sort, decoded.k) || typeof decoded.i !== 'string' || decoded.i.includes('\u0000')) throw new Error();
        after = [decoded.k, decoded.i];
      } catch {
        problems.push({ field: 'cursor', message: 'is not a cursor of this listing (sort must stay the same)' });
      }
    }
    const filters = Object.entries(query)
      .filter(([key]) => !RESERVED.has(key))
      .flatMap(([key, value]) => (Array.isArray(value) ? value.map((v) => [key, v] as [string, string]) : [[key, value ?? ''] as [string, string]]));
    if (problems.length > 0)
      throw new DomainError('invalid', 'validation_failed', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { fields: problems });

    const listQuery = {
      type,
      filters,
      text: single('q'),
      registry: single('registry'),
      stale: staleText === undefined ? undefined : staleText === 'true',
      sort,
      descending: sortText.startsWith('-'),
      limit,
      after,
    };
    const countKey = JSON.stringify([type, filters, listQuery.text, listQuery.registry, listQuery.stale]);
    const pageKey = JSON.stringify(listQuery);
    const [page, total] = await Promise.all([
      this.db.read(async (sql) => {
        const generation = await this.repository.generation(sql);
        const cached = this.listPages.get(pageKey, generation);
        this.cacheLookups.inc({ listing: 'api', result: cached ? 'hit' : 'miss' });
        if (cached) return cached;
        const read = await this.repository.page(sql, listQuery);
        this.listPages.set(pageKey, generation, read, read.json.length);
        return read;
      }),
      this.totals.getOrLoad(countKey, () => this.db.read((sql) => this.repository.count(sql, listQuery))),
    ]);
    const nextCursor =
      page.count === limit && page.lastKey !== null
        ? Buffer.from(JSON.stringify({ s: sortText, k: page.lastKey, i: page.lastId })).toString('base64url')
        : undefined;
    return { json: page.json, total, nextCursor };
  }

  async get(typeText: string, id: string): Promise<MergedResource & { copies: ResourceCopy[] }> {
    const type = this.typeOf(typeText);
    const found = await this.db.read((sql) => this.repository.get(sql, type, id));
    if (!found) throw new DomainError('not_found', 'resource_not_found', `No ${type.slice(0, -1)} ${id} in the merged view`);
    return found;
  }

  /** IS-04 Query API paging over the merged view, exactly as QueryAPI.raml describes it. */
  async queryApiList(typeText: string, query: URLSearchParams, serverLimit: number): Promise<QueryApiPage> {
    const type = this.typeOf(typeText);
    const unsupported = [...query.keys()].filter((k) => k.startsWith('query.'));
    if (unsupported.length > 0) throw new DomainError('invalid', 'not_implemented', `not supported: ${unsupported.join(', ')}`);
    const order = query.get('paging.order') ?? 'update';
    const tai = (name: string) => {
      const value = query.get(name);
      if (value === null) return undefined;
      const nanos = parseTai(value);
      if (nanos === undefined) throw new DomainError('invalid', 'bad_request', `${name} must be seconds:nanoseconds`);
      return nanos;
    };
    if (order !== 'update' && order !== 'create') throw new DomainError('invalid', 'bad_request', 'paging.order must be create or update');
    const since = tai('paging.since');
    const until = tai('paging.until');
    const requested = query.has('paging.limit') ? Number(query.get('paging.limit')) : serverLimit;
    if (!Number.isInteger(requested) || requested < 1) throw new DomainError('invalid', 'bad_request', 'paging.limit must be a positive integer');
    const limit = Math.min(requested, serverLimit);
    const filters = [...query.entries()].filter(([k]) => !k.startsWith('paging.'));
    const now = taiNowNanos();
    // Only `since`: the oldest entries after it, answered in the usual newest-first order.
    const forward = since !== undefined && until === undefined;
    const slice = { type, filters, order, since, until: until ?? now, forward, limit } as const;
    const key = JSON.stringify([type, filters, order, since?.toString(), until?.toString(), limit]);
    const read = await this.db.read(async (sql) => {
      const generation = await this.repository.generation(sql);
      const cached = this.queryApiPages.get(key, generation);
      const valid = cached && (cached.validBefore === undefined || now < cached.validBefore);
      this.cacheLookups.inc({ listing: 'query_api', result: valid ? 'hit' : 'miss' });
      if (valid) return cached;
      const rows = await this.repository.queryApiPage(sql, slice);
      const page = rows.slice(0, limit);
      const fresh: QueryApiRead = {
        // Forward pages are read oldest first and answered newest first, as every page is.
        json: `[${(forward ? page.toReversed() : page).map((r) => r.resource).join(',')}]`,
        more: rows.length > limit,
        lastAt: page.at(-1)?.at,
        nextAt: rows[limit]?.at,
      };
      // Up to "now", the page gains any resource positioned after the read's now (a registry whose clock
      // runs ahead) once the clock passes it: kept only until then.
      if (until === undefined) fresh.validBefore = await this.repository.firstAfter(sql, type, filters, order, now);
      this.queryApiPages.set(key, generation, fresh, fresh.json.length);
      return fresh;
    });
    if (forward) return { json: read.json, since: since!, until: read.more ? read.lastAt! : now, limit };
    return { json: read.json, since: read.more ? read.nextAt! : (since ?? 0n), until: until ?? now, limit };
  }

  getResource(typeText: string, id: string): Promise<Record<string, unknown> | undefined> {
    const type = this.typeOf(typeText);
    return this.db.read((sql) => this.repository.getResource(sql, type, id));
  }

  /** Every resource of a type with its version, for views computed over the whole facility (connection state). */
  all(typeText: string): Promise<Array<{ id: string; version: string; resource: Record<string, unknown> }>> {
    const type = this.typeOf(typeText);
    return this.db.read((sql) => this.repository.all(sql, type));
  }

  /** The senders of one transport (`urn:x-nmos:transport:mqtt`: IS-07 senders), in one indexed read. */
  sendersByTransport(transport: string): Promise<Array<{ id: string; version: string; resource: Record<string, unknown> }>> {
    return this.db.read((sql) => this.repository.sendersByTransport(sql, transport));
  }

  /** Several resources of a type by id, in one read. */
  some(typeText: string, ids: string[]): Promise<Array<{ id: string; version: string; resource: Record<string, unknown> }>> {
    const type = this.typeOf(typeText);
    return this.db.read((sql) => this.repository.all(sql, type, ids));
  }

  private typeOf(text: string): NmosType {
    if (!isNmosType(text)) throw new DomainError('not_found', 'unknown_resource_type', `No resource type ${text} (one of ${NMOS_TYPES.join(', ')})`);
    return text;
  }
}
