import { type DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from '#config';
import { DatabaseConditions } from './application/database.conditions.js';
import { DatabaseHealth } from './application/database.health.js';
import { DatabaseService } from './application/database.service.js';
import { IdempotencyInterceptor } from './api/idempotent.js';
import { IdempotencyService } from './application/idempotency.service.js';
import { IdempotencyRepository } from './infra/idempotency.repository.js';
import { DatabaseMetrics } from './application/database.metrics.js';
import { LeaseService } from './application/lease.service.js';
import type { MigrationClass } from './infra/migration-runner.js';
import type { EntityClass } from './infra/primary-data-source.js';
import { LeaseTable1764201600000 } from './migrations/1764201600000-lease-table.js';

/** This module's own tables; the app adds every other module's list in `forRoot`. */
export const DATABASE_MIGRATIONS: MigrationClass[] = [LeaseTable1764201600000];

/**
 * PostgreSQL for every module: the embedded default or an external primary with replicas, migrations
 * at start under an advisory lock, failover handling, the lease, Idempotency-Key for any write route
 * (@Idempotent), and the database's part of readiness and of the alert conditions. The app lists every module's
 * migrations and TypeORM entities in `forRoot`: one primary DataSource knows them all.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(schema: { migrations: MigrationClass[]; entities?: EntityClass[] }): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: DatabaseService, inject: [AppConfig], useFactory: (config: AppConfig) => DatabaseService.open(config, schema.migrations, schema.entities) },
        LeaseService,
        DatabaseMetrics,
        DatabaseHealth,
        DatabaseConditions,
        IdempotencyRepository,
        IdempotencyService,
        IdempotencyInterceptor,
      ],
      exports: [DatabaseService, LeaseService, IdempotencyService, IdempotencyInterceptor],
    };
  }
}
