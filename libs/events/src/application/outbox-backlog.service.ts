import { Injectable } from '@nestjs/common';
import { ExpiringCache, withTimeout } from '#common';
import { DatabaseService } from '#database';
import { PROBE_QUERY_TIMEOUT_MS } from '#health';
import { OutboxRepository } from '../infra/outbox.repository.js';

export interface OutboxBacklogFigures {
  count: number;
  oldest_seconds: number | null;
}

/** How long one read of the backlog answers the readiness probe and the metrics alike. */
const BACKLOG_CACHE_MS = 1_000;

/**
 * Events committed and not yet acknowledged by the broker, for the readiness probe and `/metrics`: read
 * through the outbox's partial indexes, bounded by the probes' timeout, shared for a second. Null when
 * the read failed or took too long (the caller says "unknown", never waits).
 */
@Injectable()
export class OutboxBacklog {
  private readonly cache = new ExpiringCache<OutboxBacklogFigures | null>(BACKLOG_CACHE_MS, 1);

  constructor(
    private readonly db: DatabaseService,
    private readonly outbox: OutboxRepository,
  ) {}

  read(): Promise<OutboxBacklogFigures | null> {
    return this.cache.getOrLoad('backlog', () =>
      withTimeout(
        this.db.readPrimary((sql) => this.outbox.backlog(sql)),
        PROBE_QUERY_TIMEOUT_MS,
      ).catch(() => null),
    );
  }
}
