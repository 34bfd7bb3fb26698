import { Injectable } from '@nestjs/common';
import { ExpiringCache } from '#common';
import { DatabaseService } from '#database';
import { UnauthenticatedError } from '../domain/auth.errors.js';
import type { Principal } from '../domain/principal.js';
import type { UserRecord } from '../domain/user-record.js';
import { UsersRepository } from '../infra/users.repository.js';
import type { AccessTokenClaims } from '../infra/jwt-keys.js';

/** How long a replica trusts what it read of a user: a change made elsewhere shows within this. */
export const PRINCIPAL_CACHE_MS = 2_000;

/** Turns verified JWT claims into the current user, checked against the database (cached for 2 s). */
@Injectable()
export class PrincipalResolver {
  private readonly users = new ExpiringCache<UserRecord | null>(PRINCIPAL_CACHE_MS);

  constructor(
    private readonly db: DatabaseService,
    private readonly repository: UsersRepository,
  ) {}

  async forClaims(claims: AccessTokenClaims): Promise<Principal> {
    const user = await this.users.getOrLoad(claims.sub, () => this.load(claims));
    if (!user) throw new UnauthenticatedError('This user no longer exists');
    if (user.token_version !== claims.ver) throw new UnauthenticatedError('This token was revoked (password changed); log in again');
    return { kind: 'user', id: user.id, name: user.username, role: user.role };
  }

  /**
   * From a replica when one is healthy: this runs for every uncached token. A replica may not have
   * replayed a user created a moment ago (or a new password's token version), so a refusal is only
   * given after the primary confirms it.
   */
  private async load(claims: AccessTokenClaims): Promise<UserRecord | null> {
    const fromReplica = await this.db.read((sql) => this.repository.findById(sql, claims.sub));
    if (fromReplica && fromReplica.token_version === claims.ver) return fromReplica;
    return (await this.db.readPrimary((sql) => this.repository.findById(sql, claims.sub))) ?? null;
  }

  forget(userId: string): void {
    this.users.delete(userId);
  }
}
