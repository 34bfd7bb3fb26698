import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig, describeTarget, type PostgresTarget } from '#config';
import { sleep, withTimeout } from '#common';
import type pg from 'pg';
import type { DataSource } from 'typeorm';
import { classifyDatabaseFailure } from '../domain/database-failure.js';
import { DatabaseUnavailableError } from '../domain/database-unavailable.error.js';
import type { Sql } from '../domain/sql.js';
import { startEmbeddedDatabase } from '../infra/embedded-database.js';
import { runMigrations, type MigrationClass } from '../infra/migration-runner.js';
import { openPrimaryDataSource, type EntityClass } from '../infra/primary-data-source.js';
import { sqlOver } from '../infra/pg-sql.js';
import { poolOptionsFor } from '../infra/pool-options.js';
import type { PostgresServer } from '../infra/postgres-server.js';
import { PrimaryLocator } from '../infra/primary-locator.js';
import { PrimaryPool } from '../infra/primary-pool.js';
import { ReplicaSet, type ReplicaStatus } from '../infra/replica-set.js';
import { ResilientClient } from '../infra/resilient-client.js';

export interface PrimaryStatus {
  name: string;
  up: boolean;
  writable: boolean;
  latency_ms?: number;
  error?: string;
}

export interface DatabaseStatus {
  mode: 'embedded' | 'external';
  primary: PrimaryStatus;
  replicas: ReplicaStatus[];
}

const PRIMARY_PROBE_TIMEOUT_MS = 2_000;
/** How long a write that must land keeps trying through a failover (a Patroni failover takes 8-12 s). */
const WRITE_THROUGH_MS = 10_000;
const PRIMARY_PROBE_CACHE_MS = 1_000;

/**
 * The one way modules reach PostgreSQL.
 * - `write`: a transaction on the primary, acknowledged only after COMMIT. An outage or failover raises
 *   DatabaseUnavailableError (503 + Retry-After), never a false success; the broken connection is
 *   discarded and the pool reconnects by itself.
 * - `readPrimary`: reads that must see the caller's own writes.
 * - `read`: lag-tolerant reads, from a healthy replica within REPLICA_MAX_LAG_SECONDS, else the primary.
 */
