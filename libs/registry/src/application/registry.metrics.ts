import { Injectable, type OnModuleInit } from '@nestjs/common';
import { MetricsService } from '#metrics';
import { RegistryStatusService, type RegistryStatus } from './registry-status.service.js';

/**
 * Each registry's state, resources and stale copies. The state is two small tables; the counts group
 * the copies by registry and type, so the whole read is kept for REFRESH_MS: a scrape every few
 * seconds on every replica costs one count a quarter-minute each, whatever the plant's size.
 */
const REFRESH_MS = 15_000;
const STATES = ['connecting', 'syncing', 'connected', 'degraded', 'down', 'disabled'] as const;

@Injectable()
export class RegistryMetrics implements OnModuleInit {
  private last: { at: number; read: Promise<RegistryStatus[] | null> } | null = null;

  constructor(
    private readonly metrics: MetricsService,
    private readonly status: RegistryStatusService,
  ) {}

  onModuleInit(): void {
    const statuses = () => this.statuses();
    this.metrics.gauge({
      name: 'nmos_control_registry_state',
      help: "1 for each registry's current state (connecting, syncing, connected, degraded, down, disabled), 0 for the others",
      labelNames: ['registry', 'state'],
      async collect() {
        const found = await statuses();
        if (!found) return;
        this.reset();
        for (const r of found) for (const state of STATES) this.set({ registry: r.name, state }, r.state === state ? 1 : 0);
      },
    });
    this.metrics.gauge({
      name: 'nmos_control_registry_resources',
      help: 'Resources each registry reports, by type (refreshed every 15 s)',
      labelNames: ['registry', 'type'],
      async collect() {
        const found = await statuses();
        if (!found) return;
        this.reset();
        for (const r of found) for (const [type, count] of Object.entries(r.resources)) this.set({ registry: r.name, type }, count);
      },
    });
    this.metrics.gauge({
      name: 'nmos_control_registry_stale_resources',
      help: "Copies of each registry's resources marked stale (unreachable, or no longer reported; refreshed every 15 s)",
      labelNames: ['registry'],
      async collect() {
        const found = await statuses();
        if (!found) return;
        this.reset();
        for (const r of found) this.set({ registry: r.name }, r.stale_resources);
      },
    });
  }

  private statuses(): Promise<RegistryStatus[] | null> {
    if (!this.last || Date.now() - this.last.at > REFRESH_MS) this.last = { at: Date.now(), read: this.status.list().catch(() => null) };
    return this.last.read;
  }
}
