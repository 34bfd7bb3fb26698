export { RegistryModule, REGISTRY_MIGRATIONS, REGISTRY_BACKUP_SECTIONS } from './registry.module.js';
export type { RegistryEntry, PublicRegistryEntry, RegistryAuth } from './domain/registry-entry.js';
export { NmosChangeFollowers, type NmosChangeFollower } from './application/nmos-change-followers.js';
export { NmosQueryService } from './application/nmos-query.service.js';
export type { MergedChange, NmosType } from './domain/nmos-resource.js';
export { REGISTRY_WATCHERS_LEASE } from './application/registry-watchers.service.js';
