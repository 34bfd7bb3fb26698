import { Injectable, type OnModuleInit } from '@nestjs/common';
import { withTimeout } from '#common';
import { AppConfig } from '#config';
import { DatabaseService } from '#database';
import { AlertConditions, PROBE_QUERY_TIMEOUT_MS, type ActiveCondition } from '#health';
import { AuditRepository } from '../infra/audit.repository.js';

/** Over this window, at this many takes or more, the failure ratio is worth an alert (a single failed take is not). */
const WINDOW_SECONDS = 300;
const MIN_TAKES = 5;

/** Routing's alert condition: more than ALERT_TAKE_FAILURE_PERCENT of the last five minutes' takes failed. */
@Injectable()
export class RoutingConditions implements OnModuleInit {
  constructor(
    private readonly conditions: AlertConditions,
    private readonly db: DatabaseService,
    private readonly audit: AuditRepository,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.conditions.register('routing.takes', 'cluster', () => this.takes());
  }

  private async takes(): Promise<ActiveCondition[]> {
    const { total, failed } = await withTimeout(
      this.db.read((sql) => this.audit.recentTakes(sql, WINDOW_SECONDS)),
      PROBE_QUERY_TIMEOUT_MS,
    );
    const limit = this.config.alerts.takeFailurePercent;
    if (total < MIN_TAKES || failed * 100 <= total * limit) return [];
    return [{ alert: 'take_failures', severity: 'warning', summary: `${failed} of the last ${total} takes failed in five minutes (over ${limit} %)` }];
  }
}
