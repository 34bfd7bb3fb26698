import { Injectable } from '@nestjs/common';
import { DatabaseService } from '#database';
import { MetricsService, type Counter } from '#metrics';
import { InvalidCredentialsError, LoginThrottledError } from '../domain/auth.errors.js';
import { DUMMY_PASSWORD_HASH, verifyPassword } from '../domain/password-hasher.js';
import type { UserRole } from '../domain/role.js';
import { JwtKeys } from '../infra/jwt-keys.js';
import { UsersRepository } from '../infra/users.repository.js';
import { LoginThrottle } from './login-throttle.service.js';

export interface LoginResult {
  token: string;
  expires_in: number;
  user: { username: string; role: UserRole };
}

/** Password login, throttled (LoginThrottle) across replicas. */
@Injectable()
export class LoginService {
  private readonly outcomes: Counter<'outcome'>;
  constructor(
    private readonly db: DatabaseService,
    private readonly users: UsersRepository,
    private readonly throttle: LoginThrottle,
    private readonly keys: JwtKeys,
    metrics: MetricsService,
  ) {
    this.outcomes = metrics.counter({
      name: 'nmos_control_logins_total',
      help: 'Password logins by outcome: succeeded, failed (wrong user or password), throttled (429)',
      labelNames: ['outcome'],
    });
  }

  async login(username: string, password: string, clientAddress: string): Promise<LoginResult> {
    const attempt = await this.throttle.reserve(username, clientAddress).catch((err: unknown) => {
      if (err instanceof LoginThrottledError) this.outcomes.inc({ outcome: 'throttled' });
      throw err;
    });
    const user = await this.db.readPrimary((sql) => this.users.findByUsername(sql, username));
    const valid = await verifyPassword(password, user?.password_hash ?? DUMMY_PASSWORD_HASH);
    if (!user || !valid) {
      this.outcomes.inc({ outcome: 'failed' });
      throw new InvalidCredentialsError();
    }
    this.outcomes.inc({ outcome: 'succeeded' });
    await this.throttle.succeeded(attempt);
    const { token, expiresIn } = this.keys.sign({ sub: user.id, ver: user.token_version });
    return { token, expires_in: expiresIn, user: { username: user.username, role: user.role } };
  }
}
