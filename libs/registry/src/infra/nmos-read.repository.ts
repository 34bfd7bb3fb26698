import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';
import type { NmosType } from '../domain/nmos-resource.js';
import { basicQueryPath, basicQueryVariables } from '../domain/resource-filter.js';
import type { MergedResource, ResourceCopy } from '../domain/merged-resource.js';

export type { MergedResource, ResourceCopy };

export const SORT_KEYS = { label: 'label', id: 'id', version: 'version_ns', first_seen: 'first_seen', last_seen: 'last_seen' } as const;
export type SortKey = keyof typeof SORT_KEYS;

export interface ListQuery {
  type: NmosType;
  filters: Array<[string, string]>;
  text?: string;
  registry?: string;
  stale?: boolean;
  sort: SortKey;
  descending: boolean;
  limit: number;
  after?: [string, string];
}

const COLUMNS = 'type, id, version, stale, registries, first_seen, last_seen, data AS resource';

/** Where a resource stands in an IS-04 listing: its version (update order) or when it was first seen (create). */
function queryApiOrder(order: 'update' | 'create'): string {
  return order === 'update' ? 'version_ns' : '(extract(epoch FROM first_seen) * 1000000000)::numeric(30,0)';
}

/** Reads of the merged view (through the lag-tolerant read path). */
@Injectable()
export class NmosReadRepository {
  async count(sql: Sql, query: ListQuery): Promise<number> {
    const params: unknown[] = [query.type];
    const where = ['type = $1', ...this.conditions(query, params)];
    return Number((await sql.query<{ n: string }>(`SELECT count(*) AS n FROM nmos_resources WHERE ${where.join(' AND ')}`, params))[0].n);
  }

  /**
   * One page as JSON text built by PostgreSQL (no parse and re-serialise of every resource in Node),
   * with the last row's sort value and id for the next page's cursor.
   */
  async page(sql: Sql, query: ListQuery): Promise<{ json: string; count: number; lastKey: string | null; lastId: string | null }> {
    const params: unknown[] = [query.type];
    const where = ['type = $1', ...this.conditions(query, params)];
    const key = SORT_KEYS[query.sort];
    if (query.after) {
      params.push(query.after[0], query.after[1]);
      const cast = query.sort === 'version' ? '::numeric' : query.sort.endsWith('_seen') ? '::timestamptz' : '';
      where.push(`(${key}, id) ${query.descending ? '<' : '>'} ($${params.length - 1}${cast}, $${params.length})`);
    }
    params.push(query.limit);
    const direction = query.descending ? 'DESC' : 'ASC';
    const order = `k ${direction}, id ${direction}`;
    const [row] = await sql.query<{ json: string; count: number; last_key: string | null; last_id: string | null }>(
      `SELECT COALESCE(json_agg(json_build_object('type', type, 'id', id, 'version', version, 'stale', stale, 'registries', registries,
                 'first_seen', first_seen, 'last_seen', last_seen, 'resource', data) ORDER BY ${order}), '[]')::text AS json,
              count(*)::int AS count,
              (array_agg(k::text ORDER BY ${order}))[count(*)] AS last_key,
              (array_agg(id ORDER BY ${order}))[count(*)] AS last_id
       FROM (SELECT *, ${key} AS k FROM nmos_resources WHERE ${where.join(' AND ')} ORDER BY ${key} ${direction}, id ${direction} LIMIT $${params.length}) page`,
      params,
    );
    return { json: row.json, count: row.count, lastKey: row.last_key, lastId: row.last_id };
  }

  async get(sql: Sql, type: NmosType, id: string): Promise<(MergedResource & { copies: ResourceCopy[] }) | undefined> {
    const [found] = await sql.query<MergedResource & Record<string, unknown>>(`SELECT ${COLUMNS} FROM nmos_resources WHERE type = $1 AND id = $2`, [type, id]);
    if (!found) return undefined;
    const copies = await sql.query<ResourceCopy & Record<string, unknown>>(
      'SELECT registry, version, first_seen, last_seen, stale_since IS NOT NULL AS stale FROM nmos_resource_copies WHERE type = $1 AND id = $2 ORDER BY registry',
      [type, id],
    );
    return { ...found, copies };
  }

