import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '#config';
import { INSTANCE_ID, withTimeout } from '#common';
import { MetricsService, type Counter } from '#metrics';
import { DatabaseService } from './database.service.js';

export interface LeaseListener {
  /** This replica now holds the role. `epoch` grows with every change of holder (a fencing token). */
  acquired?(epoch: number): void | Promise<void>;
  /** This replica no longer holds the role: stop the work at once. */
  lost?(): void | Promise<void>;
}

export interface LeaseHolder {
  name: string;
  holder: string | null;
  epoch: number | null;
  expires_at: string | null;
  held_here: boolean;
}

interface Lease {
  name: string;
  listener: LeaseListener;
  held: boolean;
  epoch: number;
  /** performance.now() after which we must assume another replica may hold it. */
  validUntil: number;
  renewing: boolean;
  timer?: NodeJS.Timeout;
}

/** Stop acting as holder this long before the lease row expires, to absorb clock rate and scheduling noise. */
const SAFETY_MARGIN_MS = 1_000;
const HOLDERS_TIMEOUT_MS = 1_000;

/**
 * Lets exactly one replica at a time hold a named role (registry watching, the event relay, ...). The
 * lease is a row on the primary with an expiry in the database's clock; the holder renews it every third
 * of LEASE_TTL_SECONDS. A holder that cannot renew stops acting before the row expires; another replica
 * takes over once it has expired (within TTL + one renewal period: 8 s with the default 6 s TTL). A row
 * written on the primary cannot be taken on a standby, unlike an advisory lock.
 */
@Injectable()
export class LeaseService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(LeaseService.name);
  private readonly leases = new Map<string, Lease>();
  private readonly ttlMs: number;
  private stopped = false;
  private readonly acquisitions: Counter<'lease'>;

  constructor(
    private readonly db: DatabaseService,
    config: AppConfig,
    metrics: MetricsService,
  ) {
    this.ttlMs = config.leaseTtlSeconds * 1000;
    this.acquisitions = metrics.counter({
      name: 'nmos_control_lease_acquired_total',
      help: 'Leases this replica took: at start, or over from a replica that died (a takeover)',
      labelNames: ['lease'],
    });
  }

  get instanceId(): string {
    return INSTANCE_ID;
  }

  /** The leases this replica competes for. */
  names(): string[] {
    return [...this.leases.keys()];
  }

  /** Competes for `name` from now on; the listener hears when this replica gains or loses it. */
  participate(name: string, listener: LeaseListener): void {
    if (this.leases.has(name)) throw new Error(`lease ${name} is already being competed for`);
    const lease: Lease = { name, listener, held: false, epoch: 0, validUntil: 0, renewing: false };
    this.leases.set(name, lease);
    const tick = () => {
      if (this.stopped) return;
      this.checkExpiry(lease);
      void this.renew(lease);
    };
    lease.timer = setInterval(tick, Math.max(250, Math.floor(this.ttlMs / 6)));
    lease.timer.unref();
    tick();
  }

  isHeld(name: string): boolean {
    const lease = this.leases.get(name);
    return lease !== undefined && lease.held && performance.now() < lease.validUntil;
  }

  /**
   * Who holds what, as the database says; this replica's own view when the database does not answer
   * within a second (readiness probes must stay quick during an outage).
   */
  async holders(): Promise<LeaseHolder[]> {
    try {
      const rows = await withTimeout(
        this.db.readPrimary((sql) =>
          sql.query<{ name: string; holder: string; epoch: string; expires_at: Date; valid: boolean }>(
            'SELECT name, holder, epoch, expires_at, expires_at > now() AS valid FROM leases ORDER BY name',
          ),
        ),
        HOLDERS_TIMEOUT_MS,
      );
      return rows.map((r) => ({
        name: r.name,
        holder: r.valid ? r.holder : null,
        epoch: Number(r.epoch),
        expires_at: r.expires_at.toISOString(),
        held_here: r.valid && r.holder === INSTANCE_ID,
      }));
    } catch {
      return [...this.leases.values()].map((l) => ({
        name: l.name,
        holder: this.isHeld(l.name) ? INSTANCE_ID : null,
        epoch: l.epoch || null,
        expires_at: null,
        held_here: this.isHeld(l.name),
      }));
    }
  }

  /** On clean shutdown the roles are handed back at once, so another replica need not wait for expiry. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    const held = [...this.leases.values()].filter((l) => l.held);
    for (const lease of this.leases.values()) clearInterval(lease.timer);
    for (const lease of held) await this.lose(lease, 'shutting down');
    if (held.length === 0) return;
    await this.db
      .write((sql) => sql.execute('DELETE FROM leases WHERE name = ANY($1) AND holder = $2', [held.map((l) => l.name), INSTANCE_ID]))
      .catch((err) => this.logger.warn({ err: (err as Error).message }, 'could not release leases; they will expire'));
  }

  private async renew(lease: Lease): Promise<void> {
    if (lease.renewing) return;
    lease.renewing = true;
    const sentAt = performance.now();
    try {
      const rows = await this.db.write((sql) =>
        sql.query<{ epoch: string }>(
          `INSERT INTO leases AS l (name, holder, epoch, acquired_at, renewed_at, expires_at)
           VALUES ($1, $2, 1, now(), now(), now() + make_interval(secs => $3))
           ON CONFLICT (name) DO UPDATE SET
             holder = EXCLUDED.holder,
             epoch = CASE WHEN l.holder = EXCLUDED.holder THEN l.epoch ELSE l.epoch + 1 END,
             acquired_at = CASE WHEN l.holder = EXCLUDED.holder THEN l.acquired_at ELSE now() END,
             renewed_at = now(),
             expires_at = EXCLUDED.expires_at
           WHERE l.holder = EXCLUDED.holder OR l.expires_at < now()
           RETURNING epoch`,
          [lease.name, INSTANCE_ID, this.ttlMs / 1000],
        ),
      );
      if (this.stopped) return;
      if (rows.length === 0) {
        if (lease.held) await this.lose(lease, 'another replica holds it');
        return;
      }
      lease.validUntil = sentAt + this.ttlMs - SAFETY_MARGIN_MS;
      if (!lease.held) {
        lease.held = true;
        lease.epoch = Number(rows[0].epoch);
        this.logger.log({ lease: lease.name, epoch: lease.epoch, holder: INSTANCE_ID }, 'lease acquired');
        this.acquisitions.inc({ lease: lease.name });
        await lease.listener.acquired?.(lease.epoch);
      }
    } catch (err) {
      this.logger.debug({ lease: lease.name, err: (err as Error).message }, 'lease renewal failed');
      this.checkExpiry(lease);
    } finally {
      lease.renewing = false;
    }
  }

  private checkExpiry(lease: Lease): void {
    if (lease.held && performance.now() >= lease.validUntil) void this.lose(lease, 'could not renew in time');
  }

  private async lose(lease: Lease, reason: string): Promise<void> {
    if (!lease.held) return;
    lease.held = false;
    this.logger.warn({ lease: lease.name, reason }, 'lease lost');
    try {
      await lease.listener.lost?.();
    } catch (err) {
      this.logger.error({ lease: lease.name, err: (err as Error).message }, 'lease listener failed on loss');
    }
  }
}
