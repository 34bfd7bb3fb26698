import { Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '#config';
import { DatabaseService, LeaseService } from '#database';

export const AUTH_MAINTENANCE_LEASE = 'auth-maintenance';
const PRUNE_INTERVAL_MS = 60_000;

/**
 * Deletes login-failure windows that have ended. Singleton work: only the replica holding the
 * `auth-maintenance` lease runs it.
 */
@Injectable()
export class LoginFailuresJanitor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(LoginFailuresJanitor.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly db: DatabaseService,
    private readonly leases: LeaseService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.leases.participate(AUTH_MAINTENANCE_LEASE, {
      acquired: () => {
        this.timer = setInterval(() => void this.prune(), PRUNE_INTERVAL_MS);
        this.timer.unref();
        void this.prune();
      },
      lost: () => clearInterval(this.timer),
    });
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async prune(): Promise<void> {
    if (!this.leases.isHeld(AUTH_MAINTENANCE_LEASE)) return;
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
