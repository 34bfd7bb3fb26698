/** Who asked, from which request (a user or an API token, with its role): kept with audit rows and events. */
export interface Actor {
  kind: string;
  id: string;
  name: string;
  role: string;
  requestId?: string;
}

/** The actor as events carry it (and GET /api/events answers it): no role, the request id in snake case. */
export interface EventActor {
  kind: string;
  id: string;
  name: string;
  request_id?: string;
}

export function eventActor(actor: Actor): EventActor {
  return { kind: actor.kind, id: actor.id, name: actor.name, ...(actor.requestId ? { request_id: actor.requestId } : {}) };
}
