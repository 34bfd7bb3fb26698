import { Logger } from '@nestjs/common';
import { describeTarget, type PostgresTarget } from '#config';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import { chooseReplica, type ReplicaState } from '../domain/read-routing.js';
import { poolOptionsFor } from './pool-options.js';
import type { EntityClass } from './primary-data-source.js';
import { ResilientClient } from './resilient-client.js';

/** What TypeORM's PostgreSQL driver keeps about its pool (not in its public types). */
interface PostgresDriverInternals {
  master: pg.Pool;
}

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
  /** pg's settings for the replica's pool: our resilient client, every wait bounded. */
  options: pg.PoolConfig;
  /** Once the replica was first reached: its DataSource, and the pool TypeORM made for it. */
  dataSource?: DataSource;
  pool?: pg.Pool;
  error?: string;
}

/** A replica chosen for a read: its pool, and its DataSource for `Sql.entities`. */
export interface PickedReplica {
  name: string;
  pool: pg.Pool;
  dataSource: DataSource;
}

/**
 * The read replicas: a TypeORM DataSource each (built as the primary's is, with `extra` handing pg our
 * client and pool options), measured every second, chosen only when up and within the lag bound. A
 * DataSource connects when it initialises, so a replica down at start is reached by a later check, not
 * at start: until then it is down, and reads go to the primary.
 */
export class ReplicaSet {
  private readonly logger = new Logger(ReplicaSet.name);
  private readonly replicas: Replica[];
  private turn = 0;
  private timer?: NodeJS.Timeout;
  private checking = false;

  constructor(
    targets: PostgresTarget[],
    private readonly maxLagSeconds: number,
    private readonly entities: EntityClass[] = [],
    private readonly checkIntervalMs = 1000,
  ) {
    this.replicas = targets.map((target) => ({
      name: describeTarget(target),
      options: { ...poolOptionsFor(target, target.applicationName), host: target.hosts[0].host, port: target.hosts[0].port },
      up: false,
    }));
  }

  async start(): Promise<void> {
    if (this.replicas.length === 0) return;
    await this.check();
    this.timer = setInterval(() => void this.check(), this.checkIntervalMs);
    this.timer.unref();
  }

  /** The replica for the next lag-tolerant read, or undefined to use the primary. */
  pick(): PickedReplica | undefined {
    const index = chooseReplica(this.replicas, this.maxLagSeconds, this.turn++);
    const replica = index === undefined ? undefined : this.replicas[index];
    return replica?.pool && replica.dataSource ? { name: replica.name, pool: replica.pool, dataSource: replica.dataSource } : undefined;
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
    return this.replicas.map((r) => ({ name: r.name, total: r.pool?.totalCount ?? 0, idle: r.pool?.idleCount ?? 0, waiting: r.pool?.waitingCount ?? 0 }));
  }

  async end(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.replicas.map((r) => r.dataSource?.destroy().catch(() => undefined)));
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
      const pool = replica.pool ?? (await this.connect(replica));
      const [{ lag }] = (await pool.query<{ lag: number }>(LAG_QUERY)).rows;
      if (!replica.up) this.logger.log({ replica: replica.name, lag }, 'read replica up');
      Object.assign(replica, { up: true, lagSeconds: lag, error: undefined });
    } catch (err) {
      this.markDown(replica.name, (err as Error).message);
    }
  }

  /** The replica's DataSource, initialised (TypeORM connects once to learn the server's version). */
  private async connect(replica: Replica): Promise<pg.Pool> {
    const dataSource = new DataSource({
      type: 'postgres',
      database: replica.options.database,
      entities: this.entities,
      synchronize: false,
      installExtensions: false,
      logging: false,
      // A broken idle connection is only dropped: the next check or read finds the replica down.
      poolErrorHandler: () => undefined,
      extra: { ...replica.options, Client: ResilientClient },
    });
    try {
      await dataSource.initialize();
    } catch (err) {
      await dataSource.destroy().catch(() => undefined);
      throw err;
    }
    replica.dataSource = dataSource;
    replica.pool = (dataSource.driver as unknown as PostgresDriverInternals).master;
    return replica.pool;
  }
}
