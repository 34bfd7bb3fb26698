import { Injectable } from '@nestjs/common';
import { AppConfig } from '#config';
import { DatabaseService } from '#database';
import { InvalidCredentialsError, LoginThrottledError } from '../domain/auth.errors.js';
import { DUMMY_PASSWORD_HASH, verifyPassword } from '../domain/password-hasher.js';
import type { UserRole } from '../domain/role.js';
import { JwtKeys } from '../infra/jwt-keys.js';
import { LoginFailuresRepository } from '../infra/login-failures.repository.js';
import { UsersRepository } from '../infra/users.repository.js';

export interface LoginResult {
  token: string;
  expires_in: number;
  user: { username: string; role: UserRole };
}

/** Password login with failures limited per username and per client address, across replicas. */
@Injectable()
export class LoginService {
  constructor(
    private readonly db: DatabaseService,
    private readonly users: UsersRepository,
    private readonly failures: LoginFailuresRepository,
    private readonly keys: JwtKeys,
    private readonly config: AppConfig,
  ) {}

  async login(username: string, password: string, clientAddress: string): Promise<LoginResult> {
    const keys = { user: username.toLowerCase(), address: clientAddress };
    const { windowSeconds, maxFailuresPerUser, maxFailuresPerAddress } = this.config.login;
    const counts = await this.db.readPrimary((sql) => this.failures.current(sql, keys, windowSeconds));
    const blocked = counts.filter((c) => c.failures >= (c.scope === 'user' ? maxFailuresPerUser : maxFailuresPerAddress));
    if (blocked.length > 0) throw new LoginThrottledError(Math.max(1, ...blocked.map((c) => c.resets_in)));

    const user = await this.db.readPrimary((sql) => this.users.findByUsername(sql, username));
    const valid = await verifyPassword(password, user?.password_hash ?? DUMMY_PASSWORD_HASH);
    if (!user || !valid) {
      await this.db.write((sql) => this.failures.recordFailure(sql, keys, windowSeconds));
      throw new InvalidCredentialsError();
    }
    await this.db.write((sql) => this.failures.clearUser(sql, keys.user));
    const { token, expiresIn } = this.keys.sign({ sub: user.id, ver: user.token_version });
    return { token, expires_in: expiresIn, user: { username: user.username, role: user.role } };
  }
}
