import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ExpiringCache, withTimeout } from '#common';
import { AlertConditions, HealthContributors, PROBE_QUERY_TIMEOUT_MS } from '#health';
import { RegistryStatusService, type RegistryHealthState } from './registry-status.service.js';

/** Probes from every orchestrator of every replica share one read a second. */
const CACHE_MS = 1_000;

/**
 * A registry that is down degrades the service but never makes it unready: the API serves what it knows.
 * The probe reads only each registry's state (bounded by the number of registries, not the plant's
 * size), at most once a second per replica, and gives up after PROBE_QUERY_TIMEOUT_MS.
 */
@Injectable()
export class RegistryHealth implements OnModuleInit {
  private readonly cache = new ExpiringCache<RegistryHealthState[]>(CACHE_MS, 1);

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly contributors: HealthContributors,
    private readonly status: RegistryStatusService,
    private readonly conditions: AlertConditions,
  ) {}

  onModuleInit(): void {
    // A registry the watchers cannot reach: its resources go stale, then are removed. A watcher retrying
    // goes down → connecting → down: both count, or the alert would restart its wait at every retry.
    this.conditions.register('registries', 'cluster', async () =>
      (await this.states())
        .filter((r) => r.state === 'down' || r.state === 'connecting')
        .map((r) => ({
          alert: 'registry_down',
          severity: 'warning' as const,
          subject: r.name,
          summary: `registry ${r.name} is not connected${r.last_error ? `: ${r.last_error}` : ''}`,
        })),
    );
    this.contributors.register('registries', async () => {
      const check = this.indicators.check('registries');
      try {
        const registries = await this.states();
        const impaired = registries.filter((r) => r.state !== 'connected' && r.state !== 'disabled');
        return impaired.length > 0 ? check.degraded({ registries }) : check.up({ registries });
      } catch (err) {
        return check.degraded({ message: `registry state unavailable: ${(err as Error).message}` });
      }
    });
  }

  private states(): Promise<RegistryHealthState[]> {
    return this.cache.getOrLoad('states', () => withTimeout(this.status.connectionStates(), PROBE_QUERY_TIMEOUT_MS));
  }
}
