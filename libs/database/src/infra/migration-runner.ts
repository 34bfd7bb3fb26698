import { Logger } from '@nestjs/common';
import type { DataSource, MigrationInterface } from 'typeorm';

export type MigrationClass = new () => MigrationInterface;

/** Any fixed 64-bit number; all replicas must use the same one. */
const MIGRATION_LOCK = 7_364_201_600;

/**
 * Runs the DataSource's explicit migration list under a PostgreSQL advisory lock: replicas starting
 * together on an empty database queue on the lock, the first migrates, the others find nothing left to do.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const logger = new Logger('Migrations');
  const lockRunner = dataSource.createQueryRunner('master');
  try {
    await lockRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    const names = applied.map((m) => m.name);
    if (names.length > 0) logger.log({ applied: names }, 'migrations applied');
    return names;
  } finally {
    await lockRunner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await lockRunner.release();
  }
}
