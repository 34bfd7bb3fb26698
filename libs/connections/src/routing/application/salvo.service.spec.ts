import { describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { DomainError } from '#common';
import { AppConfig } from '#config';
import type { Actor } from '../../domain/actor.js';
import { CollisionGuard, RoutingGuard } from '../../guard/index.js';
import { InflightLocks } from './inflight-locks.js';
import { RoutingRecorder } from './routing-recorder.js';
import { SalvoService } from './salvo.service.js';
import { SwitchEngine, type SwitchItem, type SwitchOutcome } from './switch-engine.js';
import { TargetResolver } from './target-resolver.js';

const actor: Actor = { kind: 'user', id: 'u1', name: 'operator', role: 'operator' };

/** What each receiver's device does with the salvo's PATCH and with a rollback's. */
interface Script {
  take?: Record<string, SwitchOutcome['state'] | 'timeout'>;
  restore?: Record<string, SwitchOutcome['state']>;
  refused?: string[];
  unknown?: string[];
  /** Senders whose groups another flow of the inventory has. */
  colliding?: string[];
}

/**
 * SalvoService as Nest builds it, every collaborator overridden (resolver, guard, claims, the switch
 * engine, the recorder): the outcome matrix of a salvo without devices or a database.
 */
async function salvo(script: Script) {
  const sent: { takes: string[]; restores: string[] } = { takes: [], restores: [] };
  const recorded: unknown[] = [];
  const outcome = (receiverId: string, state: SwitchOutcome['state'] | 'timeout'): SwitchOutcome =>
    state === 'timeout'
      ? { receiver_id: receiverId, state: 'failed', uncertain: true, error: new DomainError('gateway_timeout', 'device_timeout', 'no answer'), device_ms: 1 }
      : state === 'failed'
        ? { receiver_id: receiverId, state, error: new DomainError('bad_gateway', 'device_rejected', 'refused'), device_ms: 1 }
        : { receiver_id: receiverId, state, active: { sender_id: 'new', master_enable: true }, device_ms: 1 };
  const fakes = {
    resolver: {
      resolve: async (items: Array<{ receiver_id: string; sender_id: string | null }>) =>
        items.map((i) =>
          script.unknown?.includes(i.receiver_id)
            ? new DomainError('not_found', 'receiver_not_found', `no receiver ${i.receiver_id}`)
            : { receiver: { id: i.receiver_id }, sender: i.sender_id ? { id: i.sender_id } : null },
        ),
    },
    guard: {
      check: async (_actor: Actor, targets: Array<{ receiver: { id: string } }>) =>
        targets.map((t) =>
          script.refused?.includes(t.receiver.id) ? { allowed: false, error: new DomainError('locked', 'receiver_locked', 'locked') } : { allowed: true },
        ),
    },
    locks: { around: async <T>(_ids: string[], _holdMs: number, work: (claim: object) => Promise<T>) => work({}) },
    engine: {
      activeOf: async (targets: unknown[]) => targets.map(() => ({ sender_id: 'previous', master_enable: true, transport_params: [{}] })),
      plan: async () => ({ patch: { sender_id: 'new', master_enable: true }, expected: {} }),
      many: async (items: SwitchItem[]) =>
        items.map((item) => {
          const id = String(item.target.receiver.id);
          if (item.plan.patch.sender_id === 'previous') {
            sent.restores.push(id);
            return outcome(id, script.restore?.[id] ?? 'activated');
          }
          sent.takes.push(id);
          return outcome(id, script.take?.[id] ?? 'activated');
        }),
    },
    recorder: { record: async (change: unknown) => void recorded.push(change) },
    collisions: {
      check: async (_actor: Actor, senderId: string) =>
        script.colliding?.includes(senderId) ? new DomainError('conflict', 'multicast_collision', `${senderId} collides`) : [],
    },
    config: { routing: { deviceTimeoutMs: 1_000, salvoSyncLeadMs: 100, salvoDeviceConcurrency: 4 } },
  };
  const module = await Test.createTestingModule({
    providers: [
      SalvoService,
      { provide: TargetResolver, useValue: fakes.resolver },
      { provide: RoutingGuard, useValue: fakes.guard },
      { provide: InflightLocks, useValue: fakes.locks },
      { provide: SwitchEngine, useValue: fakes.engine },
      { provide: RoutingRecorder, useValue: fakes.recorder },
      { provide: CollisionGuard, useValue: fakes.collisions },
      { provide: AppConfig, useValue: fakes.config },
    ],
  }).compile();
  const service = module.get(SalvoService);
  const fire = (onFailure: 'rollback' | 'continue', receivers = ['r1', 'r2', 'r3']) =>
    service.fire(actor, { connections: receivers.map((r) => ({ receiver_id: r, sender_id: `s-${r}` })), on_failure: onFailure });
  return { fire, sent, recorded };
}

const states = (result: { items: Array<{ receiver_id: string; state: string }> }) => Object.fromEntries(result.items.map((i) => [i.receiver_id, i.state]));

describe('salvo outcomes (DI-level, every collaborator overridden)', () => {
  it('succeeds when every device verifies its take, and records once', async () => {
    const { fire, sent, recorded } = await salvo({});
    const result = await fire('rollback');
    expect(result.outcome).toBe('succeeded');
    expect(states(result)).toEqual({ r1: 'activated', r2: 'activated', r3: 'activated' });
    expect(sent).toEqual({ takes: ['r1', 'r2', 'r3'], restores: [] });
    expect(recorded).toHaveLength(1);
  });

  it('rolls back what it changed, and what a timeout may have changed, when one device fails', async () => {
    const { fire, sent } = await salvo({ take: { r2: 'failed', r3: 'timeout' } });
    const result = await fire('rollback');
    expect(result.outcome).toBe('rolled_back');
    expect(states(result)).toEqual({ r1: 'rolled_back', r2: 'failed', r3: 'failed' });
    expect(sent.restores.sort()).toEqual(['r1', 'r3']);
  });

  it('says rollback_failed when a device will not go back', async () => {
    const { fire } = await salvo({ take: { r2: 'failed' }, restore: { r1: 'failed' } });
    const result = await fire('rollback');
    expect(result.outcome).toBe('rollback_failed');
    expect(states(result)).toMatchObject({ r1: 'rollback_failed', r2: 'failed' });
  });

  it('with continue, keeps what worked: partial, or failed when nothing did', async () => {
    const partial = await (await salvo({ take: { r2: 'failed' } })).fire('continue');
    expect(partial.outcome).toBe('partial');
    expect(states(partial)).toEqual({ r1: 'activated', r2: 'failed', r3: 'activated' });
    const failed = await (await salvo({ take: { r1: 'failed', r2: 'failed', r3: 'failed' } })).fire('continue');
    expect(failed.outcome).toBe('failed');
  });

  it('sends nothing when an item is refused, unknown or would collide with another flow, and the salvo rolls back', async () => {
    for (const script of [{ refused: ['r2'] }, { unknown: ['r3'] }, { colliding: ['s-r1'] }]) {
      const { fire, sent } = await salvo(script);
      const result = await fire('rollback');
      expect(result.outcome).toBe('failed');
      expect(sent).toEqual({ takes: [], restores: [] });
    }
  });

  it('with continue, routes the others when one is refused, and says partial (the refused item did not happen)', async () => {
    const { fire, sent } = await salvo({ refused: ['r2'] });
    const result = await fire('continue');
    expect(sent.takes).toEqual(['r1', 'r3']);
    expect(states(result)).toEqual({ r1: 'activated', r2: 'failed', r3: 'activated' });
    expect(result.outcome).toBe('partial');
  });
});
