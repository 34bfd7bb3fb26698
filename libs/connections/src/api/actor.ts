import type { FastifyRequest } from 'fastify';
import { requestActor, type Principal } from '#auth';
import { DomainError } from '#common';
import type { Actor } from '../domain/actor.js';
import { OverrideReason } from '../domain/requests.js';

export function actorOf(principal: Principal, request: FastifyRequest): Actor {
  return requestActor(principal, request);
}

/** `X-Override-Reason`: an engineer's or admin's stated reason to pass a policy or lock. */
export function overrideReasonOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-override-reason'];
  if (header === undefined) return undefined;
  const parsed = OverrideReason.safeParse(Array.isArray(header) ? header.join(', ') : header);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues[0].message;
  throw new DomainError('invalid', 'invalid_override_reason', `X-Override-Reason: ${message}`, { fields: [{ field: 'X-Override-Reason', message }] });
}
