import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '#config';
import { DatabaseService } from '#database';
import { hashPassword } from '../domain/password-hasher.js';
import { UsersRepository } from '../infra/users.repository.js';

/**
 * The first admin exists only on an empty database: from ADMIN_USERNAME/ADMIN_PASSWORD, or in embedded
 * mode a generated password printed once. A later start never touches an existing user.
 */
@Injectable()
export class FirstAdminService implements OnApplicationBootstrap {
  private readonly logger = new Logger(FirstAdminService.name);

  constructor(
    private readonly db: DatabaseService,
    private readonly users: UsersRepository,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const generated = !this.config.adminUsername && this.config.database.mode === 'embedded';
    const username = this.config.adminUsername ?? (generated ? 'admin' : undefined);
    if (!username) {
      const [{ count }] = await this.db.readPrimary((sql) => sql.query<{ count: number }>('SELECT count(*)::int AS count FROM users'));
      if (count === 0) this.logger.warn('No users exist: set ADMIN_USERNAME and ADMIN_PASSWORD to create the first admin');
      return;
    }
    const password = this.config.adminPassword ?? randomBytes(12).toString('base64url');
    const passwordHash = await hashPassword(password);
    const created = await this.db.write((sql) => this.users.insertFirst(sql, { username, passwordHash, role: 'admin' }));
    if (!created) return;
    if (generated) {
      // Printed once, on the console the operator started us from; it is not stored anywhere in clear.
      process.stdout.write(`\nFirst admin created: username "${username}", password "${password}" (shown once; change it with PATCH /api/me/password)\n\n`);
    } else {
      this.logger.log({ username }, 'first admin created from ADMIN_USERNAME');
    }
  }
}
