import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';
import { In, IsNull, type SelectQueryBuilder } from 'typeorm';
import { FlowAudit, type FlowAction } from '../domain/flow-audit.entity.js';
import { Flow, type StoredActor } from '../domain/flow.entity.js';
import type { FlowListQuery } from '../domain/flow-query.js';

type AuditInput = { flow: Flow; action: FlowAction; actor: StoredActor; diff?: FlowAudit['diff']; reason?: string | null };

/** The flow inventory through TypeORM's repositories, on the caller's connection and transaction. */
@Injectable()
export class FlowsRepository {
  find(sql: Sql, id: string, options: { forUpdate?: boolean; withDeleted?: boolean } = {}): Promise<Flow | null> {
    return sql.entities.getRepository(Flow).findOne({
      where: options.withDeleted ? { id } : { id, deleted_at: IsNull() },
      ...(options.forUpdate ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
  }

  findByFlowId(sql: Sql, flowId: string): Promise<Flow | null> {
    return sql.entities.getRepository(Flow).findOne({ where: { flow_id: flowId, deleted_at: IsNull() } });
  }

  findBySender(sql: Sql, senderId: string): Promise<Flow | null> {
    return sql.entities.getRepository(Flow).findOne({ where: { nmos_sender_id: senderId, deleted_at: IsNull() }, order: { created_at: 'ASC' } });
  }

  /** Live flows with these NMOS flow ids (the import's and the sync's duplicate check). */
  async liveByFlowIds(sql: Sql, flowIds: string[]): Promise<Flow[]> {
    if (flowIds.length === 0) return [];
    return sql.entities.getRepository(Flow).createQueryBuilder('f').where('f.deleted_at IS NULL AND f.flow_id = ANY(:ids)', { ids: flowIds }).getMany();
  }

  /** The NMOS senders live flows are linked to. */
  async linkedSenderIds(sql: Sql): Promise<Set<string>> {
    const rows = await sql.query<{ id: string }>('SELECT DISTINCT nmos_sender_id AS id FROM flows WHERE deleted_at IS NULL AND nmos_sender_id IS NOT NULL');
    return new Set(rows.map((r) => r.id));
  }

  /** Live flows linked to an NMOS sender. */
  async linkedFlowIds(sql: Sql): Promise<string[]> {
    return (await sql.query<{ id: string }>('SELECT id FROM flows WHERE deleted_at IS NULL AND nmos_sender_id IS NOT NULL ORDER BY id')).map((r) => r.id);
  }

  async byIds(sql: Sql, ids: string[], forUpdate = false): Promise<Flow[]> {
    if (ids.length === 0) return [];
    const query = sql.entities.getRepository(Flow).createQueryBuilder('f').where('f.id = ANY(:ids)', { ids });
    return (forUpdate ? query.setLock('pessimistic_write') : query).getMany();
  }

  async insert(sql: Sql, flows: Flow[]): Promise<void> {
    // Chunks keep each statement's parameters under PostgreSQL's 65,535 (about 80 columns a row).
    for (let start = 0; start < flows.length; start += 500) await sql.entities.getRepository(Flow).insert(flows.slice(start, start + 500));
  }

  async save(sql: Sql, flow: Flow): Promise<void> {
    const { id, ...fields } = flow;
    await sql.entities.getRepository(Flow).update({ id }, fields);
  }

  async purge(sql: Sql, id: string): Promise<void> {
    await sql.entities.getRepository(Flow).delete({ id });
  }

  /**
   * A page in two steps: the ids first (an index-only walk of `(sort column, id)` over live flows,
   * however deep the offset), then those rows; and the count as a plain count(*) (TypeORM's
   * getManyAndCount counts DISTINCT ids and fetches whole rows for the skipped ones).
   */
  async list(sql: Sql, query: FlowListQuery): Promise<{ flows: Flow[]; total: number }> {
    // Both directions walk the same index: ascending with nulls last, descending (backwards) with nulls first.
    const [direction, nulls] = query.sort_order === 'desc' ? (['DESC', 'NULLS FIRST'] as const) : (['ASC', 'NULLS LAST'] as const);
    const ids = (
      await this.filtered(sql, query)
        .select('f.id', 'id')
        .orderBy(`f.${query.sort_by}`, direction, nulls)
        .addOrderBy('f.id', direction)
        .offset(query.offset)
        .limit(query.limit)
        .getRawMany<{ id: string }>()
    ).map((r) => r.id);
    const [rows, count] = await Promise.all([
      ids.length > 0 ? sql.entities.getRepository(Flow).findBy({ id: In(ids) }) : Promise.resolve([]),
      this.filtered(sql, query).select('count(*)::int', 'total').getRawOne<{ total: number }>(),
    ]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    // A row deleted between the two reads is simply not in the page.
    return { flows: ids.flatMap((id) => byId.get(id) ?? []), total: count?.total ?? 0 };
  }

  /** Planner statistics and the visibility map after a bulk load (outside a transaction: VACUUM cannot run in one). */
  async vacuum(sql: Sql): Promise<void> {
    await sql.execute('VACUUM (ANALYZE) flows');
  }

  /** Every flow the filters select, for an export: ordered by what it holds (not when rows were written), so a re-import exports the same. */
  all(sql: Sql, query: FlowListQuery): Promise<Flow[]> {
    return this.filtered(sql, query).orderBy('lower(f.display_name)', 'ASC').addOrderBy('f.id', 'ASC').getMany();
  }

  async summary(sql: Sql): Promise<Record<string, unknown>> {
    const [row] = await sql.query<Record<string, unknown>>(
      `SELECT count(*) FILTER (WHERE deleted_at IS NULL)::int AS total,
              count(*) FILTER (WHERE deleted_at IS NOT NULL)::int AS deleted,
              count(*) FILTER (WHERE deleted_at IS NULL AND locked)::int AS locked,
              count(*) FILTER (WHERE deleted_at IS NULL AND multicast_addr_b IS NOT NULL)::int AS redundant,
              count(*) FILTER (WHERE deleted_at IS NULL AND nmos_sender_id IS NOT NULL)::int AS linked_to_nmos,
              COALESCE((SELECT jsonb_object_agg(k, n) FROM (SELECT COALESCE(media_type, 'unknown') AS k, count(*)::int AS n FROM flows WHERE deleted_at IS NULL GROUP BY 1) m), '{}') AS by_media_type,
              COALESCE((SELECT jsonb_object_agg(k, n) FROM (SELECT flow_status AS k, count(*)::int AS n FROM flows WHERE deleted_at IS NULL GROUP BY 1) s), '{}') AS by_status,
              COALESCE((SELECT jsonb_object_agg(k, n) FROM (SELECT availability AS k, count(*)::int AS n FROM flows WHERE deleted_at IS NULL GROUP BY 1) a), '{}') AS by_availability
         FROM flows`,
    );
    return row;
  }

  async audit(sql: Sql, entry: AuditInput): Promise<void> {
    await this.auditMany(sql, [entry]);
  }

  async auditMany(sql: Sql, entries: AuditInput[]): Promise<void> {
    const at = new Date();
    const rows = entries.map((entry) => ({
      flow_row_id: entry.flow.id,
      flow_id: entry.flow.flow_id,
      action: entry.action,
      actor: entry.actor,
      diff: entry.diff ?? {},
      reason: entry.reason ?? null,
      at,
    }));
    for (let start = 0; start < rows.length; start += 2_000) {
      await sql.entities.getRepository(FlowAudit).insert(rows.slice(start, start + 2_000));
    }
  }

  history(sql: Sql, id: string, limit: number): Promise<FlowAudit[]> {
    return sql.entities.getRepository(FlowAudit).find({ where: { flow_row_id: id }, order: { seq: 'DESC' }, take: limit });
  }

  private filtered(sql: Sql, query: FlowListQuery): SelectQueryBuilder<Flow> {
    const builder = sql.entities.getRepository(Flow).createQueryBuilder('f');
    builder.where(query.include_deleted ? 'TRUE' : 'f.deleted_at IS NULL');
    for (const field of ['media_type', 'st2110_format', 'flow_status', 'availability', 'data_source', 'redundancy_group', 'transport_protocol'] as const) {
      const value = query[field];
      if (value !== undefined) builder.andWhere(`f.${field} = :${field}`, { [field]: value });
    }
    for (const field of ['nmos_sender_id', 'nmos_node_id', 'nmos_device_id', 'bucket_id'] as const) {
      const value = query[field];
      if (value !== undefined) builder.andWhere(`f.${field} = :${field}`, { [field]: value });
    }
    if (query.locked !== undefined) builder.andWhere('f.locked = :locked', { locked: query.locked });
    if (query.multicast_addr !== undefined) {
      builder.andWhere('(f.multicast_addr_a = :group OR f.multicast_addr_b = :group)', { group: query.multicast_addr });
    }
    if (query.q !== undefined) {
      // search_text (the migration) holds every searched field lower-cased, behind a trigram index.
      builder.andWhere('f.search_text LIKE :pattern', { pattern: `%${query.q.toLowerCase().replace(/[\\%_]/g, '\\$&')}%` });
    }
    return builder;
  }
}
