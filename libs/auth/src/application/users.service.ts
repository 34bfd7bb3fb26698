import { Injectable } from '@nestjs/common';
import { DatabaseService } from '#database';
import { InvalidCredentialsError, LastAdminError, UsernameTakenError, UserNotFoundError } from '../domain/auth.errors.js';
import { hashPassword, verifyPassword } from '../domain/password-hasher.js';
import type { Principal } from '../domain/principal.js';
import type { UserRole } from '../domain/role.js';
import { UsersRepository, type UserRecord } from '../infra/users.repository.js';
import { PrincipalResolver } from './principal-resolver.service.js';

/** User administration. Every change is committed before it is acknowledged, and no change leaves the facility without an admin. */
@Injectable()
export class UsersService {
  constructor(
    private readonly db: DatabaseService,
    private readonly repository: UsersRepository,
    private readonly principals: PrincipalResolver,
  ) {}

  /** From the primary: an admin who just created a user expects to see it listed. */
  list(): Promise<UserRecord[]> {
    return this.db.readPrimary((sql) => this.repository.list(sql));
  }

  async get(id: string): Promise<UserRecord> {
    const user = await this.db.readPrimary((sql) => this.repository.findById(sql, id));
    if (!user) throw new UserNotFoundError(id);
    return user;
  }

  async create(input: { username: string; password: string; role: UserRole }): Promise<UserRecord> {
    const passwordHash = await hashPassword(input.password);
    const user = await this.db.write((sql) => this.repository.insert(sql, { username: input.username, passwordHash, role: input.role }));
    if (!user) throw new UsernameTakenError(input.username);
    return user;
  }

  async update(id: string, changes: { role?: UserRole; password?: string }): Promise<UserRecord> {
    const passwordHash = changes.password === undefined ? undefined : await hashPassword(changes.password);
    const user = await this.db.write(async (sql) => {
      if (changes.role !== undefined && changes.role !== 'admin') await this.assertNotLastAdmin(sql, id);
      return this.repository.update(sql, id, { role: changes.role, passwordHash });
    });
    if (!user) throw new UserNotFoundError(id);
    this.principals.forget(id);
    return user;
  }

  async delete(id: string): Promise<void> {
    const deleted = await this.db.write(async (sql) => {
      await this.assertNotLastAdmin(sql, id);
      return this.repository.delete(sql, id);
    });
    if (!deleted) throw new UserNotFoundError(id);
    this.principals.forget(id);
  }

  async changeOwnPassword(principal: Principal, currentPassword: string, newPassword: string): Promise<void> {
    const user = await this.db.readPrimary((sql) => this.repository.findByUsername(sql, principal.name));
    if (!user || user.id !== principal.id || !(await verifyPassword(currentPassword, user.password_hash))) throw new InvalidCredentialsError();
    await this.update(user.id, { password: newPassword });
  }

  private async assertNotLastAdmin(sql: Parameters<UsersRepository['lockAdmins']>[0], id: string): Promise<void> {
    const admins = await this.repository.lockAdmins(sql);
    if (admins.length === 1 && admins[0] === id) throw new LastAdminError();
  }
}
