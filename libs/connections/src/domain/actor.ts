import { hasAtLeast, type Role, type UserRole } from '#auth';
import { DomainError, eventActor, type Actor, type EventActor } from '#common';

export type { Actor };

/** How the routing audit, locks, policies and schedules store who acted: the event shape with the role. */
export type RecordedActor = EventActor & { role: string };

export function recordedActor(actor: Actor): RecordedActor {
  return { ...eventActor(actor), role: actor.role };
}

export function isAtLeast(actor: Actor, minimum: UserRole): boolean {
  return hasAtLeast(actor.role as Role, minimum);
}

export function ownsLock(actor: Actor, owner: { kind: string; id: string }): boolean {
  return owner.kind === actor.kind && owner.id === actor.id;
}

export interface Owner {
  kind: string;
  id: string;
  name: string;
}

/** Who owns a stored record (`created_by`); rows kept before owners were recorded have none, and stay open to every operator. */
export function ownerOf(record: { created_by: unknown } | undefined): Owner | undefined {
  const owner = record?.created_by as Partial<Owner> | null | undefined;
  return owner && typeof owner.kind === 'string' && typeof owner.id === 'string'
    ? { kind: owner.kind, id: owner.id, name: String(owner.name ?? owner.id) }
    : undefined;
}

/**
 * The rule for everything someone owns (receiver locks, saved salvos, schedules): the owner acts
 * freely; anyone else only as an admin giving X-Override-Reason, which the caller then audits. Returns
 * the override reason used (undefined when none was needed), or throws 423 naming the owner.
 */
export function overrideOwnership(
  actor: Actor,
  owner: Owner | null | undefined,
  subject: { what: string; code: string },
  overrideReason: string | undefined,
): string | undefined {
  if (!owner || ownsLock(actor, owner)) return undefined;
  if (isAtLeast(actor, 'admin') && overrideReason) return overrideReason;
  const { what, code } = subject;
  throw new DomainError('locked', code, `${what} belongs to ${owner.name}; only they, or an admin with X-Override-Reason, can change it`, {
    extra: { owner: { kind: owner.kind, id: owner.id, name: owner.name } },
  });
}
