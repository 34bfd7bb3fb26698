import { Injectable } from '@nestjs/common';
import { DomainError, eventActor, parseInput } from '#common';
import { DatabaseService } from '#database';
import { NmosQueryService } from '#registry';
import { overrideOwnership, type Actor } from '../../domain/actor.js';
import { DefaultEffectRequest, LockRequest, PolicyRequest } from '../../domain/requests.js';
import { GuardRepository, type ReceiverLock, type StoredPolicy } from '../infra/guard.repository.js';
import { RoutingRecorder } from '../../routing/index.js';

/** Managing the guard rails: receiver locks (operators) and routing policies (engineers), every change audited. */
@Injectable()
export class GuardAdmin {
  constructor(
    private readonly db: DatabaseService,
    private readonly guards: GuardRepository,
    private readonly nmos: NmosQueryService,
    private readonly recorder: RoutingRecorder,
  ) {}

  /** Replacing someone else's lock is an override: admin, with X-Override-Reason, audited with the lock replaced. */
  async lock(actor: Actor, receiverId: string, body: unknown, overrideReason?: string): Promise<ReceiverLock> {
    const { reason } = parseInput(LockRequest, body, 'invalid_lock');
    if (!(await this.nmos.getResource('receivers', receiverId)))
      throw new DomainError('not_found', 'receiver_not_found', `No receiver ${receiverId} in the merged view`);
    return this.db.write(async (sql) => {
      const [existing] = await this.guards.locks(sql, [receiverId]);
      const override = overrideOwnership(actor, existing?.owner, { what: `Receiver ${receiverId}'s lock`, code: 'receiver_locked' }, overrideReason);
      const lock = await this.guards.lock(sql, receiverId, eventActor(actor), reason);
      await this.recorder.recordIn(sql, {
        audits: [
          {
            action: 'lock.set',
            outcome: 'succeeded',
            actor,
            receiver_id: receiverId,
            override_reason: override,
            request: { reason, ...(existing && override ? { replaced: existing } : {}) },
          },
        ],
      });
      return lock;
    });
  }

  /** The owner removes their lock; anyone else needs admin and a reason (an override, audited). */
  async unlock(actor: Actor, receiverId: string, overrideReason?: string): Promise<void> {
    await this.db.write(async (sql) => {
      const [existing] = await this.guards.locks(sql, [receiverId]);
      if (!existing) throw new DomainError('not_found', 'lock_not_found', `Receiver ${receiverId} is not locked`);
      const override = overrideOwnership(actor, existing.owner, { what: `Receiver ${receiverId}'s lock`, code: 'receiver_locked' }, overrideReason);
      await this.guards.unlock(sql, receiverId);
      await this.recorder.recordIn(sql, {
        audits: [
          {
            action: 'lock.removed',
            outcome: 'succeeded',
            actor,
            receiver_id: receiverId,
            override_reason: override,
            request: { lock: existing },
          },
        ],
      });
    });
  }

  async policies(): Promise<{ default_effect: 'allow' | 'deny'; policies: StoredPolicy[] }> {
    return this.db.readPrimary(async (sql) => ({ default_effect: await this.guards.defaultEffect(sql), policies: await this.guards.policies(sql) }));
  }

  async addPolicy(actor: Actor, body: unknown): Promise<StoredPolicy> {
    const policy = parseInput(PolicyRequest, body, 'invalid_policy');
    return this.db.write(async (sql) => {
      const saved = await this.guards.addPolicy(sql, policy, eventActor(actor));
      if (!saved) throw new DomainError('conflict', 'policy_exists', `A policy named ${policy.name} exists`);
      await this.recorder.recordIn(sql, { audits: [{ action: 'policy.created', outcome: 'succeeded', actor, request: saved }] });
      return saved;
    });
  }

  async removePolicy(actor: Actor, idOrName: string): Promise<void> {
    await this.db.write(async (sql) => {
      const removed = await this.guards.removePolicy(sql, idOrName);
      if (!removed) throw new DomainError('not_found', 'policy_not_found', `No policy ${idOrName}`);
      await this.recorder.recordIn(sql, { audits: [{ action: 'policy.deleted', outcome: 'succeeded', actor, request: removed }] });
    });
  }

  async setDefault(actor: Actor, body: unknown): Promise<{ default_effect: 'allow' | 'deny' }> {
    const { effect } = parseInput(DefaultEffectRequest, body, 'invalid_policy');
    await this.db.write(async (sql) => {
      await this.guards.setDefaultEffect(sql, effect);
      await this.recorder.recordIn(sql, { audits: [{ action: 'policy.default_changed', outcome: 'succeeded', actor, request: { effect } }] });
    });
    return { default_effect: effect };
  }
}
