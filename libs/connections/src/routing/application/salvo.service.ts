import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DomainError, mapLimit, sleep, taiNowNanos, type ParsedSdp } from '#common';
import { AppConfig } from '#config';
import type { Actor } from '../../domain/actor.js';
import { absoluteIn, activationInstant, IMMEDIATE, type Activation } from '../domain/activation.js';
import { planRestore, type ConnectionPlan } from '../domain/connection-plan.js';
import { errorSummary } from '../domain/device-errors.js';
import type { SalvoRequest } from '../../domain/requests.js';
import type { AuditEntry } from '../infra/audit.repository.js';
import { CollisionGuard, RoutingGuard } from '../../guard/index.js';
import { InflightLocks, type ReceiverClaim } from './inflight-locks.js';
import { RoutingRecorder, type RoutingChange } from './routing-recorder.js';
import { SwitchEngine, type SwitchItem, type SwitchOutcome } from './switch-engine.js';
import { TargetResolver } from './target-resolver.js';

export type ItemState = 'activated' | 'scheduled' | 'failed' | 'not_attempted' | 'rolled_back' | 'rollback_failed';

export interface SalvoItemResult {
  receiver_id: string;
  sender_id: string | null;
  state: ItemState;
  active?: Record<string, unknown>;
  error?: Record<string, unknown>;
}

export interface SalvoResult {
  salvo_id: string;
  name?: string;
  /**
   * succeeded: every item as asked; partial: some failed (continue); rolled_back: restored after a failure;
   * rollback_failed: some receivers could not be restored (see items); failed: nothing changed.
   */
  outcome: 'succeeded' | 'partial' | 'rolled_back' | 'rollback_failed' | 'failed';
  activation: Activation;
  items: SalvoItemResult[];
  duration_ms: number;
}

/**
 * Many receivers at once. Everything is resolved and guarded first; the receivers are claimed together;
 * each device gets one /bulk/receivers POST (devices in parallel); every immediate activation is verified
 * on /active. With `rollback`, any failure restores the receivers that changed to their /active from
 * before the salvo; a refusal found before acting changes nothing at all.
 */
@Injectable()
export class SalvoService {
  constructor(
    private readonly resolver: TargetResolver,
    private readonly guard: RoutingGuard,
    private readonly locks: InflightLocks,
    private readonly engine: SwitchEngine,
    private readonly recorder: RoutingRecorder,
    private readonly collisions: CollisionGuard,
    private readonly config: AppConfig,
  ) {}

