import type { FastifyRequest } from 'fastify';
import { requestActor, type Principal } from '#auth';
import { DomainError } from '#common';
import type { StoredActor } from '../domain/flow.entity.js';

/** The request's actor, with the caller's role (flows keep it, as the routing audit does). */
export function actorOf(principal: Principal, request: FastifyRequest): StoredActor {
  return requestActor(principal, request);
}

/** `If-Match: "3"` (or W/"3"): the version the caller last read. */
export function versionOf(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '*') return undefined;
  const match = /^(?:W\/)?"?(\d+)"?$/.exec(ifMatch.trim());
  if (match) return Number(match[1]);
  throw new DomainError('invalid', 'invalid_if_match', 'If-Match: must be an ETag this API gave ("<version>")', {
    fields: [{ field: 'If-Match', message: 'must be "<version>"' }],
  });
}
