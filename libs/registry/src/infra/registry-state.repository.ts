import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';

export type RegistryConnectionState = 'connecting' | 'syncing' | 'connected' | 'degraded' | 'down' | 'disabled';

export interface RegistryStateRow {
  name: string;
  state: RegistryConnectionState;
  endpoint: string | null;
  api_version: string | null;
  synced_types: string[];
  /** Types followed by polling: the registry granted no websocket subscription for them. */
  polled_types: string[];
  last_event_at: Date | null;
  last_error: string | null;
  changed_at: Date;
}

/** Each registry's connection state, written by the watching replica so every replica can show it. */
@Injectable()
export class RegistryStateRepository {
  async save(sql: Sql, row: Omit<RegistryStateRow, 'changed_at'>): Promise<void> {
    await sql.execute(
      `INSERT INTO registry_state (name, state, endpoint, api_version, synced_types, last_event_at, last_error, polled_types, changed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
       ON CONFLICT (name) DO UPDATE SET state = $2, endpoint = $3, api_version = $4, synced_types = $5, last_event_at = $6, last_error = $7,
         polled_types = $8, changed_at = now()`,
      [row.name, row.state, row.endpoint, row.api_version, row.synced_types, row.last_event_at, row.last_error, row.polled_types],
    );
  }

  async list(sql: Sql): Promise<RegistryStateRow[]> {
    return sql.query<RegistryStateRow & Record<string, unknown>>('SELECT * FROM registry_state ORDER BY name');
  }

  async remove(sql: Sql, name: string): Promise<void> {
    await sql.execute('DELETE FROM registry_state WHERE name = $1', [name]);
  }

  async counts(sql: Sql): Promise<Array<{ registry: string; type: string; count: number; stale: number }>> {
    return sql.query(
      `SELECT registry, type, count(*)::int AS count, count(*) FILTER (WHERE stale_since IS NOT NULL)::int AS stale
       FROM nmos_resource_copies GROUP BY registry, type`,
    );
  }
}
