import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';
import { versionNanos, type MergedChange, type NmosType, type ReportedResource, type ResourceKey } from '../domain/nmos-resource.js';

export type { ResourceKey };

/** Any fixed number: every merged-view write takes it, so recomputations never interleave. */
const MERGED_VIEW_LOCK = 7_364_201_603;

/**
 * SQL of the merged view: per-registry copies, and the effective resources recomputed from them in the
 * same transaction (highest version wins, presence is the union, stale only when every copy is).
 */
@Injectable()
export class MergedViewRepository {
  async lock(sql: Sql): Promise<void> {
    await sql.query('SELECT pg_advisory_xact_lock($1)', [MERGED_VIEW_LOCK]);
  }

  /**
   * A registry reports these resources (fresh: no longer stale). Answers the copies that changed: a
   * copy reported again with its version and not stale is not written at all, so a resync of unchanged
   * content (every reconnect) costs no write and no event. `last_seen` is when a copy last changed or
   * came back.
   */
  async upsertCopies(sql: Sql, registry: string, resources: ReportedResource[]): Promise<ResourceKey[]> {
    const valid = resources.filter((r) => versionNanos(r.version) !== undefined);
    if (valid.length === 0) return [];
    // One JSON document for the whole batch: PostgreSQL parses it once, and the resources' data come out
    // of it as jsonb without a text round (an array of JSON texts costs an escape per element here and
    // a parse per element there: most of a snapshot's write time, measured).
    return sql.query<ResourceKey & Record<string, unknown>>(
      `INSERT INTO nmos_resource_copies AS c (type, id, registry, version, version_ns, data)
       SELECT u.t, u.i, $1, u.v, u.n::numeric, u.d FROM jsonb_to_recordset($2::jsonb) AS u(t text, i text, v text, n text, d jsonb)
       ON CONFLICT (type, id, registry) DO UPDATE SET
         version = EXCLUDED.version, version_ns = EXCLUDED.version_ns, data = EXCLUDED.data, last_seen = now(), stale_since = NULL
       WHERE c.version IS DISTINCT FROM EXCLUDED.version OR c.stale_since IS NOT NULL
       RETURNING c.type, c.id`,
      [registry, JSON.stringify(valid.map((r) => ({ t: r.type, i: r.id, v: r.version, n: versionNanos(r.version)!, d: r.data })))],
    );
  }

  async removeCopies(sql: Sql, registry: string, keys: ResourceKey[]): Promise<ResourceKey[]> {
    if (keys.length === 0) return [];
    return sql.query<ResourceKey & Record<string, unknown>>(
      `DELETE FROM nmos_resource_copies c USING unnest($2::text[], $3::text[]) AS k(t, i)
       WHERE c.registry = $1 AND c.type = k.t AND c.id = k.i RETURNING c.type, c.id`,
      [registry, keys.map((k) => k.type), keys.map((k) => k.id)],
    );
  }

  /** After a resync of `type`: what the registry no longer reports turns stale (removed after the grace period). */
  // The grace period counts from the registry's return (a restarted registry refills over the next
  // seconds), so copies already stale from the outage are restamped too.
  async markUnreported(sql: Sql, registry: string, type: NmosType, reported: string[]): Promise<ResourceKey[]> {
    return sql.query<ResourceKey & Record<string, unknown>>(
      `UPDATE nmos_resource_copies SET stale_since = now()
       WHERE registry = $1 AND type = $2 AND NOT (id = ANY($3::text[])) RETURNING type, id`,
      [registry, type, reported],
    );
  }

  /** The registry is unreachable: all it reported turns stale. */
  async markRegistryStale(sql: Sql, registry: string): Promise<ResourceKey[]> {
    return sql.query<ResourceKey & Record<string, unknown>>(
      'UPDATE nmos_resource_copies SET stale_since = now() WHERE registry = $1 AND stale_since IS NULL RETURNING type, id',
      [registry],
    );
  }

  /** Copies stale for longer than the grace period go. */
  async pruneStale(sql: Sql, graceSeconds: number): Promise<ResourceKey[]> {
    return sql.query<ResourceKey & Record<string, unknown>>(
      'DELETE FROM nmos_resource_copies WHERE stale_since < now() - make_interval(secs => $1) RETURNING type, id',
      [graceSeconds],
    );
  }

  /** A registry removed from (or disabled in) the configuration: its copies go at once. */
  async removeRegistry(sql: Sql, registry: string): Promise<ResourceKey[]> {
    return sql.query<ResourceKey & Record<string, unknown>>('DELETE FROM nmos_resource_copies WHERE registry = $1 RETURNING type, id', [registry]);
  }

  /** Fresh planner statistics after a bulk load (autovacuum would take a minute or more to get there). */
  async analyze(sql: Sql): Promise<void> {
    await sql.execute('ANALYZE nmos_resource_copies, nmos_resources');
  }

  async registriesWithCopies(sql: Sql): Promise<string[]> {
    return (await sql.query<{ registry: string }>('SELECT DISTINCT registry FROM nmos_resource_copies')).map((r) => r.registry);
  }

