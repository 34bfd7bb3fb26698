import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ExpiringCache } from '#common';
import { MetricsService, type Gauge } from '#metrics';
import { RegistryStatusService, type RegistryStatus } from './registry-status.service.js';

/**
 * Each registry's state, resources and stale copies, from the status the API shows. Its counts group
 * every copy by registry and type (a scan at plant size), so one read serves every scrape for
 * REFRESH_MS: one count a quarter-minute per replica, however often Prometheus scrapes.
 */
const REFRESH_MS = 15_000;
const STATES = ['connecting', 'syncing', 'connected', 'degraded', 'down', 'disabled'] as const;

@Injectable()
export class RegistryMetrics implements OnModuleInit {
  private readonly cache = new ExpiringCache<RegistryStatus[] | null>(REFRESH_MS, 1);

  constructor(
    private readonly metrics: MetricsService,
    private readonly status: RegistryStatusService,
  ) {}

  onModuleInit(): void {
    this.fromStatus(
      'nmos_control_registry_state',
      "1 for each registry's current state (connecting, syncing, connected, degraded, down, disabled), 0 for the others",
      ['registry', 'state'],
      (gauge, r) => {
        for (const state of STATES) gauge.set({ registry: r.name, state }, r.state === state ? 1 : 0);
      },
    );
    this.fromStatus('nmos_control_registry_resources', 'Resources each registry reports, by type (refreshed every 15 s)', ['registry', 'type'], (gauge, r) => {
      for (const [type, count] of Object.entries(r.resources)) gauge.set({ registry: r.name, type }, count);
    });
    this.fromStatus(
      'nmos_control_registry_stale_resources',
      "Copies of each registry's resources marked stale (unreachable, or no longer reported; refreshed every 15 s)",
      ['registry'],
      (gauge, r) => gauge.set({ registry: r.name }, r.stale_resources),
    );
  }

  /** A gauge filled per registry at scrape time; an unreadable status keeps the last figures. */
  private fromStatus<L extends string>(name: string, help: string, labelNames: L[], fill: (gauge: Gauge<L>, registry: RegistryStatus) => void): void {
    const statuses = () => this.cache.getOrLoad('status', () => this.status.list().catch(() => null));
    this.metrics.gauge<L>({
      name,
      help,
      labelNames,
      async collect() {
        const found = await statuses();
        if (!found) return;
        this.reset();
        for (const registry of found) fill(this, registry);
      },
    });
  }
}
