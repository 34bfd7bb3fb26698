import { Injectable } from '@nestjs/common';
import { eventActor, formatTai, INSTANCE_ID, taiToDate } from '#common';
import { DatabaseService, type Sql } from '#database';
import { EventsService } from '#events';
import { MetricsService, type Counter, type Histogram } from '#metrics';
import { type Actor } from '../../domain/actor.js';
import { activationInstant, type Activation } from '../domain/activation.js';
import type { ConnectionPlan } from '../domain/connection-plan.js';
import { ConnectionStateRepository, receiverStateEvent } from '../../live-state/index.js';
import type { DeviceSchedule } from '../../scheduling/index.js';
import { AuditRepository, type AuditEntry } from '../infra/audit.repository.js';
import type { ReceiverClaim } from './inflight-locks.js';

/** What a take, salvo or administrative change leaves to record, all in one transaction. */
export interface RoutingChange {
  /** Each receiver's /active as read back after the take; each becomes a receiver.state.changed event. */
  verified?: Array<{ receiverId: string; active: Record<string, unknown> }>;
  /** Activations the devices accepted for later, verified by the scheduler after their time. */
  scheduled?: Array<{ receiverId: string; senderId: string | null; activation: Activation; expected: ConnectionPlan['expected'] }>;
  audits: AuditEntry[];
  actor?: Actor;
}

/**
 * Writes what happened: each verified /active (with its receiver.state.changed event), the activations
 * scheduled on devices and the audit rows, in one transaction. The device has already acted by then, so a database outage is waited out
 * for a while rather than losing the record.
 */
@Injectable()
export class RoutingRecorder {
  private readonly outcomes: Counter<'action' | 'outcome'>;
  private readonly durations: Histogram<'action'>;
  private readonly deviceErrors: Counter<'code'>;

  constructor(
    private readonly db: DatabaseService,
    private readonly state: ConnectionStateRepository,
    private readonly audit: AuditRepository,
    private readonly events: EventsService,
    metrics: MetricsService,
  ) {
    this.outcomes = metrics.counter({
      name: 'nmos_control_routing_total',
      help: 'Routing actions recorded (take, disconnect, salvo items, rollbacks, schedules, locks, policies) by action and outcome',
      labelNames: ['action', 'outcome'],
    });
    this.durations = metrics.histogram({
      name: 'nmos_control_routing_duration_seconds',
      help: 'Duration of routing actions, device round trips and verification included, by action',
      labelNames: ['action'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
    this.deviceErrors = metrics.counter({
      name: 'nmos_control_routing_errors_total',
      help: 'Failed or refused routing actions by error code (device_timeout, device_rejected, locked, ...)',
      labelNames: ['code'],
    });
  }

  /** With the take's claim, released in the same transaction. Answers the device schedules it recorded. */
  async record(change: RoutingChange, claim?: ReceiverClaim): Promise<DeviceSchedule[]> {
    const schedules = await this.db.writeThrough(async (sql) => {
      const saved = await this.recordIn(sql, change);
      if (claim) await claim.releaseIn(sql);
      return saved;
    });
    claim?.recorded();
    return schedules;
  }

  /** The same, inside the caller's transaction. */
  async recordIn(sql: Sql, { verified = [], scheduled = [], audits, actor }: RoutingChange): Promise<DeviceSchedule[]> {
    for (const { receiverId, active } of verified) {
      const saved = await this.state.saveVerified(sql, receiverId, active, actor ? eventActor(actor) : null);
      const state = {
        receiver_id: receiverId,
        sender_id: saved.sender_id,
        master_enable: saved.master_enable,
        source: 'controller' as const,
        since: saved.verified_at.toISOString(),
      };
      await this.events.record(sql, receiverStateEvent(state, actor ? eventActor(actor) : undefined));
    }
    const schedules: DeviceSchedule[] = [];
    for (const entry of scheduled) {
      const at = activationInstant(entry.activation);
      schedules.push(
        await this.state.addDeviceSchedule(sql, {
          receiver_id: entry.receiverId,
          sender_id: entry.senderId,
          mode: entry.activation.mode,
          requested_time: entry.activation.requested_time!,
          activation_time: formatTai(at),
          activation_at: taiToDate(at),
          expected: entry.expected,
          created_by: actor ?? null,
        }),
      );
    }
    await this.audit.insert(sql, audits, INSTANCE_ID);
    // Counted once committed: a transaction retried through a failover counts once, a rolled back one never.
    sql.afterCommit(() => this.count(audits));
    return schedules;
  }

  /** Series of what was recorded. */
  private count(audits: AuditEntry[]): void {
    for (const entry of audits) {
      this.outcomes.inc({ action: entry.action, outcome: entry.outcome });
      if (entry.duration_ms !== undefined) this.durations.observe({ action: entry.action }, entry.duration_ms / 1000);
      const code = (entry.error as { error?: unknown } | undefined)?.error;
      if (typeof code === 'string') this.deviceErrors.inc({ code });
    }
  }
}
