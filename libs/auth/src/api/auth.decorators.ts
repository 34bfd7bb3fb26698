import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Principal } from '../domain/principal.js';
import type { UserRole } from '../domain/role.js';

export const PUBLIC_ROUTE = 'auth:public';
export const REQUIRED_ROLE = 'auth:role';

/** No bearer token needed (login, health probes, API docs). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** The lowest role allowed; routes without it accept any authenticated caller (viewer and up). */
export const RequireRole = (role: UserRole) => SetMetadata(REQUIRED_ROLE, role);

export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => ctx.switchToHttp().getRequest<{ user: Principal }>().user,
);
