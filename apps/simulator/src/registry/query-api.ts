import type { IncomingMessage, ServerResponse } from 'node:http';
import { matchesBasicQuery } from '../domain/basic-query.js';
import { pageOf, pagingLinks, type PagingOrder } from '../domain/paging.js';
import { RESOURCE_TYPES, SINGULAR, type Resource, type ResourceType } from '../domain/resources.js';
import { formatTai, parseTai, taiNowNanos } from '../domain/tai.js';
import { json, listing, nmosError, readJson } from '../http/http-kit.js';
import type { RegistryStore } from './registry-store.js';
import type { Subscriptions } from './subscriptions.js';

export interface QueryApiOptions {
  /** The server's cap on paging.limit, and its default (nmos-cpp: 10). */
  pagingLimit: number;
  /** False: this registry offers no websocket subscriptions (REST paging only). */
  websockets: boolean;
}

/**
 * The IS-04 v1.3 Query API as QueryAPI.raml specifies it: lists with basic queries and paging,
 * single resources, subscriptions. `segments` starts after `/x-nmos/query/v1.3`.
 */
export class QueryApi {
  constructor(
    private readonly store: RegistryStore,
    private readonly subscriptions: Subscriptions,
    private readonly options: QueryApiOptions,
    private readonly baseUrl: () => string,
  ) {}

  async handle(request: IncomingMessage, response: ServerResponse, url: URL, segments: string[]): Promise<void> {
    const [collection, id, extra] = segments;
    const method = request.method ?? 'GET';
    if (collection === undefined) return method === 'GET' ? listing(response, [...RESOURCE_TYPES.map((t) => `${t}/`), 'subscriptions/']) : notAllowed(response);
    if (collection === 'subscriptions') return this.subscriptionRoute(request, response, method, id, extra);
    if (!(RESOURCE_TYPES as readonly string[]).includes(collection) || extra !== undefined)
      return nmosError(response, 404, 'Not Found', `no such path ${url.pathname}`);
    if (method !== 'GET' && method !== 'HEAD') return notAllowed(response);
    const type = collection as ResourceType;
    if (id !== undefined) {
      const found = this.store.get(type, id);
      return found ? json(response, 200, found.resource) : nmosError(response, 404, 'Not Found', `no ${SINGULAR[type]} ${id}`);
    }
    return this.list(response, url, type);
  }

  private list(response: ServerResponse, url: URL, type: ResourceType): void {
    const params = url.searchParams;
    const unsupported = [...params.keys()].filter((k) => k.startsWith('query.'));
    if (unsupported.length > 0) return nmosError(response, 501, 'Not Implemented', `not supported: ${unsupported.join(', ')} (basic queries only)`);
    const order = (params.get('paging.order') ?? 'update') as PagingOrder;
    if (order !== 'update' && order !== 'create') return nmosError(response, 400, 'Bad Request', 'paging.order must be create or update');
    const since = params.has('paging.since') ? parseTai(params.get('paging.since')!) : undefined;
    const until = params.has('paging.until') ? parseTai(params.get('paging.until')!) : undefined;
    if ((params.has('paging.since') && since === undefined) || (params.has('paging.until') && until === undefined)) {
      return nmosError(response, 400, 'Bad Request', 'paging.since and paging.until are seconds:nanoseconds');
    }
    if (since !== undefined && until !== undefined && since > until) return nmosError(response, 400, 'Bad Request', 'paging.since is after paging.until');
    const requested = params.has('paging.limit') ? Number(params.get('paging.limit')) : this.options.pagingLimit;
    if (!Number.isInteger(requested) || requested < 1) return nmosError(response, 400, 'Bad Request', 'paging.limit must be a positive integer');
    const limit = Math.min(requested, this.options.pagingLimit);
    const query = [...params.entries()].filter(([k]) => !k.startsWith('paging.'));
    const entries = this.store.ordered(type, order).filter((e) => query.length === 0 || matchesBasicQuery(e.item, query));
    const page = pageOf<Resource>(entries, { since, until, limit }, taiNowNanos());
    json(response, 200, page.items, {
      'x-paging-limit': String(limit),
      'x-paging-since': formatTai(page.since),
      'x-paging-until': formatTai(page.until),
      link: pagingLinks(`${this.baseUrl()}/${type}`, params, page, limit, order),
      'access-control-expose-headers': 'Link, X-Paging-Limit, X-Paging-Since, X-Paging-Until',
    });
  }

  private async subscriptionRoute(request: IncomingMessage, response: ServerResponse, method: string, id?: string, extra?: string): Promise<void> {
    if (!this.options.websockets) return nmosError(response, 501, 'Not Implemented', 'this registry offers no websocket subscriptions');
    if (extra !== undefined) return nmosError(response, 404, 'Not Found', 'no such path');
    if (id === undefined) {
      if (method === 'GET') return json(response, 200, this.subscriptions.list());
      if (method !== 'POST') return notAllowed(response);
      const answer = this.subscriptions.create(await readJson(request));
      return json(response, answer.status, answer.body);
    }
    if (method === 'GET') {
      const found = this.subscriptions.get(id);
      return found ? json(response, 200, found) : nmosError(response, 404, 'Not Found', `no subscription ${id}`);
    }
    if (method !== 'DELETE') return notAllowed(response);
    const status = this.subscriptions.delete(id);
    if (status === 204) {
      response.writeHead(204).end();
      return;
    }
    return nmosError(
      response,
      status,
      status === 403 ? 'Forbidden' : 'Not Found',
      status === 403 ? 'non-persistent subscriptions are managed by the registry' : `no subscription ${id}`,
    );
  }
}

function notAllowed(response: ServerResponse): void {
  nmosError(response, 405, 'Method Not Allowed');
}
