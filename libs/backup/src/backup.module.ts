import { Module } from '@nestjs/common';
import { ALERTS_BACKUP_SECTIONS, AlertsModule } from '#alerts';
import { AUTH_BACKUP_SECTIONS, AuthModule } from '#auth';
import { ConnectionsModule, ROUTING_BACKUP_SECTIONS } from '#connections';
import type { BackupSection } from '#database';
import { EventsModule } from '#events';
import { REGISTRY_BACKUP_SECTIONS, RegistryModule } from '#registry';
import { BackupController } from './api/backup.controller.js';
import { BACKUP_SECTIONS, BackupService } from './application/backup.service.js';

/**
 * Configuration backup and restore. Each module owns its sections (what it stores and how it is written
 * back); this module puts them in one document and restores them in one transaction.
 */
@Module({
  imports: [EventsModule, AuthModule, RegistryModule, ConnectionsModule, AlertsModule],
  controllers: [BackupController],
  providers: [
    {
      provide: BACKUP_SECTIONS,
      inject: [REGISTRY_BACKUP_SECTIONS, AUTH_BACKUP_SECTIONS, ROUTING_BACKUP_SECTIONS, ALERTS_BACKUP_SECTIONS],
      useFactory: (...modules: BackupSection[][]): BackupSection[] => modules.flat(),
    },
    BackupService,
  ],
})
export class BackupModule {}
