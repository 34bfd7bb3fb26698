import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ExpiringCache, withTimeout } from '#common';
import { HealthContributors, PROBE_QUERY_TIMEOUT_MS } from '#health';
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
  ) {}

  onModuleInit(): void {
    this.contributors.register('registries', async () => {
      const check = this.indicators.check('registries');
      try {
        const registries = await this.cache.getOrLoad('states', () => withTimeout(this.status.connectionStates(), PROBE_QUERY_TIMEOUT_MS));
        const impaired = registries.filter((r) => r.state !== 'connected' && r.state !== 'disabled');
        return impaired.length > 0 ? check.degraded({ registries }) : check.up({ registries });
      } catch (err) {
        return check.degraded({ message: `registry state unavailable: ${(err as Error).message}` });
      }
    });
  }
}
