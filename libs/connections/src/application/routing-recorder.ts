import { Injectable, Logger } from '@nestjs/common';
import { INSTANCE_ID, sleep } from '#common';
import { DatabaseService, DatabaseUnavailableError, type Sql } from '#database';
import { EventsService } from '#events';
import { eventActor, type Actor } from '../domain/actor.js';
import { receiverStateEvent } from '../domain/receiver-state.js';
import { AuditRepository, type AuditEntry } from '../infra/audit.repository.js';
import { ConnectionStateRepository } from '../infra/connection-state.repository.js';
import type { ReceiverClaim } from './inflight-locks.js';

type Verified = { receiverId: string; active: Record<string, unknown> };

/** How long a write after a device already acted keeps trying through a database failover. */
const PERSIST_FOR_MS = 10_000;

/**
 * Writes what happened: each verified /active (with its receiver.state.changed event) and the audit
 * rows, in one transaction. The device has already acted by then, so a database outage is waited out
 * for a while rather than losing the record.
 */
@Injectable()
export class RoutingRecorder {
  private readonly logger = new Logger(RoutingRecorder.name);

  constructor(
    private readonly db: DatabaseService,
    private readonly state: ConnectionStateRepository,
    private readonly audit: AuditRepository,
    private readonly events: EventsService,
  ) {}

  /** With the take's claim, released in the same transaction. */
  async record(verified: Verified[], entries: AuditEntry[], actor?: Actor, claim?: ReceiverClaim): Promise<void> {
    await this.persist(async (sql) => {
      await this.recordIn(sql, verified, entries, actor);
      if (claim) await claim.releaseIn(sql);
    });
    claim?.recorded();
  }

  /** The same, inside the caller's transaction. */
  async recordIn(sql: Sql, verified: Verified[], entries: AuditEntry[], actor?: Actor): Promise<void> {
    for (const { receiverId, active } of verified) {
      const saved = await this.state.saveVerified(sql, receiverId, active, actor ? eventActor(actor) : null);
      const state = {
        receiver_id: receiverId,
        sender_id: saved.sender_id,
        master_enable: saved.master_enable,
        source: 'controller' as const,
        since: saved.verified_at.toISOString(),
      };
      await this.events.record(sql, receiverStateEvent(state, actor ? eventActor(actor) : undefined));
    }
    await this.audit.insert(sql, entries, INSTANCE_ID);
  }

  /** Runs `work` in a transaction, retrying through a failover for up to PERSIST_FOR_MS. */
  async persist<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const deadline = Date.now() + PERSIST_FOR_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.write(work);
      } catch (err) {
        if (!(err instanceof DatabaseUnavailableError) || Date.now() > deadline) throw err;
        this.logger.warn({ attempt, err: err.message }, 'database unavailable while recording a take: retrying');
        await sleep(Math.min(1_000, 100 * attempt));
      }
    }
  }
}
