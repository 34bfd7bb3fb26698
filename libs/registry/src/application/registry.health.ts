import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { HealthContributors } from '#health';
import { RegistryStatusService } from './registry-status.service.js';

/** A registry that is down degrades the service but never makes it unready: the API serves what it knows. */
@Injectable()
export class RegistryHealth implements OnModuleInit {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly contributors: HealthContributors,
    private readonly status: RegistryStatusService,
  ) {}

  onModuleInit(): void {
    this.contributors.register('registries', async () => {
      const check = this.indicators.check('registries');
      try {
        const registries = (await this.status.list()).map((r) => ({ name: r.name, state: r.state, endpoint: r.endpoint, last_error: r.last_error }));
        const impaired = registries.filter((r) => r.state !== 'connected' && r.state !== 'disabled');
        return impaired.length > 0 ? check.degraded({ registries }) : check.up({ registries });
      } catch (err) {
        return check.degraded({ message: `registry state unavailable: ${(err as Error).message}` });
      }
    });
  }
}
