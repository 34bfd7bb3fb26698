export { AuthModule, AUTH_MIGRATIONS } from './auth.module.js';
export { Public, RequireRole, CurrentPrincipal } from '#common';
export type { Principal } from './domain/principal.js';
export { PrincipalDirectory } from './application/principal-directory.service.js';
export { USER_ROLES, hasAtLeast, type Role, type UserRole } from './domain/role.js';
export { JwtKeys, type AccessTokenClaims } from './infra/jwt-keys.js';
export { AUTH_MAINTENANCE_LEASE } from './application/login-failures-janitor.service.js';
export { hashPassword, verifyPassword } from './domain/password-hasher.js';
