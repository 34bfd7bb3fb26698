import { Logger } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import type { TlsOptions } from 'node:tls';
import { sslOptionsFor, type HostPort, type PostgresTarget } from '#config';
import { DataSource, type MigrationInterface } from 'typeorm';

export type MigrationClass = new () => MigrationInterface;

/** Any fixed 64-bit number; all replicas must use the same one. */
const MIGRATION_LOCK = 7_364_201_600;

/**
 * Runs the explicit migration list under a PostgreSQL advisory lock: replicas starting together on an
 * empty database queue on the lock, the first migrates, the others find nothing left to do.
 */
export async function runMigrations(target: PostgresTarget, host: HostPort, migrations: MigrationClass[]): Promise<string[]> {
  const logger = new Logger('Migrations');
  const dataSource = new DataSource({
    type: 'postgres',
    host: host.host,
    port: host.port,
    username: target.user,
    password: target.password,
    database: target.database,
    ssl: (sslOptionsFor(target, (path) => readFileSync(path)) || undefined) as TlsOptions | undefined,
    migrations,
    migrationsTableName: 'schema_migrations',
    logging: false,
    extra: { max: 2, connectionTimeoutMillis: target.connectTimeoutMs, application_name: `${target.applicationName}-migrate` },
  });
  await dataSource.initialize();
  const lockRunner = dataSource.createQueryRunner();
  try {
    await lockRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    const names = applied.map((m) => m.name);
    if (names.length > 0) logger.log({ applied: names }, 'migrations applied');
    return names;
  } finally {
    await lockRunner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await lockRunner.release();
    await dataSource.destroy();
  }
}
