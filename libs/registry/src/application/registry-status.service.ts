import { Injectable } from '@nestjs/common';
import { DatabaseService } from '#database';
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
    return this.db.read(async (sql) => {
      const entries = await this.config.list(sql);
      const states = await this.states.list(sql);
      return entries.map((entry) => {
        const state = states.find((s) => s.name === entry.name);
        return {
          name: entry.name,
          state: entry.enabled ? (state?.state ?? 'connecting') : 'disabled',
          endpoint: state?.endpoint ?? null,
          last_error: state?.last_error ?? null,
        };
      });
    });
  }

  list(): Promise<RegistryStatus[]> {
    return this.db.read(async (sql) => {
      // One connection runs one statement at a time.
      const entries = await this.config.list(sql);
      const states = await this.states.list(sql);
      const counts = await this.states.counts(sql);
      return entries.map((entry) => {
        const state = states.find((s) => s.name === entry.name);
        const mine = counts.filter((c) => c.registry === entry.name);
        const synced = state?.synced_types ?? [];
        const polled = state?.polled_types ?? [];
        return {
          name: entry.name,
          enabled: entry.enabled,
          state: entry.enabled ? (state?.state ?? 'connecting') : 'disabled',
          endpoint: state?.endpoint ?? null,
          api_version: state?.api_version ?? null,
          resources: Object.fromEntries(NMOS_TYPES.map((t) => [t, mine.find((c) => c.type === t)?.count ?? 0])),
          stale_resources: mine.reduce((n, c) => n + c.stale, 0),
          last_event_at: state?.last_event_at?.toISOString() ?? null,
          last_error: state?.last_error ?? null,
          sync: { synced_types: synced, complete: synced.length === NMOS_TYPES.length },
          updates: !state?.endpoint ? null : polled.length === 0 ? 'websocket' : polled.length === NMOS_TYPES.length ? 'polling' : 'partly polling',
          polled_types: polled,
          state_since: state?.changed_at.toISOString() ?? null,
        };
      });
    });
  }
}
