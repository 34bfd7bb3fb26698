import { Injectable, type OnModuleInit } from '@nestjs/common';
import { withTimeout } from '#common';
import { AppConfig } from '#config';
import { AlertConditions, PROBE_QUERY_TIMEOUT_MS, type ActiveCondition } from '#health';
import { DatabaseService } from './database.service.js';
import { LeaseService } from './lease.service.js';

/**
 * The database's alert conditions: a read replica down or lagging past ALERT_REPLICA_LAG_SECONDS (reads
 * then go to the primary), and a singleton job nobody runs (a lease expired for longer than its TTL: no
 * replica took it over). An unreachable primary is the alert hooks' own concern: nothing can be recorded
 * while it lasts.
 */
@Injectable()
export class DatabaseConditions implements OnModuleInit {
  constructor(
    private readonly conditions: AlertConditions,
    private readonly db: DatabaseService,
    private readonly leases: LeaseService,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.conditions.register('database.replicas', 'cluster', () => this.replicas());
    this.conditions.register('database.leases', 'cluster', () => this.leaseHolders());
  }

  private async replicas(): Promise<ActiveCondition[]> {
    const limit = this.config.alerts.replicaLagSeconds;
    const { replicas } = await this.db.status();
    return replicas
      .filter((r) => !r.up || (r.lag_seconds ?? 0) > limit)
      .map((r) => ({
        alert: 'replica_lag',
        severity: 'warning',
        subject: r.name,
        summary: r.up
          ? `read replica ${r.name} is ${r.lag_seconds} s behind (over ${limit} s)`
          : `read replica ${r.name} is unreachable${r.error ? `: ${r.error}` : ''}`,
      }));
  }

  private async leaseHolders(): Promise<ActiveCondition[]> {
    const holders = await withTimeout(this.leases.holders(), PROBE_QUERY_TIMEOUT_MS);
    const overdue = Date.now() - this.config.leaseTtlSeconds * 1000;
    return holders
      .filter((h) => h.holder === null && h.expires_at !== null && Date.parse(h.expires_at) < overdue)
      .map((h) => ({
        alert: 'no_lease_holder',
        severity: 'critical',
        subject: h.name,
        summary: `no replica holds the ${h.name} lease (expired ${h.expires_at})`,
      }));
  }
}
