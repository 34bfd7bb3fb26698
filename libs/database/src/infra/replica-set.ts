import { Logger } from '@nestjs/common';
import { describeTarget, type PostgresTarget } from '#config';
import pg from 'pg';
import { chooseReplica, type ReplicaState } from '../domain/read-routing.js';
import { poolOptionsFor } from './pool-options.js';
import { ResilientClient } from './resilient-client.js';

/**
 * Lag in seconds as the standby sees it. When everything received has been replayed the standby is
 * current, whatever the age of the last commit (an idle primary must not look like lag). A standby that
 * was promoted reports 0: it is a primary now, and reads from it are fresh.
 */
const LAG_QUERY = `
  SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9)
  END::float8 AS lag`;

export interface ReplicaStatus {
  name: string;
  up: boolean;
  lag_seconds: number | null;
  serving_reads: boolean;
  error?: string;
}

interface Replica extends ReplicaState {
  pool: pg.Pool;
  error?: string;
}

/** The read replicas: a pool each, measured every second, chosen only when up and within the lag bound. */
export class ReplicaSet {
  private readonly logger = new Logger(ReplicaSet.name);
  private readonly replicas: Replica[];
  private turn = 0;
  private timer?: NodeJS.Timeout;
  private checking = false;

  constructor(
    targets: PostgresTarget[],
    private readonly maxLagSeconds: number,
    private readonly checkIntervalMs = 1000,
  ) {
    this.replicas = targets.map((target) => {
      const pool = new pg.Pool({
        ...poolOptionsFor(target, target.applicationName),
        host: target.hosts[0].host,
        port: target.hosts[0].port,
        Client: ResilientClient,
      });
      pool.on('error', () => undefined);
      return { name: describeTarget(target), pool, up: false };
    });
  }

  async start(): Promise<void> {
    if (this.replicas.length === 0) return;
    await this.check();
    this.timer = setInterval(() => void this.check(), this.checkIntervalMs);
    this.timer.unref();
  }

  /** The pool for the next lag-tolerant read, or undefined to use the primary. */
  pick(): { pool: pg.Pool; name: string } | undefined {
    const index = chooseReplica(this.replicas, this.maxLagSeconds, this.turn++);
    return index === undefined ? undefined : this.replicas[index];
  }

  /** A read failed with a connection error: stop using this replica until the next check sees it up. */
  markDown(name: string, error: string): void {
    const replica = this.replicas.find((r) => r.name === name);
    if (replica?.up) this.logger.warn({ replica: name, error }, 'read replica down');
    if (replica) Object.assign(replica, { up: false, error });
  }

  status(): ReplicaStatus[] {
    return this.replicas.map((r) => ({
      name: r.name,
      up: r.up,
      lag_seconds: r.lagSeconds === undefined ? null : Math.round(r.lagSeconds * 1000) / 1000,
      serving_reads: r.up && r.lagSeconds !== undefined && r.lagSeconds <= this.maxLagSeconds,
      ...(r.error ? { error: r.error } : {}),
    }));
  }

  /** Each replica pool's connections, for metrics. */
  poolStats(): Array<{ name: string; total: number; idle: number; waiting: number }> {
    return this.replicas.map((r) => ({ name: r.name, total: r.pool.totalCount, idle: r.pool.idleCount, waiting: r.pool.waitingCount }));
  }

  async end(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.replicas.map((r) => r.pool.end().catch(() => undefined)));
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      await Promise.all(this.replicas.map((replica) => this.measure(replica)));
    } finally {
      this.checking = false;
    }
  }

  private async measure(replica: Replica): Promise<void> {
    try {
      const [{ lag }] = (await replica.pool.query<{ lag: number }>(LAG_QUERY)).rows;
      if (!replica.up) this.logger.log({ replica: replica.name, lag }, 'read replica up');
      Object.assign(replica, { up: true, lagSeconds: lag, error: undefined });
    } catch (err) {
      this.markDown(replica.name, (err as Error).message);
    }
  }
}
