import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';
import type { DiscoveredQueryApi } from '../domain/dns-sd.js';

export interface DiscoveryRow {
  found: DiscoveredQueryApi[];
  browsed_at: Date;
  last_error: string | null;
}

@Injectable()
export class RegistryDiscoveryRepository {
  async save(sql: Sql, row: DiscoveryRow): Promise<void> {
    await sql.execute(
      `INSERT INTO registry_discovery (found, browsed_at, last_error) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET found = $1, browsed_at = $2, last_error = $3`,
      [JSON.stringify(row.found), row.browsed_at, row.last_error],
    );
  }

  async load(sql: Sql): Promise<DiscoveryRow | null> {
    const [row] = await sql.query<DiscoveryRow & Record<string, unknown>>('SELECT found, browsed_at, last_error FROM registry_discovery');
    return row ?? null;
  }
}
