import { Injectable } from '@nestjs/common';
import { INSTANCE_ID } from '#common';
import { AppConfig } from '#config';
import { DatabaseService, LeaseService } from '#database';
import type { ActiveCondition } from '#health';
import { AlertsRepository } from '../infra/alerts.repository.js';
import { liveReportSeconds } from './replica-reporter.service.js';

export interface ReplicaView {
  instance: string;
  /** The replica answering this request. */
  self: boolean;
  /** When it last reported (every ALERT_INTERVAL_MS); a replica silent for three intervals is gone. */
  reported_at: string;
  /** What holds on it now (its broker link down, …); empty when all is well. */
  conditions: ActiveCondition[];
  /** The singleton jobs it runs (event relay, registry watchers, scheduler, …). */
  leases: string[];
}

/** Every live replica of the deployment, as each reports itself, with the leases it holds: the duty engineer's "who is up". */
@Injectable()
export class ReplicasService {
  constructor(
    private readonly db: DatabaseService,
    private readonly repository: AlertsRepository,
    private readonly leases: LeaseService,
    private readonly config: AppConfig,
  ) {}

  async list(): Promise<ReplicaView[]> {
    const freshSeconds = liveReportSeconds(this.config.alerts.intervalMs);
    const [reports, holders] = await Promise.all([this.db.readPrimary((sql) => this.repository.reports(sql, freshSeconds)), this.leases.holders()]);
    return reports.map((report) => ({
      instance: report.instance,
      self: report.instance === INSTANCE_ID,
      reported_at: report.reported_at.toISOString(),
      conditions: report.conditions,
      leases: holders.filter((h) => h.holder === report.instance).map((h) => h.name),
    }));
  }
}
