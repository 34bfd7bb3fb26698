import { DomainError } from '#common';

/**
 * The primary cannot take writes right now (outage or failover). The HTTP edge answers 503 with
 * Retry-After; the write was not acknowledged, so the client may retry (with an idempotency key where
 * the route takes one: a failure during COMMIT leaves the outcome unknown).
 */
export class DatabaseUnavailableError extends DomainError {
  constructor(
    reason: string,
    override readonly cause?: unknown,
  ) {
    super('unavailable', 'database_unavailable', `The database cannot serve this request right now (${reason}); retry shortly`, {
      retryAfterSeconds: 2,
    });
  }
}
