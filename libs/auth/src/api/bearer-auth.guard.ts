import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { DomainError } from '#common';
import { ApiTokensService, API_TOKEN_PREFIX } from '../application/api-tokens.service.js';
import { InsufficientRoleError, UnauthenticatedError } from '../domain/auth.errors.js';
import type { Principal } from '../domain/principal.js';
import { hasAtLeast, type UserRole } from '../domain/role.js';
import { PUBLIC_ROUTE, REQUIRED_ROLE } from '#common';

interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  user?: Principal;
}

/**
 * Every route needs a bearer token unless marked @Public: an API token (`nmc_...`) or a JWT (through
 * passport-jwt). Then the route's @RequireRole is checked.
 */
@Injectable()
export class BearerAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiTokens: ApiTokensService,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    // Microservice handlers (other systems' MQTT topics) are not HTTP routes: no bearer token comes
    // with a broker's message; the broker's accounts decide who may publish.
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (typeof header !== 'string' || !/^Bearer\s+\S+$/i.test(header))
      throw new UnauthenticatedError('A bearer token is required (Authorization: Bearer <token>)');
    const token = header.replace(/^Bearer\s+/i, '');
    if (token.startsWith(API_TOKEN_PREFIX)) request.user = await this.apiTokens.authenticate(token);
    else await super.canActivate(context);

    const required = this.reflector.getAllAndOverride<UserRole | undefined>(REQUIRED_ROLE, targets) ?? 'viewer';
    if (!hasAtLeast(request.user!.role, required)) throw new InsufficientRoleError(required);
    return true;
  }

  /** passport reports a bad token through `info`; say plainly what was wrong. */
  override handleRequest<TUser = Principal>(err: unknown, user: TUser | false, info: unknown): TUser {
    if (err instanceof DomainError) throw err;
    if (user) return user;
    const reason = info instanceof Error ? info.name : undefined;
    if (reason === 'TokenExpiredError') throw new UnauthenticatedError('The token has expired; log in again');
    throw new UnauthenticatedError('The token is invalid');
  }
}
