import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DomainError, INSTANCE_ID, sleep } from '#common';
import { AppConfig } from '#config';
import { DatabaseService } from '#database';
import { InflightRepository } from '../infra/inflight.repository.js';

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

  async around<T>(receiverIds: string[], holdMs: number, work: () => Promise<T>): Promise<T> {
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
    try {
      return await work();
    } finally {
      await this.db
        .write((sql) => this.repository.release(sql, token))
        .catch((err: Error) => {
          // The claim expires by itself; until then this receiver waits.
          this.logger.warn({ err: err.message, receivers: receiverIds.length }, 'could not release a receiver claim');
        });
    }
  }
}
