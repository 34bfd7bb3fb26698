import { Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { sleep } from '#common';
import { AppConfig } from '#config';
import { DatabaseService, LeaseLoop, LeaseService } from '#database';

export const AUTH_MAINTENANCE_LEASE = 'auth-maintenance';
const PRUNE_INTERVAL_MS = 60_000;

/**
 * Deletes login-failure windows that have ended. Singleton work: only the replica holding the
 * `auth-maintenance` lease runs it.
 */
@Injectable()
export class LoginFailuresJanitor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(LoginFailuresJanitor.name);
  private readonly lease: LeaseLoop;

  constructor(
    private readonly db: DatabaseService,
    private readonly config: AppConfig,
    leases: LeaseService,
  ) {
    this.lease = new LeaseLoop(leases, AUTH_MAINTENANCE_LEASE, async (holding, stopped) => {
      while (holding()) {
        await this.prune();
        await sleep(PRUNE_INTERVAL_MS, stopped);
      }
    });
  }

  onApplicationBootstrap(): void {
    this.lease.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.lease.stop();
  }

  private async prune(): Promise<void> {
    try {
      const removed = await this.db.write((sql) =>
        sql.execute('DELETE FROM login_failures WHERE window_started_at <= now() - make_interval(secs => $1)', [this.config.login.windowSeconds]),
      );
      if (removed > 0) this.logger.debug({ removed }, 'expired login failure windows pruned');
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not prune login failures');
    }
  }
}
