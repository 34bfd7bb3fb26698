import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';

/**
 * Route access markers, read by the Auth module's guard. They live here, not in Auth, so that any module
 * (Health's probes) can mark its routes without depending on Auth.
 */
export type MinimumRole = 'viewer' | 'operator' | 'engineer' | 'admin';

export const PUBLIC_ROUTE = 'auth:public';
export const REQUIRED_ROLE = 'auth:role';

/** No bearer token needed (login, health probes, API docs). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** The lowest role allowed; routes without it accept any authenticated caller (viewer and up). */
export const RequireRole = (role: MinimumRole) => SetMetadata(REQUIRED_ROLE, role);

/** The authenticated caller the guard put on the request (the Auth module's Principal). */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): unknown => ctx.switchToHttp().getRequest<{ user: unknown }>().user);
