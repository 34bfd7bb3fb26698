import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { INSTANCE_ID, sleep } from '#common';
import { hasAtLeast, PrincipalDirectory, type Principal } from '#auth';
import { AppConfig } from '#config';
import { DatabaseService, IdempotencyService, LeaseLoop, LeaseService } from '#database';
import type { Actor, RecordedActor } from '../../domain/actor.js';
import { activeMismatches, type ConnectionPlan, DeviceGateway, RoutingRecorder, SalvoService, TargetResolver } from '../../routing/index.js';
import { ConnectionStateRepository } from '../../live-state/index.js';
import type { DeviceSchedule } from '../domain/device-schedule.js';
import { SalvoRepository, type ControllerSchedule } from '../infra/salvo.repository.js';

export const ROUTING_SCHEDULER_LEASE = 'routing-scheduler';

/** How often the holder looks for due work; a schedule fires at most this late (plus the salvo itself). */
const TICK_MS = 100;
/** Idempotency keys are kept a day: retries come within minutes, a day covers any client's patience. */
const IDEMPOTENCY_KEEP_SECONDS = 86_400;
const PRUNE_EVERY_MS = 10 * 60_000;
/** A device-side activation is checked on /active this long after its time. */
const VERIFY_AFTER_MS = 500;

/**
 * Work done by one replica (the `routing-scheduler` lease holder):
 * - controller-side schedules: each is claimed in a committed UPDATE before it fires, so it fires once
 *   even with several replicas and after a takeover; one missed for longer than SCHEDULE_MISSED_WINDOW
 *   is marked missed; one a dead holder had claimed is marked interrupted, never fired twice;
 * - device-side scheduled activations: verified on /active once their time has passed;
 * - idempotency keys older than a day are pruned.
 */
