import { Module } from '@nestjs/common';
import { RegistryConfigController } from './api/registry-config.controller.js';
import { RegistryConfigService } from './application/registry-config.service.js';
import { RegistryConfigRepository } from './infra/registry-config.repository.js';
import { RegistryConfig1764201600200 } from './migrations/1764201600200-registry-config.js';

export const REGISTRY_MIGRATIONS = [RegistryConfig1764201600200];

/**
 * The IS-04 registries the facility is discovered through. So far: their configuration (with audit
 * and a revision the watchers will follow). Watchers, the merged view and its read API come next.
 */
@Module({
  controllers: [RegistryConfigController],
  providers: [RegistryConfigRepository, RegistryConfigService],
  exports: [RegistryConfigService],
})
export class RegistryModule {}