  /**
   * Recomputes the effective rows of `keys` and records an event per effective change, in one statement:
   * a snapshot's resources never travel back to Node to become events (their JSON parsed here, then
   * serialised and parsed again by PostgreSQL: a third of a plant's sync time, measured). Each change
   * is `nmos.resource.<added|modified|removed>` on `nmos/<type>/<id>`, retained, with the resource now
   * (null once removed) and, unless added, as it was (`pre`). Answers the changes in `keys` order, with
   * `pre`/`post` data only for `dataFor`'s types (what followers read).
   */
  async recompute(sql: Sql, keys: ResourceKey[], events: { insertSql: (rows: string) => string }, dataFor: readonly NmosType[]): Promise<MergedChange[]> {
    const unique = [...new Map(keys.map((k) => [`${k.type}/${k.id}`, k])).values()];
    if (unique.length === 0) return [];
    const rows = await sql.query<MergedChange & Record<string, unknown>>(
      `WITH keys AS (SELECT * FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(type, id, ord)),
       -- Every key is looked up through the primary keys (LATERAL): joined as sets, the planner hashed
       -- both whole tables for each batch, so a snapshot's batches grew slower as the plant filled in.
       before AS (
         SELECT k.type, k.id, r.data, r.version
         FROM keys k CROSS JOIN LATERAL (SELECT data, version FROM nmos_resources r WHERE r.type = k.type AND r.id = k.id) r),
       agg AS (
         SELECT k.type, k.id, a.version, a.version_ns, a.data, a.registries, a.stale, a.first_seen, a.last_seen
         FROM keys k CROSS JOIN LATERAL (
           SELECT
             (array_agg(c.version ORDER BY c.version_ns DESC, c.registry))[1] AS version,
             max(c.version_ns) AS version_ns,
             (array_agg(c.data ORDER BY c.version_ns DESC, c.registry))[1] AS data,
             array_agg(c.registry ORDER BY c.registry) AS registries,
             bool_and(c.stale_since IS NOT NULL) AS stale,
             min(c.first_seen) AS first_seen,
             max(c.last_seen) AS last_seen,
             count(*) AS copies
           FROM nmos_resource_copies c WHERE c.type = k.type AND c.id = k.id) a
         WHERE a.copies > 0),
       -- Data-modifying CTEs run to completion whether or not the final SELECT reads them; every CTE
       -- reads the table as it was before the statement (before is the old effective row).
       upserted AS (
         INSERT INTO nmos_resources (type, id, version, version_ns, data, registries, stale, first_seen, last_seen)
         SELECT type, id, version, version_ns, data, registries, stale, first_seen, last_seen FROM agg
         ON CONFLICT (type, id) DO UPDATE SET
           version = EXCLUDED.version, version_ns = EXCLUDED.version_ns, data = EXCLUDED.data, registries = EXCLUDED.registries,
           stale = EXCLUDED.stale, first_seen = LEAST(nmos_resources.first_seen, EXCLUDED.first_seen), last_seen = EXCLUDED.last_seen
         RETURNING type, id),
       deleted AS (
         DELETE FROM nmos_resources r USING (SELECT b.type, b.id FROM before b WHERE NOT EXISTS (SELECT 1 FROM agg a WHERE a.type = b.type AND a.id = b.id)) gone
         WHERE r.type = gone.type AND r.id = gone.id
         RETURNING r.type, r.id),
       -- Every replica's read cache is good until this commits (ViewCache).
       moved AS (UPDATE nmos_view_generation SET generation = generation + 1),
       -- Effective changes: appeared, disappeared, or another version (a copy turning stale is not one).
       changes AS (
         SELECT k.type, k.id, k.ord, b.data AS pre, a.data AS post,
           CASE WHEN b.id IS NULL THEN 'added' WHEN a.id IS NULL THEN 'removed' ELSE 'modified' END AS change
         FROM keys k LEFT JOIN before b USING (type, id) LEFT JOIN agg a USING (type, id)
         WHERE (b.id IS NOT NULL OR a.id IS NOT NULL) AND (b.id IS NULL OR a.id IS NULL OR b.version <> a.version)),
       recorded AS (${events.insertSql(`
         SELECT 'nmos.resource.' || change AS type, left(type, -1) AS subject_kind, id AS subject_id,
           'nmos/' || type || '/' || id AS topic, true AS retained,
           jsonb_build_object('event', change, 'resource_type', type, 'resource_id', id, 'resource', post)
             || CASE WHEN pre IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('pre', pre) END AS payload,
           ord
         FROM changes`)})
       SELECT type, id, change,
         CASE WHEN type = ANY($3::text[]) THEN pre END AS pre, CASE WHEN type = ANY($3::text[]) THEN post END AS post
       FROM changes ORDER BY ord`,
      [unique.map((k) => k.type), unique.map((k) => k.id), dataFor],
    );
    return rows.map(({ type, id, change, pre, post }) => ({ type, id, change, ...(pre ? { pre } : {}), ...(post ? { post } : {}) }));
  }
}
