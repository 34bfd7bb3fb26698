import { Injectable } from '@nestjs/common';
import { DomainError, type ParsedSdp } from '#common';
import { AppConfig } from '#config';
import type { IdempotentAttempt } from '#database';
import type { Actor } from '../../domain/actor.js';
import { IMMEDIATE, type Activation } from '../domain/activation.js';
import { errorSummary } from '../domain/device-errors.js';
import type { TakeRequest } from '../../domain/requests.js';
import type { AuditEntry } from '../infra/audit.repository.js';
import { CollisionGuard, type GuardOverride, RoutingGuard } from '../../guard/index.js';
import { InflightLocks } from './inflight-locks.js';
import { RoutingRecorder } from './routing-recorder.js';
import { SwitchEngine } from './switch-engine.js';
import { TargetResolver, type RoutingTarget } from './target-resolver.js';

export interface TakeResult {
  receiver_id: string;
  sender_id: string | null;
  state: 'activated' | 'scheduled';
  /** The receiver's /active as read back from the device (activated only). */
  active?: Record<string, unknown>;
  activation: Activation & { activation_time?: string };
  schedule_id?: string;
  overrides: GuardOverride[];
  duration_ms: number;
  device_ms: number;
}

const RESUMED_NOTE = 'an earlier attempt with this Idempotency-Key had already taken effect: /active verified, no PATCH sent';

/**
 * A take or a disconnect on one receiver: resolved in the merged view, guarded (locks, policies), one
 * PATCH under the receiver's claim, verified on /active, recorded with its audit row and event. Every
 * attempt past validation is audited, refused and failed ones too.
 */
@Injectable()
export class TakeService {
  private readonly holdMs: number;

  constructor(
    private readonly resolver: TargetResolver,
    private readonly guard: RoutingGuard,
    private readonly locks: InflightLocks,
    private readonly engine: SwitchEngine,
    private readonly recorder: RoutingRecorder,
    private readonly collisions: CollisionGuard,
    config: AppConfig,
  ) {
    // Constraints, SDP, PATCH and /active, each with the device timeout, plus a margin.
    this.holdMs = config.routing.deviceTimeoutMs * 4 + 5_000;
  }

  /** `request` is validated by the caller before anything is written (the Idempotency-Key's row included). */
  async take(actor: Actor, request: TakeRequest, overrideReason?: string, attempt?: IdempotentAttempt): Promise<TakeResult> {
    return this.run(
      actor,
      'connection.take',
      { receiver_id: request.receiver_id, sender_id: request.sender_id, legs: request.legs },
      request.activation ?? IMMEDIATE,
      request,
      overrideReason,
      attempt?.resumed ?? false,
    );
  }

  async disconnect(actor: Actor, receiverId: string, overrideReason?: string): Promise<TakeResult> {
    return this.run(actor, 'connection.disconnect', { receiver_id: receiverId, sender_id: null }, IMMEDIATE, { receiver_id: receiverId }, overrideReason);
  }

  private async run(
    actor: Actor,
    action: string,
    item: { receiver_id: string; sender_id: string | null; legs?: 'primary' | 'secondary' },
    activation: Activation,
    request: unknown,
    overrideReason?: string,
    resumed = false,
  ): Promise<TakeResult> {
    const started = performance.now();
    const audit = (entry: Partial<AuditEntry> & Pick<AuditEntry, 'outcome'>): AuditEntry => ({
      action,
      actor,
      receiver_id: item.receiver_id,
      sender_id: item.sender_id,
      request,
      duration_ms: performance.now() - started,
      ...entry,
    });
    const refuse = async (error: DomainError, outcome: 'refused' | 'failed'): Promise<never> => {
      await this.recorder.record({ audits: [audit({ outcome, error: errorSummary(error) })] });
      throw error;
    };

    const [resolved] = await this.resolver.resolve([item]);
    if (resolved instanceof DomainError) return refuse(resolved, 'refused');
    const target: RoutingTarget = resolved;

    return this.locks.around([item.receiver_id], this.holdMs, async (claim) => {
      // Locks, policies and pending schedules are read under the receiver's claim: one set while this
      // take waited for the claim is honoured.
      const [verdict] = await this.guard.check(actor, [target], overrideReason);
      if (!verdict.allowed) return refuse(verdict.error, 'refused');
      const sdps = new Map<string, Promise<ParsedSdp>>();
      let plan;
      try {
        plan = await this.engine.plan(target, activation, sdps);
      } catch (err) {
        if (err instanceof DomainError) return refuse(err, err.kind === 'conflict' ? 'refused' : 'failed');
        throw err;
      }
      const overrides = [...verdict.overrides];
      if (item.sender_id) {
        const collision = await this.collisions.check(actor, item.sender_id, await sdps.get(item.sender_id)!, overrideReason);
        if (collision instanceof DomainError) return refuse(collision, 'refused');
        overrides.push(...collision);
      }
      const overrideNote = overrides.length > 0 ? overrides.map((o) => `${o.kind} ${o.name}: ${o.reason}`).join('; ') : undefined;
      // A retry of a key whose first attempt may have acted: if the device already shows the take, it
      // is recorded as done and nothing is sent, so an immediate take's Idempotency-Key acts on the device at most once.
      const done = resumed && activation.mode === IMMEDIATE.mode ? await this.engine.verify({ target, plan }) : undefined;
      const outcome = done?.state === 'activated' ? { ...done, device_answer: { note: RESUMED_NOTE } } : await this.engine.single({ target, plan });
      const base = { request: plan.patch, device_answer: outcome.device_answer, override_reason: overrideNote };
      if (outcome.state === 'failed') {
        // The device is the truth: what its /active showed is recorded even when it is not what was asked.
        const verified = outcome.active ? [{ receiverId: item.receiver_id, active: outcome.active }] : [];
        await this.recorder.record(
          { verified, audits: [audit({ ...base, outcome: 'failed', active: outcome.active, error: errorSummary(outcome.error!) })], actor },
          claim,
        );
        throw outcome.error!;
      }
      const result = {
        receiver_id: item.receiver_id,
        sender_id: item.sender_id,
        overrides,
        device_ms: Math.round(outcome.device_ms),
      };
      if (outcome.state === 'scheduled') {
        const [schedule] = await this.recorder.record(
          {
            scheduled: [{ receiverId: item.receiver_id, senderId: item.sender_id, activation, expected: plan.expected }],
            audits: [audit({ ...base, outcome: 'scheduled' })],
            actor,
          },
          claim,
        );
        return {
          ...result,
          state: 'scheduled',
          activation: { ...activation, activation_time: schedule.activation_time },
          schedule_id: schedule.id,
          duration_ms: Math.round(performance.now() - started),
        };
      }
      await this.recorder.record(
        {
          verified: [{ receiverId: item.receiver_id, active: outcome.active! }],
          audits: [audit({ ...base, outcome: 'succeeded', active: outcome.active })],
          actor,
        },
        claim,
      );
      const active = outcome.active!;
      return {
        ...result,
        state: 'activated',
        active,
        activation: { ...activation, activation_time: (active.activation as { activation_time?: string } | undefined)?.activation_time },
        duration_ms: Math.round(performance.now() - started),
      };
    });
  }
}
