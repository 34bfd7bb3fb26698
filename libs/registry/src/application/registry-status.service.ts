import { Injectable } from '@nestjs/common';
import { AppConfig } from '#config';
import { DatabaseService, type Sql } from '#database';
import { DISCOVERED_REGISTRY_NAME, type DiscoveredQueryApi } from '../domain/dns-sd.js';
import { NMOS_TYPES } from '../domain/nmos-resource.js';
import { RegistryConfigRepository } from '../infra/registry-config.repository.js';
import { RegistryDiscoveryRepository } from '../infra/registry-discovery.repository.js';
import { RegistryStateRepository, type RegistryConnectionState } from '../infra/registry-state.repository.js';

export interface RegistryStatus {
  name: string;
  /** `configured` (the registry configuration) or `dns-sd` (the Query APIs found by DNS-SD, one logical registry). */
  source: 'configured' | 'dns-sd';
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
  /** Only for `dns-sd`: every service the last browse found, with the URL used or why it is ignored. */
  discovery?: { browsed_at: string | null; found: DiscoveredQueryApi[]; last_error: string | null };
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
    private readonly discovery: RegistryDiscoveryRepository,
    private readonly settings: AppConfig,
  ) {}

  /**
   * Each registry's connection state alone: two small tables whose size is the number of registries,
   * whatever the plant's size (no count over resource copies), for the readiness probe.
   */
  connectionStates(): Promise<RegistryHealthState[]> {
    return this.db.read(async (sql) =>
      (await this.configuredWithState(sql)).map(({ name, state, row, lastError }) => ({
        name,
        state,
        endpoint: row?.endpoint ?? null,
        last_error: lastError ?? row?.last_error ?? null,
      })),
    );
  }

  list(): Promise<RegistryStatus[]> {
    return this.db.read(async (sql) => {
      // One connection runs one statement at a time.
      const registries = await this.configuredWithState(sql);
      const counts = await this.states.counts(sql);
      return registries.map(({ name, source, enabled, state, row, lastError, discovery }) => {
        const mine = counts.filter((c) => c.registry === name);
        const synced = row?.synced_types ?? [];
        const polled = row?.polled_types ?? [];
        return {
          name,
          source,
          enabled,
          state,
          endpoint: row?.endpoint ?? null,
          api_version: row?.api_version ?? null,
          resources: Object.fromEntries(NMOS_TYPES.map((t) => [t, mine.find((c) => c.type === t)?.count ?? 0])),
          stale_resources: mine.reduce((n, c) => n + c.stale, 0),
          last_event_at: row?.last_event_at?.toISOString() ?? null,
          last_error: lastError ?? row?.last_error ?? null,
          sync: { synced_types: synced, complete: synced.length === NMOS_TYPES.length },
          updates: !row?.endpoint ? null : polled.length === 0 ? 'websocket' : polled.length === NMOS_TYPES.length ? 'polling' : 'partly polling',
          polled_types: polled,
          state_since: row?.changed_at.toISOString() ?? null,
          ...(discovery ? { discovery } : {}),
        };
      });
    });
  }

  /**
   * Every configured registry with its saved state row and the state shown (a disabled one is
   * `disabled`), then, when DNS-SD discovery is on, the registry it found: `connecting` until the first
   * browse, `down` with the reason while nothing usable is advertised.
   */
  private async configuredWithState(sql: Sql) {
    const entries = await this.config.list(sql);
    const rows = await this.states.list(sql);
    const registries = entries.map((entry) => {
      const row = rows.find((r) => r.name === entry.name);
      const state: RegistryConnectionState = entry.enabled ? (row?.state ?? 'connecting') : 'disabled';
      return { name: entry.name, source: 'configured' as const, enabled: entry.enabled, state, row, lastError: undefined, discovery: undefined };
    });
    if (this.settings.registry.dnsSd.mode === 'off') return registries;
    const found = await this.discovery.load(sql);
    const usable = found?.found.some((api) => api.url !== null) ?? false;
    const row = usable ? rows.find((r) => r.name === DISCOVERED_REGISTRY_NAME) : undefined;
    const nothing = `no usable Query API advertised by DNS-SD (${this.where()})${found?.last_error ? `: ${found.last_error}` : ''}`;
    // Not browsed yet (the first browse is on its way): not known to be down.
    const state: RegistryConnectionState = !found ? 'connecting' : usable ? (row?.state ?? 'connecting') : 'down';
    return [
      ...registries,
      {
        name: DISCOVERED_REGISTRY_NAME,
        source: 'dns-sd' as const,
        enabled: true,
        state,
        row,
        lastError: !found || usable ? undefined : nothing,
        discovery: { browsed_at: found?.browsed_at.toISOString() ?? null, found: found?.found ?? [], last_error: found?.last_error ?? null },
      },
    ];
  }

  private where(): string {
    const { mode, domain } = this.settings.registry.dnsSd;
    return [mode !== 'mdns' && domain ? `_nmos-query._tcp.${domain}` : null, mode === 'mdns' || mode === 'both' ? '_nmos-query._tcp.local' : null]
      .filter(Boolean)
      .join(', ');
  }
}
