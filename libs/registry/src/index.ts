export { RegistryModule, REGISTRY_MIGRATIONS } from './registry.module.js';
export { RegistryConfigService } from './application/registry-config.service.js';
export type { RegistryEntry, PublicRegistryEntry, RegistryAuth } from './domain/registry-entry.js';
export { newestCommonVersion, compareApiVersions, parseApiVersion } from './domain/api-version.js';