  /** The merged view's generation: moved by every write to it (see ViewCache). */
  async generation(sql: Sql): Promise<string> {
    return (await sql.query<{ generation: string }>('SELECT generation::text AS generation FROM nmos_view_generation'))[0].generation;
  }

  /**
   * A page of the IS-04 Query API: (since, until] by version (update order) or first sight (create),
   * newest first, one row more than asked to know the page's exact bounds. Resources as JSON text.
   */
  async queryApiPage(
    sql: Sql,
    slice: { type: NmosType; filters: Array<[string, string]>; order: 'update' | 'create'; since?: bigint; until: bigint; forward: boolean; limit: number },
  ): Promise<Array<{ at: bigint; resource: string }>> {
    const { type, filters, order, since, until, forward, limit } = slice;
    const params: unknown[] = [type];
    const where = ['type = $1', ...this.conditions({ filters }, params)];
    const at = queryApiOrder(order);
    params.push(until.toString());
    where.push(`${at} <= $${params.length}::numeric`);
    if (since !== undefined) {
      params.push(since.toString());
      where.push(`${at} > $${params.length}::numeric`);
    }
    // Forward (only `since` asked): the oldest entries after it; otherwise the newest up to `until`.
    params.push(limit + 1);
    const rows = await sql.query<{ at: string; resource: string }>(
      `SELECT ${at}::text AS at, data::text AS resource FROM nmos_resources WHERE ${where.join(' AND ')} ORDER BY ${at} ${forward ? 'ASC' : 'DESC'}, id LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => ({ at: BigInt(r.at), resource: r.resource }));
  }

  /** The first position (version or first sight) after `after` among the resources a Query API listing selects, if any. */
  async firstAfter(sql: Sql, type: NmosType, filters: Array<[string, string]>, order: 'update' | 'create', after: bigint): Promise<bigint | undefined> {
    const params: unknown[] = [type];
    const where = ['type = $1', ...this.conditions({ filters }, params)];
    const at = queryApiOrder(order);
    params.push(after.toString());
    where.push(`${at} > $${params.length}::numeric`);
    const [row] = await sql.query<{ at: string | null }>(`SELECT min(${at})::text AS at FROM nmos_resources WHERE ${where.join(' AND ')}`, params);
    return row.at === null ? undefined : BigInt(row.at);
  }

  async getResource(sql: Sql, type: NmosType, id: string): Promise<Record<string, unknown> | undefined> {
    const [row] = await sql.query<{ data: Record<string, unknown> }>('SELECT data FROM nmos_resources WHERE type = $1 AND id = $2', [type, id]);
    return row?.data;
  }

  async all(sql: Sql, type: NmosType, ids?: string[]): Promise<Array<{ id: string; version: string; resource: Record<string, unknown> }>> {
    return ids
      ? sql.query('SELECT id, version, data AS resource FROM nmos_resources WHERE type = $1 AND id = ANY($2::text[])', [type, ids])
      : sql.query('SELECT id, version, data AS resource FROM nmos_resources WHERE type = $1 ORDER BY label, id', [type]);
  }

  /** Through nmos_resources_sender_transport (a facility has tens of thousands of RTP senders and a few IS-07 ones). */
  async sendersByTransport(sql: Sql, transport: string): Promise<Array<{ id: string; version: string; resource: Record<string, unknown> }>> {
    return sql.query("SELECT id, version, data AS resource FROM nmos_resources WHERE type = 'senders' AND data ->> 'transport' = $1 ORDER BY label, id", [
      transport,
    ]);
  }

  private conditions(query: Pick<ListQuery, 'filters'> & Partial<ListQuery>, params: unknown[]): string[] {
    const where: string[] = [];
    for (const [path, value] of query.filters) {
      const { predicate, vars } = basicQueryVariables(value);
      params.push(`${basicQueryPath(path)} ? (${predicate})`, JSON.stringify(vars));
      where.push(`jsonb_path_exists(data, $${params.length - 1}::jsonpath, $${params.length}::jsonb)`);
    }
    if (query.text) {
      params.push(`%${query.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      where.push(`(label ILIKE $${params.length} OR data ->> 'description' ILIKE $${params.length})`);
    }
    if (query.registry) {
      params.push(query.registry);
      where.push(`$${params.length} = ANY(registries)`);
    }
    if (query.stale !== undefined) {
      params.push(query.stale);
      where.push(`stale = $${params.length}`);
    }
    return where;
  }
}
