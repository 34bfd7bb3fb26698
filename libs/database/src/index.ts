export { DatabaseModule, DATABASE_MIGRATIONS } from './database.module.js';
export { DatabaseService, type DatabaseStatus, type PrimaryStatus } from './application/database.service.js';
export { LeaseService, type LeaseListener, type LeaseHolder } from './application/lease.service.js';
export { DatabaseUnavailableError } from './domain/database-unavailable.error.js';
export type { Sql, Row } from './domain/sql.js';
export type { ReplicaStatus } from './infra/replica-set.js';
export type { MigrationClass } from './infra/migration-runner.js';
export { PostgresServer, serverOsUser, type PostgresServerOptions } from './infra/postgres-server.js';
export { readBackupItems, type BackupSection, type SectionChange, type BackupActor } from './domain/backup-section.js';
