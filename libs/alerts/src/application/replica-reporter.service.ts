import { Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { INSTANCE_ID } from '#common';
import { AppConfig } from '#config';
import { DatabaseService } from '#database';
import { AlertConditions } from '#health';
import { AlertsRepository } from '../infra/alerts.repository.js';

/** A replica that has not reported for three intervals is gone: its last report no longer counts. */
export function liveReportSeconds(intervalMs: number): number {
  return Math.ceil((3 * intervalMs) / 1000);
}

/**
 * Every replica tells the alert evaluator what holds on it (its broker link) through a row of its own,
 * every ALERT_INTERVAL_MS: the evaluator sees every replica, not only itself. A replica that stops
 * cleanly removes its row; a dead one's row goes stale and is ignored.
 */
@Injectable()
export class ReplicaReporter implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ReplicaReporter.name);
  private timer?: NodeJS.Timeout;
  private reporting?: Promise<void>;

  constructor(
    private readonly db: DatabaseService,
    private readonly repository: AlertsRepository,
    private readonly conditions: AlertConditions,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const tick = () => {
      this.reporting ??= this.report().finally(() => (this.reporting = undefined));
    };
    this.timer = setInterval(tick, this.config.alerts.intervalMs);
    this.timer.unref();
    tick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.reporting;
    await this.db.write((sql) => this.repository.withdraw(sql, INSTANCE_ID)).catch(() => undefined);
  }

  private async report(): Promise<void> {
    try {
      const holding = await this.conditions.holding('replica');
      await this.db.write((sql) => this.repository.report(sql, INSTANCE_ID, holding));
    } catch (err) {
      // The primary is away: the evaluator's own outage watch covers that.
      this.logger.debug({ err: (err as Error).message }, 'could not report this replica’s conditions');
    }
  }
}
