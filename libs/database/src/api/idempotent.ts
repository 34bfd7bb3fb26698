import {
  applyDecorators,
  SetMetadata,
  createParamDecorator,
  Injectable,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { IdempotencyService, type IdempotentAttempt } from '../application/idempotency.service.js';

type KeyedRequest = FastifyRequest & { user?: { kind: string; id: string }; idempotentAttempt?: IdempotentAttempt };
const CHECK_BEFORE_CLAIM = Symbol('idempotent route check');
/** Refuses (throws) what the route would refuse in its request before acting: its body, its headers. */
export type RequestCheck = (request: FastifyRequest) => unknown;

/**
 * Runs a write route under its `Idempotency-Key` (IdempotencyService's rules): the first request with a
 * key acts and its answer (status and body) is kept in the database; a retry with the same key and body
 * gets that answer, marked `Idempotent-Replayed: true`, without acting again, from any replica. Keys are
 * per caller (the authenticated principal) and per route. Without the header the route just runs.
 * Interceptors run before pipes: the route's own check of its request (body, headers) runs here
 * first, so bad input is refused (400) before the key is claimed and writes nothing; kept under the
 * key, a 400 would be replayed to the corrected retry.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<KeyedRequest>();
    const reply = http.getResponse<FastifyReply>();
    this.reflector.get<RequestCheck | undefined>(CHECK_BEFORE_CLAIM, context.getHandler())?.(request);
    const header = request.headers['idempotency-key'];
    const key = Array.isArray(header) ? header.join(',') : header;
    const owner = request.user ? `${request.user.kind}:${request.user.id}` : 'anonymous';
    const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
    return from(
      this.idempotency
        .run(owner, key, route, request.body, async (attempt) => {
          request.idempotentAttempt = attempt;
          const body = await lastValueFrom(next.handle(), { defaultValue: undefined });
          // The status the handler chose (202 for a scheduled take), or the route's own.
          return { status: reply.statusCode, body };
        })
        .then((answer) => {
          void reply.status(answer.status);
          if (answer.replayed) void reply.header('idempotent-replayed', 'true');
          return answer.body;
        }),
    );
  }
}

/**
 * A write route whose retries with the same `Idempotency-Key` are answered, not repeated. `check`: what
 * the route refuses in its request, run before a key is claimed (the route parses again for its values).
 */
export function Idempotent(check?: RequestCheck): MethodDecorator {
  return applyDecorators(
    SetMetadata(CHECK_BEFORE_CLAIM, check),
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'a retry with the same key and body gets the first answer (Idempotent-Replayed: true) without acting again',
    }),
  );
}

/** Whether an earlier attempt with this request's Idempotency-Key may have acted already (in an @Idempotent route). */
export const IdempotencyAttempt = createParamDecorator(
  (_: unknown, context: ExecutionContext): IdempotentAttempt => context.switchToHttp().getRequest<KeyedRequest>().idempotentAttempt ?? { resumed: false },
);