export class DatabaseService implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseService.name);
  private probe?: { at: number; result: Promise<PrimaryStatus> };

  private constructor(
    private readonly mode: 'embedded' | 'external',
    private readonly primaryTarget: PostgresTarget,
    private readonly locator: PrimaryLocator,
    private readonly primaryPool: PrimaryPool,
    private readonly dataSource: DataSource,
    private readonly replicas: ReplicaSet,
    private readonly listenerConfig: pg.ClientConfig,
    private readonly embedded?: PostgresServer,
  ) {}

  static async open(config: AppConfig, migrations: MigrationClass[], entities: EntityClass[] = []): Promise<DatabaseService> {
    const logger = new Logger(DatabaseService.name);
    let embedded: PostgresServer | undefined;
    let primary: PostgresTarget;
    let replicaTargets: PostgresTarget[] = [];
    if (config.database.mode === 'embedded') {
      ({ server: embedded, target: primary } = await startEmbeddedDatabase(config.dataDir, config.database.port));
    } else {
      primary = config.database.primary;
      replicaTargets = config.database.replicas;
    }
    const options = poolOptionsFor(primary, primary.applicationName);
    const locator = new PrimaryLocator(primary, {
      user: options.user,
      password: options.password,
      database: options.database,
      ssl: options.ssl,
      connectionTimeoutMillis: options.connectionTimeoutMillis,
      application_name: `${primary.applicationName}-probe`,
    });
    const primaryPool = new PrimaryPool(locator);
    let dataSource: DataSource | undefined;
    // A replica starting during a database outage waits for it rather than crash-looping.
    for (let attempt = 1; ; attempt++) {
      try {
        if (!(await locator.locate())) throw new Error('no writable host among DATABASE_URL hosts');
        dataSource = await openPrimaryDataSource(options, primaryPool, migrations, entities);
        await runMigrations(dataSource);
        break;
      } catch (err) {
        await dataSource?.destroy().catch(() => undefined);
        dataSource = undefined;
        if (classifyDatabaseFailure(err) === 'other' && !(err as Error).message.startsWith('no writable host')) throw err;
        logger.warn({ attempt, target: describeTarget(primary), err: (err as Error).message }, 'waiting for the primary database');
        await sleep(Math.min(5_000, 500 * attempt));
      }
    }
    const replicas = new ReplicaSet(replicaTargets, config.replicaMaxLagSeconds, entities);
    await replicas.start();
    logger.log({ primary: describeTarget(primary), replicas: replicaTargets.map(describeTarget) }, 'database ready');
    const listenerConfig: pg.ClientConfig = {
      user: options.user,
      password: options.password,
      database: options.database,
      ssl: options.ssl,
      connectionTimeoutMillis: options.connectionTimeoutMillis,
      application_name: `${primary.applicationName}-listen`,
      keepAlive: true,
    };
    return new DatabaseService(config.database.mode, primary, locator, primaryPool, dataSource!, replicas, listenerConfig, embedded);
  }

  /** Runs `work` in one transaction on the primary; resolves only after COMMIT succeeded. */
  async write<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const client = await this.checkout();
    try {
      await client.query('BEGIN');
      const sql = sqlOver(client, this.dataSource, true);
      const result = await work(sql);
      await client.query('COMMIT');
      client.release();
      sql.settle();
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw this.failed(client, err);
    }
  }

  /**
   * A write that must land (a device has already acted; a schedule has fired): `write`, retried while
   * the primary is away (DatabaseUnavailableError) for up to `forMs`, with a growing pause. Other
   * failures, and the last unavailability, are thrown. `work` may run more than once: it must be one
   * transaction's worth of idempotent SQL (it is: each attempt is rolled back or committed whole).
   */
  async writeThrough<T>(work: (sql: Sql) => Promise<T>, forMs = WRITE_THROUGH_MS): Promise<T> {
    const deadline = Date.now() + forMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.write(work);
      } catch (err) {
        if (!(err instanceof DatabaseUnavailableError) || Date.now() > deadline) throw err;
        this.logger.warn({ attempt, err: err.message }, 'primary unavailable for a write that must land: retrying');
        await sleep(Math.min(1_000, 100 * attempt));
      }
    }
  }

  /** Reads on the primary, for callers that must see their own writes. */
  async readPrimary<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const client = await this.checkout();
    try {
      const sql = sqlOver(client, this.dataSource, false);
      const result = await work(sql);
      client.release();
      sql.settle();
      return result;
    } catch (err) {
      throw this.failed(client, err);
    }
  }

  /** Lag-tolerant reads: a healthy replica when there is one, else the primary. */
  async read<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const replica = this.replicas.pick();
    if (replica) {
      try {
        const sql = sqlOver(replica.pool, replica.dataSource, false);
        const result = await work(sql);
        sql.settle();
        return result;
      } catch (err) {
        if (classifyDatabaseFailure(err) === 'other') throw err;
        this.replicas.markDown(replica.name, (err as Error).message);
      }
    }
    return this.readPrimary(work);
  }

  /** Connections of every pool (the primary's, then each replica's), for metrics: no query. */
  poolStats(): Array<{ pool: string; total: number; idle: number; waiting: number }> {
    const primary = this.primaryPool.pool;
    return [
      { pool: 'primary', total: primary.totalCount, idle: primary.idleCount, waiting: primary.waitingCount },
      ...this.replicas.poolStats().map((r) => ({ pool: `replica ${r.name}`, total: r.total, idle: r.idle, waiting: r.waiting })),
    ];
  }

  /** Times this replica found the primary on another host (failovers it followed). */
  get primaryMoves(): number {
    return this.locator.moves;
  }

  /** For readiness: can this replica of the app write right now? Cached briefly so probes stay cheap. */
  async status(): Promise<DatabaseStatus> {
    const now = Date.now();
    if (!this.probe || now - this.probe.at > PRIMARY_PROBE_CACHE_MS) this.probe = { at: now, result: this.probePrimary() };
    return { mode: this.mode, primary: await this.probe.result, replicas: this.replicas.status() };
  }

  /**
   * Calls `onNotify` on every NOTIFY on `channel` from the primary, over a dedicated connection kept for
   * ever, and once on every (re)connection: notifications are not replayed, so a listener must
   * re-read what it cares about then. Answers a function that stops listening.
   */
  listen(channel: string, onNotify: () => void): () => Promise<void> {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
    let stopped = false;
    let client: ResilientClient | undefined;
    const run = async () => {
      while (!stopped) {
        try {
          client = new ResilientClient({ ...this.listenerConfig, ...this.locator.current() });
          await client.connect();
          await client.query(`LISTEN ${channel}`);
          client.on('notification', () => onNotify());
          const ended = new Promise<void>((resolve) => client!.once('end', () => resolve()));
          onNotify();
          await ended;
        } catch {
          // The primary is away: try again shortly.
        }
        if (!stopped) await sleep(1_000);
      }
    };
    void run();
    return async () => {
      stopped = true;
      await client?.end().catch(() => undefined);
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.replicas.end();
    await this.dataSource.destroy().catch(() => undefined);
    if (this.embedded) {
      await this.embedded.stop('fast');
      this.logger.log('embedded PostgreSQL stopped');
    }
  }

  private async checkout(): Promise<pg.PoolClient> {
    try {
      return await this.primaryPool.connect();
    } catch (err) {
      // A full pool times out as an unreachable server does; only the latter is a reason to look for
      // another primary (and to say so).
      if (this.primaryPool.exhausted) throw new DatabaseUnavailableError('every connection to the primary is in use', err);
      this.noteFailure(err);
      throw new DatabaseUnavailableError('primary unreachable', err);
    }
  }

  /** Releases the client (destroying it after a connection-class failure) and maps the error. */
  private failed(client: pg.PoolClient, err: unknown): unknown {
    const failure = classifyDatabaseFailure(err);
    client.release(failure === 'other' ? undefined : (err as Error));
    if (failure === 'other') return err;
    this.noteFailure(err);
    return new DatabaseUnavailableError(failure === 'read_only' ? 'primary is read-only, failover in progress' : 'primary unreachable', err);
  }

  private noteFailure(err: unknown): void {
    const failure = classifyDatabaseFailure(err);
    if (failure === 'read_only') {
      this.logger.warn('primary answered read-only (25006): recycling its connections');
      this.primaryPool.recycle();
    }
    if (failure !== 'other') void this.locator.locate();
  }

  private async probePrimary(): Promise<PrimaryStatus> {
    const name = describeTarget({ ...this.primaryTarget, hosts: [this.locator.current()] });
    const started = performance.now();
    try {
      const [{ standby }] = await withTimeout(
        this.readPrimary((sql) => sql.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby')),
        PRIMARY_PROBE_TIMEOUT_MS,
      );
      if (standby) this.noteFailure({ code: '25006' });
      return { name, up: true, writable: !standby, latency_ms: Math.round((performance.now() - started) * 10) / 10 };
    } catch (err) {
      const cause = err instanceof DatabaseUnavailableError ? (err.cause as Error | undefined) : (err as Error);
      return { name, up: false, writable: false, error: cause?.message ?? String(err) };
    }
  }
}
