import { Injectable } from '@nestjs/common';
import { DomainError, type ParsedSdp } from '#common';
import { CollisionsService, type SenderCollision } from '#flows';
import { isAtLeast, type Actor } from '../../domain/actor.js';
import type { GuardOverride } from './routing-guard.js';

/**
 * A sender's multicast groups against the flow inventory, before any PATCH: another flow on the same
 * group and port (on the same network leg) is 409 `multicast_collision` naming it, unless an engineer
 * or admin overrides with a reason (kept in the audit with the other overrides).
 */
@Injectable()
export class CollisionGuard {
  constructor(private readonly collisions: CollisionsService) {}

  check(actor: Actor, senderId: string, sdp: ParsedSdp, overrideReason?: string): Promise<GuardOverride[] | DomainError> {
    return this.verdict(actor, senderId, this.collisions.forSender(senderId, sdp), overrideReason);
  }

  /** The same for groups a sender is about to be given. */
  checkLegs(actor: Actor, senderId: string, legs: Array<{ leg: 'a' | 'b'; multicast_addr: string; group_port: number }>, overrideReason?: string) {
    return this.verdict(
      actor,
      senderId,
      this.collisions.forLegs(
        senderId,
        legs.map((l) => ({ ...l, source_addr: null })),
      ),
      overrideReason,
    );
  }

  private async verdict(actor: Actor, senderId: string, found: Promise<SenderCollision[]>, overrideReason?: string): Promise<GuardOverride[] | DomainError> {
    const collisions = await found;
    if (collisions.length === 0) return [];
    const described = collisions.map((c) => `leg ${c.leg.toUpperCase()} ${c.multicast_addr}:${c.group_port} is flow "${c.flow.display_name}" (${c.flow.id})`);
    if (overrideReason && isAtLeast(actor, 'engineer')) return [{ kind: 'collision', name: described.join(', '), reason: overrideReason }];
    return new DomainError(
      'conflict',
      'multicast_collision',
      `Sender ${senderId} would share a multicast group with another flow: ${described.join('; ')}${isAtLeast(actor, 'engineer') ? ' (override with X-Override-Reason)' : ''}`,
      { extra: { collisions } },
    );
  }
}
