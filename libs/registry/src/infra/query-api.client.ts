import { newestCommonVersion } from '../domain/api-version.js';
import type { NmosType } from '../domain/nmos-resource.js';
import type { RegistryEntry } from '../domain/registry-entry.js';
import { subscriptionRequest } from '../domain/subscription-request.js';
import { sameOrigin, shownUrl } from '../domain/url-origin.js';

/** Grains per websocket message asked for first (registries cap it at their own maximum). */
const SUBSCRIPTION_PAGING_LIMIT = 1000;

/** The Query API versions whose resources we understand. */
export const SUPPORTED_QUERY_VERSIONS = ['v1.2', 'v1.3'];

export class QueryApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** What a registry said it offers, without repeating anything that is not a version. */
function versionsShown(offered: unknown[]): string {
  const versions = offered.filter((v): v is string => typeof v === 'string' && /^v\d{1,3}\.\d{1,3}\/?$/.test(v)).slice(0, 10);
  return versions.length > 0 ? versions.join(', ') : 'no version';
}

/** A body that should be JSON; when it is not, say so without quoting it (the parser's message would). */
async function readJson(response: Response, url: string): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    const type = (response.headers.get('content-type') ?? 'no content type').slice(0, 60);
    throw new QueryApiError(`${shownUrl(url)}: the answer is not JSON (HTTP ${response.status}, ${type})`);
  }
}

/** HTTP to one endpoint of one registry's Query API: every call bounded by the entry's timeout. */
export class QueryApiClient {
  constructor(
    private readonly entry: RegistryEntry,
    readonly endpoint: string,
  ) {}

  /** The versioned base URL: as configured when it names a version, else the newest both sides speak. */
  async resolveBase(): Promise<{ base: string; version: string }> {
    const pinned = /\/x-nmos\/query\/(v\d+\.\d+)$/.exec(this.endpoint);
    if (pinned) return { base: this.endpoint, version: pinned[1] };
    const root = this.endpoint.endsWith('/x-nmos/query') ? this.endpoint : `${this.endpoint}/x-nmos/query`;
    const offered = await this.json<string[]>(`${root}/`);
    if (!Array.isArray(offered)) throw new QueryApiError(`${root}/ did not list API versions`);
    const version = newestCommonVersion(SUPPORTED_QUERY_VERSIONS, offered);
    if (!version)
      throw new QueryApiError(`no common Query API version (registry offers ${versionsShown(offered)}; we speak ${SUPPORTED_QUERY_VERSIONS.join(', ')})`);
    return { base: `${root}/${version}`, version };
  }

  /** Every resource of a type, following `Link: rel="next"` from the start of time in creation order. */
  async walk(base: string, type: NmosType): Promise<Array<Record<string, unknown>>> {
    const all: Array<Record<string, unknown>> = [];
    let url: string | undefined = `${base}/${type}?paging.order=create&paging.since=0:0&paging.limit=1000`;
    for (let page = 0; url && page < 100_000; page++) {
      const response = await this.fetch(url);
      const items = (await readJson(response, url)) as Array<Record<string, unknown>>;
      if (!Array.isArray(items)) throw new QueryApiError(`${type}: the registry did not answer a list`);
      if (items.length === 0) break;
      all.push(...items);
      url = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
      // A registry without paging headers answered everything at once.
      if (!response.headers.has('x-paging-limit')) break;
    }
    return all;
  }

  /**
   * Creates a websocket subscription asking for as many grains per message as the registry allows, so
   * its snapshot comes in few messages (nmos-cpp sends 10 a message otherwise, one message per
   * max_update_rate_ms). `paging.limit` goes as a JSON number (nmos-cpp refuses a string): 1000 first;
   * where that is refused, the registry's own REST maximum (its `X-Paging-Limit`); then without it.
   */
  async subscribe(base: string, type: NmosType): Promise<string | undefined> {
    const attempts: Array<() => Promise<Record<string, unknown> | undefined>> = [
      async () => ({ 'paging.limit': SUBSCRIPTION_PAGING_LIMIT }),
      async () => {
        const maximum = await this.restPagingMaximum(base, type);
        return maximum !== undefined && maximum < SUBSCRIPTION_PAGING_LIMIT ? { 'paging.limit': maximum } : undefined;
      },
      async () => ({}),
    ];
    for (const attempt of attempts) {
      const params = await attempt();
      if (params === undefined) continue;
      const response = await this.fetch(`${base}/subscriptions`, {
        method: 'POST',
        body: JSON.stringify(subscriptionRequest(base, type, params)),
        allowStatus: true,
      });
      if (response.status === 200 || response.status === 201) {
        const body = (await readJson(response, `${base}/subscriptions`)) as { ws_href?: unknown };
        if (typeof body.ws_href !== 'string') throw new QueryApiError('subscription answer without ws_href');
        return body.ws_href;
      }
      if (response.status !== 400) return undefined; // 404, 501: no websockets here
    }
    return undefined;
  }

  /**
   * The most a REST page of this registry holds (its `X-Paging-Limit` when asked for more), if it pages.
   * Only a hint for the subscription: a registry that does not answer it is subscribed to without one.
   */
  private async restPagingMaximum(base: string, type: NmosType): Promise<number | undefined> {
    const response = await this.fetch(`${base}/${type}?paging.limit=${SUBSCRIPTION_PAGING_LIMIT}`, { allowStatus: true }).catch(() => undefined);
    await response?.body?.cancel();
    const limit = response?.ok ? Number(response.headers.get('x-paging-limit')) : NaN;
    return Number.isInteger(limit) && limit > 0 ? limit : undefined;
  }

  /**
   * The bearer token goes only to the origin it was configured for: a `ws_href` or `Link: next` the
   * registry hands out may point anywhere, and must not receive it.
   */
  headersFor(url: string): Record<string, string> {
    return this.entry.auth && sameOrigin(url, this.endpoint) ? { authorization: `Bearer ${this.entry.auth.token}` } : {};
  }

  private async json<T>(url: string): Promise<T> {
    return (await readJson(await this.fetch(url), url)) as T;
  }

  private async fetch(url: string, init: { method?: string; body?: string; allowStatus?: boolean } = {}): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: init.method ?? 'GET',
        body: init.body,
        headers: { ...this.headersFor(url), ...(init.body ? { 'content-type': 'application/json' } : {}) },
        signal: AbortSignal.timeout(this.entry.timeout_ms),
      });
    } catch (err) {
      // The kind of failure only: what a registry URL answered is shown to viewers and probes.
      const cause = (err as { cause?: { code?: unknown } }).cause?.code;
      const kind = (err as Error).name === 'TimeoutError' ? `no answer within ${this.entry.timeout_ms} ms` : `unreachable${typeof cause === 'string' ? ` (${cause})` : ''}`;
      throw new QueryApiError(`${shownUrl(url)}: ${kind}`);
    }
    if (!response.ok && !init.allowStatus) {
      await response.body?.cancel();
      throw new QueryApiError(`${shownUrl(url)} answered HTTP ${response.status}`, response.status);
    }
    return response;
  }
}
