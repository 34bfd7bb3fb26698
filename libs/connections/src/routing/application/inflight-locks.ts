import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DomainError, INSTANCE_ID, sleep } from '#common';
import { AppConfig } from '#config';
import { DatabaseService, type Sql } from '#database';
import { InflightRepository } from '../infra/inflight.repository.js';

/** How long a claim's release keeps trying while the database is away. */
const RELEASE_FOR_MS = 10_000;

/** Receivers claimed while a take runs. */
export class ReceiverClaim {
  private releasedWithRecord = false;

  constructor(
    readonly token: string,
    private readonly repository: InflightRepository,
  ) {}

  /** Releases inside the transaction that records the take (one commit fewer); call `recorded()` once it committed. */
  releaseIn(sql: Sql): Promise<void> {
    return this.repository.release(sql, this.token);
  }

  recorded(): void {
    this.releasedWithRecord = true;
  }

  get released(): boolean {
    return this.releasedWithRecord;
  }
}

/**
 * Never two takes in flight on one receiver from any of our replicas: a claim row per receiver on the
 * primary, all or nothing for a salvo. A second request waits up to RECEIVER_LOCK_WAIT_MS, then gets
 * 409. The claim expires by itself if its replica dies mid-take.
 */
@Injectable()
export class InflightLocks {
  private readonly logger = new Logger(InflightLocks.name);
  private readonly waitMs: number;

  constructor(
    private readonly db: DatabaseService,
    private readonly repository: InflightRepository,
    config: AppConfig,
  ) {
    this.waitMs = config.routing.receiverLockWaitMs;
  }

  async around<T>(receiverIds: string[], holdMs: number, work: (claim: ReceiverClaim) => Promise<T>): Promise<T> {
    const token = randomUUID();
    const deadline = Date.now() + this.waitMs;
    for (let attempt = 0; ; attempt++) {
      if (await this.db.write((sql) => this.repository.claim(sql, receiverIds, token, INSTANCE_ID, holdMs))) break;
      if (Date.now() >= deadline) {
        throw new DomainError(
          'conflict',
          'receiver_busy',
          `Another take on ${receiverIds.length === 1 ? `receiver ${receiverIds[0]}` : 'one of these receivers'} is in progress; try again`,
          {
            retryAfterSeconds: 1,
          },
        );
      }
      await sleep(Math.min(200, 20 * 2 ** Math.min(attempt, 4)) * (0.5 + Math.random() / 2));
    }
    const claim = new ReceiverClaim(token, this.repository);
    try {
      return await work(claim);
    } finally {
      if (!claim.released) await this.release(token, receiverIds.length);
    }
  }

  /** Through a failover too: a claim left behind would hold the receiver until it expires. */
  private async release(token: string, receivers: number): Promise<void> {
    const deadline = Date.now() + RELEASE_FOR_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.write((sql) => this.repository.release(sql, token));
      } catch (err) {
        if (Date.now() > deadline) {
          this.logger.warn({ err: (err as Error).message, receivers }, 'could not release a receiver claim: it expires by itself');
          return;
        }
        await sleep(Math.min(1_000, 100 * attempt));
      }
    }
  }
}