  async fire(actor: Actor, request: SalvoRequest, overrideReason?: string, name?: string): Promise<SalvoResult> {
    const started = performance.now();
    const salvoId = randomUUID();
    const rollback = (request.on_failure ?? 'rollback') === 'rollback';
    const items = request.connections;
    const results: SalvoItemResult[] = items.map((i) => ({ receiver_id: i.receiver_id, sender_id: i.sender_id, state: 'not_attempted' }));
    const audits: AuditEntry[] = [];
    const fail = (index: number, error: DomainError, outcome: AuditEntry['outcome'] = 'failed') => {
      results[index] = { ...results[index], state: 'failed', error: errorSummary(error) };
      audits.push(this.auditOf(actor, salvoId, items[index], outcome, { error: errorSummary(error) }));
    };

    const resolved = await this.resolver.resolve(items);
    const found = resolved.flatMap((r, index) => (r instanceof DomainError ? (fail(index, r, 'refused'), []) : [{ index, target: r }]));
    // Locks, policies and pending schedules: what they refuse fails as 'refused'; the rest goes on.
    const guarded = async (candidates: typeof found) => {
      const verdicts = await this.guard.check(
        actor,
        candidates.map((c) => c.target),
        overrideReason,
      );
      return candidates.filter((c, k) => {
        const verdict = verdicts[k];
        if (!verdict.allowed) fail(c.index, verdict.error, 'refused');
        return verdict.allowed;
      });
    };
    let allowed = await guarded(found);
    let activation: Activation = request.activation ?? IMMEDIATE;
    const finish = async (
      outcome: SalvoResult['outcome'],
      verified: Array<{ receiverId: string; active: Record<string, unknown> }>,
      claim?: ReceiverClaim,
      scheduled: RoutingChange['scheduled'] = [],
    ): Promise<SalvoResult> => {
      audits.push({
        action: 'salvo',
        outcome,
        actor,
        salvo_id: salvoId,
        override_reason: overrideReason,
        request: { name, ...request },
        duration_ms: performance.now() - started,
      });
      await this.recorder.record({ verified, scheduled, audits, actor }, claim);
      return { salvo_id: salvoId, ...(name ? { name } : {}), outcome, activation, items: results, duration_ms: Math.round(performance.now() - started) };
    };
    if (allowed.length === 0 || (rollback && allowed.length < items.length)) return finish('failed', []);

    const holdMs = this.config.routing.deviceTimeoutMs * 6 + this.config.routing.salvoSyncLeadMs + 10_000;
    return this.locks.around(
      allowed.map((a) => items[a.index].receiver_id),
      holdMs,
      async (claim) => {
        // Checked again under the claims: a lock or policy set while the salvo waited for them is honoured.
        const stillAllowed = await guarded(allowed);
        if (stillAllowed.length < allowed.length) {
          allowed = stillAllowed;
          if (allowed.length === 0 || rollback) return finish('failed', [], claim);
        }
        const targets = allowed.map((a) => a.target);
        const previous = rollback ? await this.engine.activeOf(targets) : [];
        // Plans need the device (constraints) and the sender (SDP): prepared before the activation time is set.
        const sdpCache = new Map<string, Promise<ParsedSdp>>();
        const placeholder = request.synchronised ? absoluteIn(0) : activation;
        const plans = await mapLimit(targets, this.config.routing.salvoDeviceConcurrency * 4, (target) =>
          this.engine.plan(target, placeholder, sdpCache).catch((err: unknown) => err),
        );
        const ready: Array<{ index: number; item: SwitchItem; previous?: Record<string, unknown> }> = [];
        for (const [k, a] of allowed.entries()) {
          const plan = plans[k];
          const before = previous[k];
          if (plan instanceof DomainError) {
            fail(a.index, plan);
            continue;
          }
          if (before instanceof DomainError) {
            fail(a.index, before);
            continue;
          }
          if (plan instanceof Error) throw plan;
          const senderId = a.target.sender ? String(a.target.sender.id) : undefined;
          const collision = senderId ? await this.collisions.check(actor, senderId, await sdpCache.get(senderId)!, overrideReason) : [];
          if (collision instanceof DomainError) {
            fail(a.index, collision, 'refused');
            continue;
          }
          ready.push({ index: a.index, item: { target: a.target, plan: plan as ConnectionPlan }, previous: before });
        }
        if (rollback && ready.length < allowed.length) return finish('failed', [], claim);

        if (request.synchronised) activation = absoluteIn(this.config.routing.salvoSyncLeadMs);
        for (const r of ready) r.item.plan.patch.activation = activation;
        let outcomes = await this.engine.many(ready.map((r) => r.item));
        if (request.synchronised) {
          // Every device holds the same activation time: verify once it has passed.
          await sleep(Math.max(0, Number((activationInstant(activation) - taiNowNanos()) / 1_000_000n)) + 50);
          outcomes = await Promise.all(outcomes.map((o, k) => (o.state === 'scheduled' ? this.engine.verify(ready[k].item) : o)));
        }
        const verified: Array<{ receiverId: string; active: Record<string, unknown> }> = [];
        outcomes.forEach((outcome, k) => this.note(actor, salvoId, ready[k], outcome, results, audits, verified));
        // Any item that did not happen counts: refused by a guard, unknown, unplannable, or failed on its device.
        const failed = results.some((r) => r.state === 'failed');
        // Scheduled (not synchronised) salvos leave activations pending on the devices, verified after their time.
        const scheduled = ready
          .filter((_, k) => outcomes[k].state === 'scheduled')
          .map(({ item }) => ({
            receiverId: String(item.target.receiver.id),
            senderId: item.target.sender ? String(item.target.sender.id) : null,
            activation,
            expected: item.plan.expected,
          }));
        if (!failed) return finish('succeeded', verified, claim, scheduled);
        if (!rollback) return finish(outcomes.some((o) => o.state !== 'failed') ? 'partial' : 'failed', verified, claim, scheduled);
        const restored = await this.restore(actor, salvoId, ready, outcomes, results, audits);
        return finish(results.some((r) => r.state === 'rollback_failed') ? 'rollback_failed' : 'rolled_back', restored, claim);
      },
    );
  }

