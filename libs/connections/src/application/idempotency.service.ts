import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DomainError } from '#common';
import { DatabaseService } from '#database';
import { IdempotencyRepository } from '../infra/idempotency.repository.js';
import { RoutingRecorder } from './routing-recorder.js';

export interface StoredAnswer<T = unknown> {
  status: number;
  body: T;
  /** True when this is the first request's answer, replayed. */
  replayed: boolean;
}

const KEY = /^[\x21-\x7e]{1,200}$/;

/**
 * `Idempotency-Key`: the first request with a key acts and its answer is stored (in the database, so every
 * replica and a promoted primary know it); a retry with the same key and body gets that answer without
 * acting again. While the first is still running, a retry gets 409 with Retry-After. Answers that say
 * "try again" (503, 502, 504) are not kept, so the retry acts.
 */
@Injectable()
export class IdempotencyService {
  constructor(
    private readonly db: DatabaseService,
    private readonly repository: IdempotencyRepository,
    private readonly recorder: RoutingRecorder,
  ) {}

  async run<T>(
    owner: string,
    key: string | undefined,
    route: string,
    request: unknown,
    work: () => Promise<{ status: number; body: T }>,
  ): Promise<StoredAnswer<T>> {
    if (key === undefined) return { ...(await work()), replayed: false };
    if (!KEY.test(key))
      throw new DomainError('invalid', 'invalid_idempotency_key', 'Idempotency-Key: must be 1-200 visible ASCII characters', {
        fields: [{ field: 'Idempotency-Key', message: 'must be 1-200 visible ASCII characters' }],
      });
    const hash = createHash('sha256')
      .update(JSON.stringify(request ?? null))
      .digest('hex');
    const found = await this.db.write((sql) => this.repository.claim(sql, owner, key, route, hash));
    if (found.state !== 'new') {
      if (!found.sameRequest) throw new DomainError('conflict', 'idempotency_key_reused', 'Idempotency-Key was used for a different request');
      if (found.state === 'pending')
        throw new DomainError('conflict', 'idempotency_in_progress', 'The first request with this Idempotency-Key is still running', { retryAfterSeconds: 1 });
      return { status: found.status, body: found.body as T, replayed: true };
    }
    try {
      const answer = await work();
      await this.recorder.persist((sql) => this.repository.complete(sql, owner, key, answer.status, answer.body));
      return { ...answer, replayed: false };
    } catch (err) {
      if (err instanceof DomainError && !['unavailable', 'bad_gateway', 'gateway_timeout'].includes(err.kind)) {
        const status = { invalid: 400, forbidden: 403, not_found: 404, conflict: 409, locked: 423 }[err.kind as string];
        if (status) {
          const body = { statusCode: status, error: err.code, message: err.message, ...err.details.extra };
          await this.recorder.persist((sql) => this.repository.complete(sql, owner, key, status, body)).catch(() => undefined);
        } else await this.db.write((sql) => this.repository.forget(sql, owner, key)).catch(() => undefined);
      } else {
        await this.db.write((sql) => this.repository.forget(sql, owner, key)).catch(() => undefined);
      }
      throw err;
    }
  }
}