@Injectable()
export class RoutingScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RoutingScheduler.name);
  private readonly loop: LeaseLoop;
  /** Salvos fired and still running: they overlap the ticks, and stopping waits for them. */
  private readonly firing = new Set<Promise<void>>();

  constructor(
    private readonly db: DatabaseService,
    leases: LeaseService,
    private readonly salvos: SalvoRepository,
    private readonly state: ConnectionStateRepository,
    private readonly salvoService: SalvoService,
    private readonly resolver: TargetResolver,
    private readonly devices: DeviceGateway,
    private readonly recorder: RoutingRecorder,
    private readonly idempotency: IdempotencyService,
    private readonly config: AppConfig,
    private readonly principals: PrincipalDirectory,
  ) {
    this.loop = new LeaseLoop(leases, ROUTING_SCHEDULER_LEASE, (holding) => this.run(holding));
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }

  private async run(holding: () => boolean): Promise<void> {
    try {
      const interrupted = await this.db.write((sql) => this.salvos.interruptOthers(sql, INSTANCE_ID));
      for (const s of interrupted) this.logger.warn({ schedule: s.id, holder: s.claimed_by }, 'schedule interrupted by its replica stopping: not fired again');
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not check for interrupted schedules');
    }
    let lastVerify = 0;
    let lastPrune = 0;
    while (holding()) {
      try {
        await this.fireDue(holding);
        if (Date.now() - lastVerify >= 250) {
          lastVerify = Date.now();
          await this.verifyDeviceSchedules();
        }
        if (Date.now() - lastPrune >= PRUNE_EVERY_MS) {
          lastPrune = Date.now();
          await this.idempotency.prune(IDEMPOTENCY_KEEP_SECONDS);
        }
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'scheduler tick failed; retrying');
        await sleep(1_000);
      }
      await sleep(TICK_MS);
    }
    await Promise.all(this.firing);
  }

  private async fireDue(holding: () => boolean): Promise<void> {
    if (!(await this.db.readPrimary((sql) => this.salvos.anyDue(sql)))) return;
    const missed = await this.db.write((sql) => this.salvos.markMissed(sql, this.config.routing.scheduleMissedWindowSeconds));
    for (const s of missed) this.logger.warn({ schedule: s.id, fire_at: s.fire_at }, 'schedule missed: no replica could fire it in time');
    for (;;) {
      if (!holding()) return;
      const claimed = await this.db.write((sql) => this.salvos.claimDue(sql, INSTANCE_ID));
      if (!claimed) return;
      const fired = this.fire(claimed).finally(() => this.firing.delete(fired));
      this.firing.add(fired);
    }
  }

  private async fire(schedule: ControllerSchedule): Promise<void> {
    // The schedule acts as the person who made it, as they are now: their locks are theirs, their
    // current role's policies apply, and a creator deleted, revoked or demoted since cannot act at all.
    const stored = schedule.created_by as RecordedActor;
    let state: 'fired' | 'failed' = 'failed';
    let result: unknown;
    let refusal: string | undefined;
    try {
      const creator = await this.principals.current(stored.kind as Principal['kind'], stored.id);
      refusal = !creator
        ? `its creator (${stored.kind === 'user' ? 'user' : 'API token'} "${stored.name}") no longer exists or was revoked`
        : !hasAtLeast(creator.role, 'operator')
          ? `its creator "${creator.name}" is now ${creator.role}, which may not route`
          : undefined;
      if (refusal) result = { error: `not fired: ${refusal}` };
      else {
        const actor: Actor = { kind: creator!.kind, id: creator!.id, name: creator!.name, role: creator!.role, requestId: `schedule:${schedule.id}` };
        const fired = await this.salvoService.fire(actor, schedule.salvo, undefined, schedule.salvo_name ?? undefined);
        state = fired.outcome === 'succeeded' ? 'fired' : 'failed';
        result = fired;
      }
    } catch (err) {
      result = { error: (err as Error).message };
    }
    if (refusal) this.logger.warn({ schedule: schedule.id, reason: refusal }, 'schedule not fired');
    await this.db
      .writeThrough(async (sql) => {
        await this.salvos.finish(sql, schedule.id, state, result);
        if (refusal)
          await this.recorder.recordIn(sql, {
            audits: [
              {
                action: 'schedule.refused',
                outcome: 'failed',
                actor: { kind: stored.kind, id: stored.id, name: stored.name, role: stored.role, requestId: `schedule:${schedule.id}` },
                request: { id: schedule.id, salvo_name: schedule.salvo_name },
                error: { reason: refusal },
              },
            ],
          });
      })
      .catch((err: Error) => {
        this.logger.error({ schedule: schedule.id, err: err.message }, 'could not record a fired schedule');
      });
  }

  private async verifyDeviceSchedules(): Promise<void> {
    const due = await this.db.readPrimary((sql) => this.state.due(sql, VERIFY_AFTER_MS));
    await Promise.all(due.map((schedule) => this.verifyOne(schedule)));
  }

  private async verifyOne(schedule: DeviceSchedule): Promise<void> {
    const [target] = await this.resolver.resolve([{ receiver_id: schedule.receiver_id, sender_id: null }]);
    let active: Record<string, unknown> | undefined;
    let problems: string[];
    if (target instanceof Error) problems = [target.message];
    else {
      try {
        active = (await this.devices.getActive(target.api, schedule.receiver_id)).body as Record<string, unknown>;
        problems = activeMismatches(active, schedule.expected as ConnectionPlan['expected']);
      } catch (err) {
        problems = [(err as Error).message];
      }
    }
    const ok = problems.length === 0;
    await this.db.writeThrough(async (sql) => {
      if (!(await this.state.settle(sql, schedule.id, ok ? 'activated' : 'failed', ok ? { active } : { problems, active }))) return;
      await this.recorder.recordIn(sql, {
        verified: ok ? [{ receiverId: schedule.receiver_id, active: active! }] : [],
        audits: [
          {
            action: 'connection.scheduled_verified',
            outcome: ok ? 'succeeded' : 'failed',
            receiver_id: schedule.receiver_id,
            sender_id: schedule.sender_id,
            request: { schedule_id: schedule.id, activation_time: schedule.activation_time },
            active,
            error: ok ? undefined : { problems },
          },
        ],
      });
    });
  }
}
