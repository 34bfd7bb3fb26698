import { hasAtLeast, type Role, type UserRole } from '#auth';

/** Who asked (user or API token), from which request: kept with every audit row and event. */
export interface Actor {
  kind: 'user' | 'api_token';
  id: string;
  name: string;
  role: Role;
  request_id?: string;
}

export function eventActor(actor: Actor): { kind: string; id: string; name: string; request_id?: string } {
  return { kind: actor.kind, id: actor.id, name: actor.name, ...(actor.request_id ? { request_id: actor.request_id } : {}) };
}

export function isAtLeast(actor: Actor, minimum: UserRole): boolean {
  return hasAtLeast(actor.role, minimum);
}

export function ownsLock(actor: Actor, owner: { kind: string; id: string }): boolean {
  return owner.kind === actor.kind && owner.id === actor.id;
}
