import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';
import { recordedActor, type Actor } from '../../domain/actor.js';

export interface AuditEntry {
  action: string;
  outcome: 'succeeded' | 'failed' | 'refused' | 'scheduled' | 'partial' | 'rolled_back' | 'rollback_failed';
  actor?: Actor;
  receiver_id?: string | null;
  sender_id?: string | null;
  salvo_id?: string;
  override_reason?: string;
  request?: unknown;
  device_answer?: unknown;
  active?: unknown;
  error?: unknown;
  duration_ms?: number;
}

export interface AuditFilter {
  action?: string;
  outcome?: string;
  receiver_id?: string;
  sender_id?: string;
  salvo_id?: string;
  actor?: string;
  since?: Date;
  until?: Date;
  before?: number;
  limit: number;
}

export interface AuditRecord extends Record<string, unknown> {
  id: string;
  at: Date;
}

@Injectable()
export class AuditRepository {
  async insert(sql: Sql, entries: AuditEntry[], replica: string): Promise<void> {
    if (entries.length === 0) return;
    const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));
    await sql.execute(
      `INSERT INTO routing_audit (action, outcome, actor, request_id, replica, receiver_id, sender_id, salvo_id, override_reason, request, device_answer, active, error, duration_ms)
       SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::jsonb[], $11::jsonb[], $12::jsonb[], $13::jsonb[], $14::int[])`,
      [
        entries.map((e) => e.action),
        entries.map((e) => e.outcome),
        entries.map((e) => json(e.actor && recordedActor(e.actor))),
        entries.map((e) => e.actor?.requestId ?? null),
        entries.map(() => replica),
        entries.map((e) => e.receiver_id ?? null),
        entries.map((e) => e.sender_id ?? null),
        entries.map((e) => e.salvo_id ?? null),
        entries.map((e) => e.override_reason ?? null),
        entries.map((e) => json(e.request)),
        entries.map((e) => json(e.device_answer)),
        entries.map((e) => json(e.active)),
        entries.map((e) => json(e.error)),
        entries.map((e) => (e.duration_ms === undefined ? null : Math.round(e.duration_ms))),
      ],
    );
  }

  /** Newest first; `before` is the last id of the previous page. */
  /** Takes (single and in salvos) recorded since `seconds` ago, and how many failed: through routing_audit_at. */
  async recentTakes(sql: Sql, seconds: number): Promise<{ total: number; failed: number }> {
    const [row] = await sql.query<{ total: number; failed: number }>(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE outcome = 'failed')::int AS failed FROM routing_audit
       WHERE at > now() - make_interval(secs => $1) AND action IN ('connection.take', 'salvo.take')`,
      [seconds],
    );
    return row;
  }

  async find(sql: Sql, filter: AuditFilter): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (condition: (n: number) => string, value: unknown) => {
      params.push(value);
      where.push(condition(params.length));
    };
    if (filter.action) add((n) => `action = $${n}`, filter.action);
    if (filter.outcome) add((n) => `outcome = $${n}`, filter.outcome);
    if (filter.receiver_id) add((n) => `receiver_id = $${n}`, filter.receiver_id);
    if (filter.sender_id) add((n) => `sender_id = $${n}`, filter.sender_id);
    if (filter.salvo_id) add((n) => `salvo_id = $${n}`, filter.salvo_id);
    if (filter.actor) add((n) => `actor ->> 'name' = $${n}`, filter.actor);
    if (filter.since) add((n) => `at >= $${n}`, filter.since);
    if (filter.until) add((n) => `at < $${n}`, filter.until);
    if (filter.before) add((n) => `id < $${n}`, filter.before);
    params.push(filter.limit);
    return sql.query<AuditRecord>(
      `SELECT id::text, at, action, outcome, actor, request_id, replica, receiver_id, sender_id, salvo_id, override_reason,
              request, device_answer, active, error, duration_ms
       FROM routing_audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY routing_audit.id DESC LIMIT $${params.length}`,
      params,
    );
  }
}