  /** Puts back what the salvo changed (and what it may have changed: timed-out devices) to its earlier /active. */
  private async restore(
    actor: Actor,
    salvoId: string,
    ready: Array<{ index: number; item: SwitchItem; previous?: Record<string, unknown> }>,
    outcomes: SwitchOutcome[],
    results: SalvoItemResult[],
    audits: AuditEntry[],
  ): Promise<Array<{ receiverId: string; active: Record<string, unknown> }>> {
    const touched = ready.filter((_, k) => outcomes[k].state !== 'failed' || outcomes[k].uncertain || outcomes[k].active !== undefined);
    const restoreItems = touched.map((r) => ({ target: r.item.target, plan: planRestore(r.previous!, IMMEDIATE) }));
    const restored = await this.engine.many(restoreItems);
    const verified: Array<{ receiverId: string; active: Record<string, unknown> }> = [];
    restored.forEach((outcome, k) => {
      const index = touched[k].index;
      const ok = outcome.state === 'activated';
      const wasFailure = results[index].state === 'failed';
      results[index] = {
        ...results[index],
        state: ok ? (wasFailure ? 'failed' : 'rolled_back') : 'rollback_failed',
        active: outcome.active,
        ...(ok ? {} : { error: errorSummary(outcome.error!) }),
      };
      if (outcome.active) verified.push({ receiverId: results[index].receiver_id, active: outcome.active });
      audits.push({
        action: 'salvo.rollback',
        outcome: ok ? 'succeeded' : 'failed',
        actor,
        salvo_id: salvoId,
        receiver_id: results[index].receiver_id,
        request: restoreItems[k].plan.patch,
        device_answer: outcome.device_answer,
        active: outcome.active,
        error: outcome.error ? errorSummary(outcome.error) : undefined,
        duration_ms: outcome.device_ms,
      });
    });
    return verified;
  }

  private note(
    actor: Actor,
    salvoId: string,
    ready: { index: number; item: SwitchItem },
    outcome: SwitchOutcome,
    results: SalvoItemResult[],
    audits: AuditEntry[],
    verified: Array<{ receiverId: string; active: Record<string, unknown> }>,
  ): void {
    const result = results[ready.index];
    result.state = outcome.state;
    result.active = outcome.active;
    if (outcome.error) result.error = errorSummary(outcome.error);
    // Whatever /active showed is recorded, what was asked or not: the device is the truth.
    if (outcome.active) verified.push({ receiverId: result.receiver_id, active: outcome.active });
    audits.push(
      this.auditOf(actor, salvoId, result, outcome.state === 'activated' ? 'succeeded' : outcome.state === 'scheduled' ? 'scheduled' : 'failed', {
        request: ready.item.plan.patch,
        device_answer: outcome.device_answer,
        active: outcome.active,
        error: outcome.error ? errorSummary(outcome.error) : undefined,
        duration_ms: outcome.device_ms,
      }),
    );
  }

  private auditOf(
    actor: Actor,
    salvoId: string,
    item: { receiver_id: string; sender_id: string | null },
    outcome: AuditEntry['outcome'],
    extra: Partial<AuditEntry>,
  ): AuditEntry {
    return { action: 'salvo.take', outcome, actor, salvo_id: salvoId, receiver_id: item.receiver_id, sender_id: item.sender_id, ...extra };
  }
}
