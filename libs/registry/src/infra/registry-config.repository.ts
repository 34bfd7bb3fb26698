import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';
import type { PublicRegistryEntry, RegistryEntry } from '../domain/registry-entry.js';
import type { ConfigAuditRecord, Actor } from '../domain/config-audit.js';

export type { ConfigAuditRecord, Actor };

type Row = Omit<RegistryEntry, 'endpoints' | 'auth'> & { endpoints: string[]; auth: RegistryEntry['auth'] };

/** SQL for the registry configuration and its audit trail. */
@Injectable()
export class RegistryConfigRepository {
  async list(sql: Sql): Promise<RegistryEntry[]> {
    const rows = await sql.query<Row & Record<string, unknown>>(
      'SELECT name, query_url, enabled, endpoints, priority, timeout_ms, auth FROM registry_config ORDER BY position',
    );
    return rows.map((r) => ({
      name: r.name,
      query_url: r.query_url,
      enabled: r.enabled,
      endpoints: r.endpoints,
      priority: r.priority,
      timeout_ms: r.timeout_ms,
      auth: r.auth,
    }));
  }

  /** Serialises configuration changes: whoever changes it first, the other waits and sees the result. */
  async lock(sql: Sql): Promise<void> {
    await sql.query('SELECT revision FROM registry_config_revision FOR UPDATE');
  }

  async replaceAll(sql: Sql, entries: RegistryEntry[]): Promise<void> {
    await sql.execute('DELETE FROM registry_config');
    for (const [position, e] of entries.entries()) {
      await sql.execute(
        `INSERT INTO registry_config (name, position, query_url, enabled, endpoints, priority, timeout_ms, auth)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [e.name, position, e.query_url, e.enabled, JSON.stringify(e.endpoints), e.priority, e.timeout_ms, e.auth === null ? null : JSON.stringify(e.auth)],
      );
    }
    await sql.execute('UPDATE registry_config_revision SET revision = revision + 1');
  }

  async revision(sql: Sql): Promise<number> {
    const [{ revision }] = await sql.query<{ revision: string }>('SELECT revision FROM registry_config_revision');
    return Number(revision);
  }

  async audit(
    sql: Sql,
    actor: Actor,
    action: ConfigAuditRecord['action'],
    name: string,
    before: PublicRegistryEntry | null,
    after: PublicRegistryEntry | null,
  ): Promise<void> {
    await sql.execute(
      `INSERT INTO registry_config_audit (actor_kind, actor_id, actor_name, request_id, action, name, before, after)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [actor.kind, actor.id, actor.name, actor.requestId ?? null, action, name, before && JSON.stringify(before), after && JSON.stringify(after)],
    );
  }

  async auditTrail(sql: Sql, limit: number): Promise<ConfigAuditRecord[]> {
    return sql.query<ConfigAuditRecord & Record<string, unknown>>(
      'SELECT id::text, at, actor_kind, actor_id, actor_name, request_id, action, name, before, after FROM registry_config_audit ORDER BY id DESC LIMIT $1',
      [limit],
    );
  }
}
