import { Injectable } from '@nestjs/common';
import { DatabaseService, type Sql } from '#database';
import { NMOS_TYPES } from '../domain/nmos-resource.js';
import { RegistryConfigRepository } from '../infra/registry-config.repository.js';
import { RegistryStateRepository, type RegistryConnectionState } from '../infra/registry-state.repository.js';

export interface RegistryStatus {
  name: string;
  enabled: boolean;
  state: RegistryConnectionState;
  endpoint: string | null;
  api_version: string | null;
  resources: Record<string, number>;
  stale_resources: number;
  last_event_at: string | null;
  last_error: string | null;
  sync: { synced_types: string[]; complete: boolean };
  /** How changes arrive: websocket subscriptions, polling (the registry granted none), or both. */
  updates: 'websocket' | 'polling' | 'partly polling' | null;
  polled_types: string[];
  state_since: string | null;
}

export interface RegistryHealthState {
  name: string;
  state: RegistryConnectionState;
  endpoint: string | null;
  last_error: string | null;
}

/** Per registry, what the watching replica knows, read by any replica. */
@Injectable()
export class RegistryStatusService {
  constructor(
    private readonly db: DatabaseService,
    private readonly config: RegistryConfigRepository,
    private readonly states: RegistryStateRepository,
  ) {}

  /**
   * Each registry's connection state alone: two small tables whose size is the number of registries,
   * whatever the plant's size (no count over resource copies), for the readiness probe.
   */
  connectionStates(): Promise<RegistryHealthState[]> {
    return this.db.read(async (sql) =>
      (await this.configuredWithState(sql)).map(({ name, state, row }) => ({
        name,
        state,
        endpoint: row?.endpoint ?? null,
        last_error: row?.last_error ?? null,
      })),
    );
  }

  list(): Promise<RegistryStatus[]> {
    return this.db.read(async (sql) => {
      // One connection runs one statement at a time.
      const registries = await this.configuredWithState(sql);
      const counts = await this.states.counts(sql);
      return registries.map(({ name, enabled, state, row }) => {
        const mine = counts.filter((c) => c.registry === name);
        const synced = row?.synced_types ?? [];
        const polled = row?.polled_types ?? [];
        return {
          name,
          enabled,
          state,
          endpoint: row?.endpoint ?? null,
          api_version: row?.api_version ?? null,
          resources: Object.fromEntries(NMOS_TYPES.map((t) => [t, mine.find((c) => c.type === t)?.count ?? 0])),
          stale_resources: mine.reduce((n, c) => n + c.stale, 0),
          last_event_at: row?.last_event_at?.toISOString() ?? null,
          last_error: row?.last_error ?? null,
          sync: { synced_types: synced, complete: synced.length === NMOS_TYPES.length },
          updates: !row?.endpoint ? null : polled.length === 0 ? 'websocket' : polled.length === NMOS_TYPES.length ? 'polling' : 'partly polling',
          polled_types: polled,
          state_since: row?.changed_at.toISOString() ?? null,
        };
      });
    });
  }

  /** Every configured registry with its saved state row, and the state shown (a disabled one is `disabled`). */
  private async configuredWithState(sql: Sql) {
    const entries = await this.config.list(sql);
    const rows = await this.states.list(sql);
    return entries.map((entry) => {
      const row = rows.find((r) => r.name === entry.name);
      const state: RegistryConnectionState = entry.enabled ? (row?.state ?? 'connecting') : 'disabled';
      return { name: entry.name, enabled: entry.enabled, state, row };
    });
  }
}
