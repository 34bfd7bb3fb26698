import { Logger } from '@nestjs/common';
import type pg from 'pg';
import { DataSource, type EntitySchema } from 'typeorm';
import type { MigrationClass } from './migration-runner.js';
import type { PrimaryPool } from './primary-pool.js';

/** A TypeORM entity: a decorated class (or an EntitySchema). */
export type EntityClass = (new (...args: never[]) => object) | EntitySchema;

/** What TypeORM's PostgreSQL driver keeps about its pool (not in its public types). */
interface PostgresDriverInternals {
  master: pg.Pool;
}

/**
 * The primary's TypeORM DataSource, built on our failover-aware pool: TypeORM hands `extra` to pg's
 * Pool, so the pool's connections are the primary pool's routed, generation-tagged clients, and every
 * timeout of `poolOptions` holds. Migrations run through it; entity repositories reach it only through
 * `Sql.entities` inside DatabaseService's transactions, so the failover behaviour (503, never a false
 * success) is the same for them as for SQL.
 */
export async function openPrimaryDataSource(
  poolOptions: pg.PoolConfig,
  primaryPool: PrimaryPool,
  migrations: MigrationClass[],
  entities: EntityClass[],
): Promise<DataSource> {
  const dataSource = new DataSource({
    type: 'postgres',
    database: poolOptions.database,
    entities,
    migrations,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    installExtensions: false,
    logging: false,
    poolErrorHandler: (err: Error) => primaryPool.onIdleError(err),
    extra: { ...poolOptions, password: poolOptions.password, Client: primaryPool.clientClass },
  });
  try {
    await dataSource.initialize();
  } catch (err) {
    await dataSource.destroy().catch(() => undefined);
    throw err;
  }
  primaryPool.adopt((dataSource.driver as unknown as PostgresDriverInternals).master);
  new Logger('Database').debug({ entities: dataSource.entityMetadatas.map((m) => m.tableName) }, 'primary DataSource ready');
  return dataSource;
}
