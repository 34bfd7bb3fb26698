import { Injectable } from '@nestjs/common';
import { DatabaseService } from '#database';
import type { Principal } from '../domain/principal.js';
import { ApiTokensRepository } from '../infra/api-tokens.repository.js';
import { UsersRepository } from '../infra/users.repository.js';

/**
 * Who a stored principal is now, for work done later in their name (a schedule firing): a deleted user
 * or a revoked token is nobody, and a demoted user has their new role. Read on the primary, uncached.
 */
@Injectable()
export class PrincipalDirectory {
  constructor(
    private readonly db: DatabaseService,
    private readonly users: UsersRepository,
    private readonly tokens: ApiTokensRepository,
  ) {}

  async current(kind: Principal['kind'], id: string): Promise<Principal | undefined> {
    return this.db.readPrimary(async (sql) => {
      if (kind === 'user') {
        const user = await this.users.findById(sql, id);
        return user && { kind, id: user.id, name: user.username, role: user.role };
      }
      const token = await this.tokens.findActiveById(sql, id);
      return token && { kind, id: token.id, name: token.name, role: token.role };
    });
  }
}
