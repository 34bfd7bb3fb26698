export { AuthModule, AUTH_MIGRATIONS, AUTH_BACKUP_SECTIONS } from './auth.module.js';
export { Public, RequireRole, CurrentPrincipal } from '#common';
export type { Principal } from './domain/principal.js';
export { PrincipalDirectory } from './application/principal-directory.service.js';
export { hasAtLeast, type Role, type UserRole } from './domain/role.js';
export { AUTH_MAINTENANCE_LEASE } from './application/login-failures-janitor.service.js';
export { requestActor } from './api/request-actor.js';
