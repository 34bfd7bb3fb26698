import type { FastifyRequest } from 'fastify';
import type { Actor } from '#common';
import type { Principal } from '../domain/principal.js';

/** Who asked, from which request, as audit rows and events keep it. */
export function requestActor(principal: Principal, request: FastifyRequest): Actor {
  return { kind: principal.kind, id: principal.id, name: principal.name, role: principal.role, requestId: request.id };
}
