import { Injectable, type OnModuleInit } from '@nestjs/common';
import { MetricsService } from '#metrics';
import { DatabaseService } from './database.service.js';
import { LeaseService } from './lease.service.js';

/**
 * The database's and the leases' series, read at scrape time from what this replica already holds (pool
 * counters, the cached primary probe, the replicas' last lag check, lease state): a scrape adds no
 * query beyond the primary probe that readiness runs anyway, at most once a second.
 */
@Injectable()
export class DatabaseMetrics implements OnModuleInit {
  constructor(
    private readonly db: DatabaseService,
    private readonly leases: LeaseService,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    const { db, leases } = this;
    this.metrics.gauge({
      name: 'nmos_control_db_pool_connections',
      help: 'Connections of each pool by state: in_use, idle, and waiting (requests queued for a connection)',
      labelNames: ['pool', 'state'],
      collect() {
        for (const p of db.poolStats()) {
          this.set({ pool: p.pool, state: 'in_use' }, p.total - p.idle);
          this.set({ pool: p.pool, state: 'idle' }, p.idle);
          this.set({ pool: p.pool, state: 'waiting' }, p.waiting);
        }
      },
    });
    this.metrics.gauge({
      name: 'nmos_control_db_primary_up',
      help: '1 when this replica reaches a writable primary (the readiness probe, cached for a second)',
      async collect() {
        const { primary } = await db.status();
        this.set(primary.up && primary.writable ? 1 : 0);
      },
    });
    this.metrics.gauge({
      name: 'nmos_control_db_replica_lag_seconds',
      help: 'Replay lag of each read replica at its last check (absent while it is unreachable)',
      labelNames: ['replica'],
      async collect() {
        this.reset();
        for (const r of (await db.status()).replicas) if (r.lag_seconds !== null) this.set({ replica: r.name }, r.lag_seconds);
      },
    });
    this.metrics.gauge({
      name: 'nmos_control_db_replica_serving_reads',
      help: '1 when a read replica is up and within REPLICA_MAX_LAG_SECONDS (reads go to it), else 0',
      labelNames: ['replica'],
      async collect() {
        for (const r of (await db.status()).replicas) this.set({ replica: r.name }, r.serving_reads ? 1 : 0);
      },
    });
    this.metrics.counter({
      name: 'nmos_control_db_primary_moves_total',
      help: 'Failovers this replica followed: the primary found on another host',
      collect() {
        this.reset();
        this.inc(db.primaryMoves);
      },
    });
    this.metrics.gauge({
      name: 'nmos_control_lease_held',
      help: '1 for each lease this replica holds (singleton work: event relay, registry watchers, scheduler, ...)',
      labelNames: ['lease'],
      collect() {
        for (const name of leases.names()) this.set({ lease: name }, leases.isHeld(name) ? 1 : 0);
      },
    });
  }
}
