import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DomainError, INSTANCE_ID, toErrorResponse } from '#common';
import { DatabaseService } from './database.service.js';
import { IdempotencyRepository } from '../infra/idempotency.repository.js';

export interface IdempotentAttempt {
  /**
   * An earlier attempt with this key may have acted already: it died, or it acted on the device and then
   * could not record it (the database failed over for longer than `writeThrough` waits). An immediate take
   * checks what the device shows before acting again, so its key acts at most once; salvos and
   * scheduled takes do not check yet, and act again.
   */
  resumed: boolean;
}

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
 * "try again" (503, 502, 504) are not kept: the retry runs again, told that the first may have acted.
 */
@Injectable()
export class IdempotencyService {
  private readonly logger = new Logger(IdempotencyService.name);
  /** Keys this replica is acting on right now. */
  private readonly running = new Set<string>();

  constructor(
    private readonly db: DatabaseService,
    private readonly repository: IdempotencyRepository,
  ) {}

  async run<T>(
    owner: string,
    key: string | undefined,
    route: string,
    request: unknown,
    work: (attempt: IdempotentAttempt) => Promise<{ status: number; body: T }>,
  ): Promise<StoredAnswer<T>> {
    if (key === undefined) return { ...(await work({ resumed: false })), replayed: false };
    if (!KEY.test(key))
      throw new DomainError('invalid', 'invalid_idempotency_key', 'Idempotency-Key: must be 1-200 visible ASCII characters', {
        fields: [{ field: 'Idempotency-Key', message: 'must be 1-200 visible ASCII characters' }],
      });
    const hash = createHash('sha256')
      .update(JSON.stringify(request ?? null))
      .digest('hex');
    const runningKey = `${owner}\u0000${key}`;
    if (this.running.has(runningKey)) throw inProgress();
    // Marked before the claim, so two requests with one key on this replica never both act.
    this.running.add(runningKey);
    try {
      const found = await this.db.write((sql) => this.repository.claim(sql, owner, key, route, hash, INSTANCE_ID));
      if (found.state === 'new') return { ...(await this.act(owner, key, () => work({ resumed: found.resumed }))), replayed: false };
      if (!found.sameRequest) throw new DomainError('conflict', 'idempotency_key_reused', 'Idempotency-Key was used for a different request');
      if (found.state === 'done') return { status: found.status, body: found.body as T, replayed: true };
      // Pending, ours, and not running here: an earlier attempt on this replica ended without storing its
      // answer (its claim's answer, or its record, was lost in a failover). It may have acted: resume.
      const reclaimed = found.holder === INSTANCE_ID && (await this.db.write((sql) => this.repository.reclaim(sql, owner, key, INSTANCE_ID)));
      if (!reclaimed) throw inProgress();
      return { ...(await this.act(owner, key, () => work({ resumed: true }))), replayed: false };
    } finally {
      this.running.delete(runningKey);
    }
  }

  /** Runs the request and keeps its answer, or releases the key for a resumed retry when the answer invites one. */
  private async act<T>(owner: string, key: string, work: () => Promise<{ status: number; body: T }>): Promise<{ status: number; body: T }> {
    try {
      const answer = await work();
      await this.db.writeThrough((sql) => this.repository.complete(sql, owner, key, answer.status, answer.body));
      return answer;
    } catch (err) {
      // A refusal (4xx, as the HTTP edge would answer it) is what a retry would meet again: kept. Device and
      // database failures (5xx) and transient refusals (Retry-After: receiver busy) are released, so the retry
      // runs again, resumed: it checks the device first, since this attempt may have acted.
      const refusal = err instanceof DomainError && err.details.retryAfterSeconds === undefined ? toErrorResponse(err, undefined, this.logger) : undefined;
      if (refusal && refusal.status < 500) {
        await this.db.writeThrough((sql) => this.repository.complete(sql, owner, key, refusal.status, refusal.body)).catch(() => undefined);
      } else {
        await this.db.write((sql) => this.repository.releaseForRetry(sql, owner, key)).catch(() => undefined);
      }
      throw err;
    }
  }

  /** Forgets keys older than this (retries come within minutes): singleton work, run by the routing scheduler's lease holder. */
  prune(olderThanSeconds: number): Promise<number> {
    return this.db.write((sql) => this.repository.prune(sql, olderThanSeconds));
  }
}

function inProgress(): DomainError {
  return new DomainError('conflict', 'idempotency_in_progress', 'The first request with this Idempotency-Key is still running', { retryAfterSeconds: 1 });
}
