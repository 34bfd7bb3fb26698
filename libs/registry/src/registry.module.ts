import { Module } from '@nestjs/common';
import { EventsModule } from '#events';
import { AggregatedQueryApiController } from './api/aggregated-query-api.controller.js';
import { NmosController } from './api/nmos.controller.js';
import { RegistryConfigController } from './api/registry-config.controller.js';
import { MergedViewService } from './application/merged-view.service.js';
import { NmosChangeFollowers } from './application/nmos-change-followers.js';
import { NmosQueryService } from './application/nmos-query.service.js';
import { RegistryStatePublisher } from './application/registry-state-publisher.js';
import { RegistryConfigService } from './application/registry-config.service.js';
import { RegistryDiscoveryService } from './application/registry-discovery.service.js';
import { RegistryStatusService } from './application/registry-status.service.js';
import { RegistryWatchersService } from './application/registry-watchers.service.js';
import { RegistryHealth } from './application/registry.health.js';
import { RegistryMetrics } from './application/registry.metrics.js';
import { RegistryBackupSection } from './application/registry.backup.js';
import { MergedViewRepository } from './infra/merged-view.repository.js';
import { NmosReadRepository } from './infra/nmos-read.repository.js';
import { RegistryConfigRepository } from './infra/registry-config.repository.js';
import { RegistryDiscoveryRepository } from './infra/registry-discovery.repository.js';
import { RegistryStateRepository } from './infra/registry-state.repository.js';
import { REGISTRY_WATCHER_PROVIDERS } from './infra/registry-watcher.js';
import { RegistryConfig1764201600200 } from './migrations/1764201600200-registry-config.js';
import { RegistryPolledTypes1764201600600 } from './migrations/1764201600600-registry-polled-types.js';
import { RegistryUrlCredentials1764201600800 } from './migrations/1764201600800-registry-url-credentials.js';
import { RegistryDiscovery1764201600900 } from './migrations/1764201600900-registry-discovery.js';
import { MergedView1764201600300 } from './migrations/1764201600300-merged-view.js';
import { MergedViewGeneration1764201601300 } from './migrations/1764201601300-merged-view-generation.js';
import { SendersByTransport1764201601400 } from './migrations/1764201601400-senders-by-transport.js';

export const REGISTRY_BACKUP_SECTIONS = 'REGISTRY_BACKUP_SECTIONS';

export const REGISTRY_MIGRATIONS = [
  RegistryConfig1764201600200,
  MergedView1764201600300,
  RegistryPolledTypes1764201600600,
  RegistryUrlCredentials1764201600800,
  RegistryDiscovery1764201600900,
  MergedViewGeneration1764201601300,
  SendersByTransport1764201601400,
];

/**
 * The IS-04 registries the facility is discovered through: their configuration, the watchers (run by
 * the lease holder), the merged view in PostgreSQL that every replica serves, and its read APIs.
 */
@Module({
  imports: [EventsModule],
  controllers: [RegistryConfigController, NmosController, AggregatedQueryApiController],
  providers: [
    RegistryStatePublisher,
    RegistryConfigRepository,
    RegistryConfigService,
    RegistryDiscoveryRepository,
    RegistryDiscoveryService,
    MergedViewRepository,
    MergedViewService,
    NmosReadRepository,
    NmosQueryService,
    RegistryStateRepository,
    RegistryStatusService,
    RegistryWatchersService,
    ...REGISTRY_WATCHER_PROVIDERS,
    RegistryHealth,
    RegistryMetrics,
    NmosChangeFollowers,
    RegistryBackupSection,
    { provide: REGISTRY_BACKUP_SECTIONS, inject: [RegistryBackupSection], useFactory: (...sections: unknown[]) => sections },
  ],
  exports: [RegistryConfigService, NmosQueryService, NmosChangeFollowers, REGISTRY_BACKUP_SECTIONS],
})
export class RegistryModule {}
