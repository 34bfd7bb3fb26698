import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { withTimeout } from '#common';
import { HealthContributors, PROBE_QUERY_TIMEOUT_MS } from '#health';
import { DatabaseService } from './database.service.js';
import { LeaseService } from './lease.service.js';

/**
 * The database's part of readiness. The primary must take writes (down → 503); a replica that is down
 * or lagging only degrades the service, since reads fall back to the primary. Lease holders are shown so
 * an SRE can see which replica runs the singleton work.
 */
@Injectable()
export class DatabaseHealth implements OnModuleInit {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly contributors: HealthContributors,
    private readonly db: DatabaseService,
    private readonly leases: LeaseService,
  ) {}

  onModuleInit(): void {
    this.contributors.register('database', () => this.database());
    this.contributors.register('leases', () => this.leaseHolders());
  }

  private async database() {
    const check = this.indicators.check('database');
    const { mode, primary, replicas } = await this.db.status();
    const details = { mode, primary, replicas };
    if (!primary.up || !primary.writable) return check.down(details);
    if (replicas.some((r) => !r.serving_reads)) return check.degraded(details);
    return check.up(details);
  }

  /** Bounded like every probe query; unknown holders do not make a replica unready. */
  private async leaseHolders() {
    const holders = await withTimeout(this.leases.holders(), PROBE_QUERY_TIMEOUT_MS).catch(() => null);
    return this.indicators.check('leases').up({ instance: this.leases.instanceId, holders });
  }
}
