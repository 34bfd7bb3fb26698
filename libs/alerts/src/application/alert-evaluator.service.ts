import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { INSTANCE_ID, sleep } from '#common';
import { AppConfig } from '#config';
import { DatabaseService, LeaseLoop, LeaseService, type Sql } from '#database';
import { EventsService, topicSegment } from '#events';
import { AlertConditions, type ActiveCondition } from '#health';
import { MetricsService, type Counter } from '#metrics';
import { hookWants, type AlertHook } from '../domain/alert-hook.js';
import { transitions } from '../domain/alert-transitions.js';
import { alertKey, dedupeKey, retryDelayMs, type AlertNotification } from '../domain/notification.js';
import { AlertsRepository, type DueDelivery } from '../infra/alerts.repository.js';
import { WebhookSender, type SendOutcome } from '../infra/webhook-sender.js';
import { liveReportSeconds } from './replica-reporter.service.js';

export const ALERTS_LEASE = 'alerts';

/** How often due deliveries are looked for, and how many are sent at once. */
const DELIVERY_TICK_MS = 1_000;
const DELIVERY_BATCH = 20;

/**
 * Decides alerts and sends them, on the one replica holding the `alerts` lease, so each alert is sent
 * once whatever the number of replicas: every ALERT_INTERVAL_MS it reads what holds (the modules'
 * cluster conditions and every live replica's report), records what starts and ends in one transaction
 * with a delivery per hook (unique per hook and notification) and an event, then delivers them with
 * retries and backoff. Deliveries are at least once: a receiver drops repeats by `dedupe_key`.
 *
 * An unreachable primary cannot be recorded: the replica that held the lease when it lost the primary
 * (no other can take the lease while the primary is away) watches the outage itself, notifies from
 * memory, and logs what it sent once the primary is back.
 */
