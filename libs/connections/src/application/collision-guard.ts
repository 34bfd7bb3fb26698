import { Injectable } from '@nestjs/common';
import { DomainError, type ParsedSdp } from '#common';
import { CollisionsService } from '#flows';
import { isAtLeast, type Actor } from '../domain/actor.js';
import type { GuardOverride } from './routing-guard.js';

/**
 * A sender's multicast groups against the flow inventory, before any PATCH: another flow on the same
 * group and port (on the same network leg) is 409 `multicast_collision` naming it, unless an engineer
 * or admin overrides with a reason (kept in the audit with the other overrides).
 */
@Injectable()
export class CollisionGuard {
  constructor(private readonly collisions: CollisionsService) {}

  async check(actor: Actor, senderId: string, sdp: ParsedSdp, overrideReason?: string): Promise<GuardOverride[] | DomainError> {
    const collisions = await this.collisions.forSender(senderId, sdp);
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
