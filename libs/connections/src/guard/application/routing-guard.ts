import { Injectable } from '@nestjs/common';
import { DomainError } from '#common';
import { DatabaseService } from '#database';
import { isAtLeast, ownsLock, type Actor } from '../../domain/actor.js';
import { decide } from '../domain/policy.js';
import { GuardRepository } from '../infra/guard.repository.js';
import { ConnectionStateRepository } from '../../live-state/index.js';

type Resource = Record<string, unknown>;

/** What the guard let through only because of an override (kept in the audit). */
export interface GuardOverride {
  kind: 'lock' | 'policy' | 'collision';
  name: string;
  reason: string;
}

export type GuardVerdict = { allowed: true; overrides: GuardOverride[] } | { allowed: false; error: DomainError };

/**
 * Locks and routing policies, applied to every path (take, disconnect, salvo, schedule):
 * - a locked receiver refuses (423) everyone but the lock's owner, unless an admin overrides with a reason;
 * - a policy refusal (403) names the policy; engineers and admins may override with a reason;
 * - a scheduled activation pending on the device (recorded by us) refuses with 423 until it settles.
 */
@Injectable()
export class RoutingGuard {
  constructor(
    private readonly db: DatabaseService,
    private readonly guards: GuardRepository,
    private readonly state: ConnectionStateRepository,
  ) {}

  async check(actor: Actor, pairs: Array<{ receiver: Resource; sender: Resource | null }>, overrideReason?: string): Promise<GuardVerdict[]> {
    const receiverIds = pairs.map((p) => String(p.receiver.id));
    // From the primary: a lock or policy set a moment ago on another replica must already hold here.
    const { locks, policies, defaultEffect, pending } = await this.db.readPrimary(async (sql) => ({
      locks: new Map((await this.guards.locks(sql, receiverIds)).map((l) => [l.receiver_id, l])),
      policies: await this.guards.policies(sql),
      defaultEffect: await this.guards.defaultEffect(sql),
      pending: await this.state.pendingOn(sql, receiverIds),
    }));
    return pairs.map(({ receiver, sender }): GuardVerdict => {
      const receiverId = String(receiver.id);
      const overrides: GuardOverride[] = [];
      const scheduled = pending.get(receiverId);
      // Until its time (and a moment after, while the device applies it); the scheduler then settles it.
      if (scheduled && scheduled.activation_at.getTime() > Date.now() - 1_000) {
        return {
          allowed: false,
          error: new DomainError(
            'locked',
            'scheduled_activation_pending',
            `Receiver ${receiverId} has a scheduled activation pending at ${scheduled.activation_time} (schedule ${scheduled.id}); cancel it first`,
            { extra: { schedule_id: scheduled.id } },
          ),
        };
      }
      const lock = locks.get(receiverId);
      if (lock && !ownsLock(actor, lock.owner)) {
        if (!(overrideReason && isAtLeast(actor, 'admin'))) {
          return {
            allowed: false,
            error: new DomainError('locked', 'receiver_locked', `Receiver ${receiverId} is locked by ${lock.owner.name}: ${lock.reason}`, {
              extra: { lock: { owner: lock.owner.name, reason: lock.reason, locked_at: lock.locked_at } },
            }),
          };
        }
        overrides.push({ kind: 'lock', name: lock.owner.name, reason: overrideReason });
      }
      const decision = decide(policies, defaultEffect, sender, receiver);
      if (!decision.allowed) {
        if (!(overrideReason && isAtLeast(actor, 'engineer'))) {
          return {
            allowed: false,
            error: new DomainError(
              'forbidden',
              'policy_refused',
              `${decision.reason}${isAtLeast(actor, 'engineer') ? ' (override with X-Override-Reason)' : ''}`,
              {
                extra: { policy: decision.policy },
              },
            ),
          };
        }
        overrides.push({ kind: 'policy', name: decision.policy, reason: overrideReason });
      }
      return { allowed: true, overrides };
    });
  }
}