@Injectable()
export class AlertEvaluator implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AlertEvaluator.name);
  private readonly loop: LeaseLoop;
  private readonly pendingSince = new Map<string, number>();
  private readonly notifications: Counter<'outcome'>;
  /** The hooks as last read, for notifying through an outage. */
  private hooks: AlertHook[] = [];
  private outage?: Promise<void>;
  private stopped = false;
  /** Aborted at shutdown: the outage watch's waits and retry pauses end at once, not after minutes. */
  private readonly stopping = new AbortController();

  constructor(
    leases: LeaseService,
    metrics: MetricsService,
    private readonly db: DatabaseService,
    private readonly repository: AlertsRepository,
    private readonly conditions: AlertConditions,
    private readonly events: EventsService,
    private readonly sender: WebhookSender,
    private readonly config: AppConfig,
  ) {
    this.loop = new LeaseLoop(leases, ALERTS_LEASE, (holding, stopped) => this.run(holding, stopped));
    this.notifications = metrics.counter({
      name: 'nmos_control_alert_notifications_total',
      help: 'Alert notifications sent to hooks, by outcome: delivered, retried (an attempt failed, another follows), failed (given up)',
      labelNames: ['outcome'],
    });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    await this.loop.stop();
    await this.outage;
  }

  private async run(holding: () => boolean, stopped: AbortSignal): Promise<void> {
    this.pendingSince.clear();
    let lastEvaluation = 0;
    while (holding()) {
      if (Date.now() - lastEvaluation >= this.config.alerts.intervalMs) {
        lastEvaluation = Date.now();
        await this.evaluate().catch((err) => this.logger.warn({ err: (err as Error).message }, 'alert evaluation failed'));
      }
      await this.deliverDue(holding).catch((err) => this.logger.warn({ err: (err as Error).message }, 'alert delivery failed'));
      await sleep(DELIVERY_TICK_MS, stopped);
    }
    if (!this.stopped && !(await this.primaryUp())) this.outage ??= this.watchOutage().finally(() => (this.outage = undefined));
  }

  private async evaluate(): Promise<void> {
    const cluster = await this.conditions.holding('cluster');
    const freshSeconds = liveReportSeconds(this.config.alerts.intervalMs);
    this.hooks = await this.db.write(async (sql) => {
      const reports = await this.repository.reports(sql, freshSeconds);
      const perReplica = reports.flatMap(({ instance, conditions }) =>
        conditions.map((c) => ({ ...c, subject: c.subject ? `${instance}/${c.subject}` : instance, summary: `replica ${instance}: ${c.summary}` })),
      );
      const firing = await this.repository.firing(sql, true);
      const hooks = await this.repository.listHooks(sql);
      const { fire, resolve } = transitions([...cluster, ...perReplica], firing, this.pendingSince, Date.now(), this.config.alerts.forSeconds * 1000);
      for (const condition of fire) {
        const key = alertKey(condition);
        const startedAt = await this.repository.fire(sql, key, condition);
        await this.announce(sql, hooks, notification(condition, 'firing', startedAt, null));
      }
      for (const alert of resolve) {
        const resolvedAt = await this.repository.resolve(sql, alert.key);
        await this.announce(sql, hooks, notification(alert, 'resolved', alert.started_at, resolvedAt));
      }
      return hooks;
    });
  }

  /** A delivery per hook that wants it, and the event, in the transaction that records the change. */
  private async announce(sql: Sql, hooks: AlertHook[], n: AlertNotification): Promise<void> {
    await this.repository.queue(
      sql,
      hooks.filter((h) => hookWants(h, n.alert)).map((h) => h.id),
      n,
    );
    await this.events.record(sql, alertEvent(n));
  }

  private async deliverDue(holding: () => boolean): Promise<void> {
    const holdSeconds = Math.ceil((2 * this.config.alerts.deliveryTimeoutMs) / 1000) + 5;
    const due = await this.db.write((sql) => this.repository.claimDue(sql, DELIVERY_BATCH, holdSeconds));
    await Promise.all(
      due.map(async (delivery) => {
        if (!holding()) return; // claimed, not sent: due again once the claim lapses, on whoever holds the lease
        const outcome = await this.sender.send(delivery, delivery.payload);
        await this.db.write((sql) => this.settle(sql, delivery, outcome));
      }),
    );
  }

  private async settle(sql: Sql, delivery: DueDelivery, outcome: SendOutcome): Promise<void> {
    if (outcome.ok) {
      this.notifications.inc({ outcome: 'delivered' });
      return this.repository.delivered(sql, delivery.id, outcome.status);
    }
    const attempts = delivery.attempts + 1;
    const last = attempts >= this.config.alerts.deliveryAttempts;
    this.notifications.inc({ outcome: last ? 'failed' : 'retried' });
    if (last) this.logger.warn({ delivery: delivery.id, error: outcome.error }, 'alert notification given up');
    await this.repository.attemptFailed(sql, delivery.id, outcome.status, outcome.error, last ? null : retryDelayMs(attempts));
  }

  private async primaryUp(): Promise<boolean> {
    const { primary } = await this.db.status();
    return primary.up && primary.writable;
  }

  /**
   * The primary went away while this replica held the lease. Notify `primary_unreachable` from memory once
   * it has lasted ALERT_FOR_SECONDS, `resolved` when it is back, then record both and their deliveries.
   */
  private async watchOutage(): Promise<void> {
    const since = Date.now();
    const condition: ActiveCondition = {
      alert: 'primary_unreachable',
      severity: 'critical',
      subject: INSTANCE_ID,
      summary: `replica ${INSTANCE_ID} cannot reach a writable PostgreSQL primary`,
    };
    const startedAt = new Date(since).toISOString();
    this.logger.warn('primary unreachable while deciding alerts: watching the outage from this replica');
    const log: Array<{ hook: AlertHook; n: AlertNotification; outcome: Awaited<ReturnType<AlertEvaluator['sendNow']>> }> = [];
    let fired: AlertNotification | undefined;
    while (!this.stopped && !(await this.primaryUp())) {
      if (!fired && Date.now() - since >= this.config.alerts.forSeconds * 1000) {
        fired = notification({ ...condition, key: alertKey(condition) }, 'firing', startedAt, null);
        log.push(...(await this.notifyAll(fired)));
      }
      await sleep(Math.min(this.config.alerts.intervalMs, 5_000), this.stopping.signal);
    }
    if (!fired || this.stopped) return;
    const resolved = notification({ ...condition, key: fired.key }, 'resolved', startedAt, new Date().toISOString());
    log.push(...(await this.notifyAll(resolved)));
    await this.db
      .writeThrough(async (sql) => {
        await this.repository.recordPast(sql, resolved);
        for (const { hook, n, outcome } of log) await this.repository.logDelivered(sql, hook.id, n, outcome);
        await this.events.record(sql, alertEvent(fired));
        await this.events.record(sql, alertEvent(resolved));
      })
      .catch((err) => this.logger.warn({ err: (err as Error).message }, 'could not record the primary outage alert'));
  }

  private async notifyAll(n: AlertNotification) {
    const hooks = this.hooks.filter((h) => hookWants(h, n.alert));
    return Promise.all(hooks.map(async (hook) => ({ hook, n, outcome: await this.sendNow(hook, n) })));
  }

  /** Sends with retries and backoff, from memory (the outage path); at shutdown, one last attempt without waiting. */
  private async sendNow(hook: AlertHook, n: AlertNotification) {
    for (let attempts = 1; ; attempts++) {
      const outcome = await this.sender.send(hook, n);
      const last = attempts >= this.config.alerts.deliveryAttempts || this.stopped;
      this.notifications.inc({ outcome: outcome.ok ? 'delivered' : last ? 'failed' : 'retried' });
      if (outcome.ok || last)
        return {
          state: outcome.ok ? ('delivered' as const) : ('failed' as const),
          attempts,
          status: outcome.status,
          error: outcome.ok ? null : outcome.error,
          at: new Date(),
        };
      await sleep(retryDelayMs(attempts), this.stopping.signal);
    }
  }
}

function notification(
  alert: { key?: string; alert: string; subject?: string | null; severity: ActiveCondition['severity']; summary: string },
  status: 'firing' | 'resolved',
  startedAt: string,
  resolvedAt: string | null,
): AlertNotification {
  const key = alert.key ?? alertKey({ alert: alert.alert, subject: alert.subject ?? undefined });
  return {
    key,
    alert: alert.alert,
    subject: alert.subject ?? null,
    severity: alert.severity,
    summary: alert.summary,
    status,
    started_at: startedAt,
    resolved_at: resolvedAt,
    dedupe_key: dedupeKey(key, startedAt, status),
    instance: INSTANCE_ID,
  };
}

/** The event: the envelope's `subject` is the alert; what the alert is about is `about`. */
function alertEvent(n: AlertNotification) {
  const { instance: _instance, dedupe_key: _dedupe, subject: about, ...rest } = n;
  const payload = { ...rest, about };
  return {
    type: n.status === 'firing' ? 'alert.fired' : 'alert.resolved',
    subject: { kind: 'alert', id: n.key },
    topic: `alerts/${topicSegment(n.key)}`,
    retained: true,
    payload,
  };
}
