import { Injectable } from '@nestjs/common';
import { DatabaseService, type Sql } from '#database';
import { EventsService } from '#events';
import { InvalidCredentialsError, LastAdminError, UsernameTakenError, UserNotFoundError } from '../domain/auth.errors.js';
import { hashPassword, verifyPassword } from '../domain/password-hasher.js';
import type { Principal } from '../domain/principal.js';
import type { UserRole } from '../domain/role.js';
import type { UserRecord } from '../domain/user-record.js';
import { UsersRepository } from '../infra/users.repository.js';
import { PrincipalResolver } from './principal-resolver.service.js';
import { LoginThrottle } from './login-throttle.service.js';

/** User administration. Every change is committed before it is acknowledged, and no change leaves the facility without an admin. */
@Injectable()
export class UsersService {
  constructor(
    private readonly db: DatabaseService,
    private readonly repository: UsersRepository,
    private readonly principals: PrincipalResolver,
    private readonly events: EventsService,
    private readonly throttle: LoginThrottle,
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

  async create(input: { username: string; password: string; role: UserRole }, actor?: Principal): Promise<UserRecord> {
    const passwordHash = await hashPassword(input.password);
    const user = await this.db.write(async (sql) => {
      const created = await this.repository.insert(sql, { username: input.username, passwordHash, role: input.role });
      if (created) await this.audit(sql, 'created', created, actor);
      return created;
    });
    if (!user) throw new UsernameTakenError(input.username);
    return user;
  }

  async update(id: string, changes: { role?: UserRole; password?: string }, actor?: Principal): Promise<UserRecord> {
    const passwordHash = changes.password === undefined ? undefined : await hashPassword(changes.password);
    const user = await this.db.write(async (sql) => {
      if (changes.role !== undefined && changes.role !== 'admin') await this.assertNotLastAdmin(sql, id);
      const updated = await this.repository.update(sql, id, { role: changes.role, passwordHash });
      if (updated)
        await this.audit(sql, 'updated', updated, actor, { role_changed: changes.role !== undefined, password_changed: changes.password !== undefined });
      return updated;
    });
    if (!user) throw new UserNotFoundError(id);
    this.principals.forget(id);
    return user;
  }

  async delete(id: string, actor?: Principal): Promise<void> {
    const deleted = await this.db.write(async (sql) => {
      await this.assertNotLastAdmin(sql, id);
      const existing = await this.repository.findById(sql, id);
      const removed = await this.repository.delete(sql, id);
      if (removed && existing) await this.audit(sql, 'deleted', existing, actor);
      return removed;
    });
    if (!deleted) throw new UserNotFoundError(id);
    this.principals.forget(id);
  }

  /** Throttled as logins are: a stolen token must not become a way to guess the password. */
  async changeOwnPassword(principal: Principal, currentPassword: string, newPassword: string, clientAddress: string): Promise<void> {
    const attempt = await this.throttle.reserve(principal.name, clientAddress);
    const user = await this.db.readPrimary((sql) => this.repository.findByUsername(sql, principal.name));
    if (!user || user.id !== principal.id || !(await verifyPassword(currentPassword, user.password_hash))) throw new InvalidCredentialsError();
    await this.throttle.succeeded(attempt);
    await this.update(user.id, { password: newPassword }, principal);
  }

  /** An audit event in the same transaction as the change; never a password or its hash. */
  private async audit(
    sql: Sql,
    action: 'created' | 'updated' | 'deleted',
    user: UserRecord,
    actor?: Principal,
    details: Record<string, boolean> = {},
  ): Promise<void> {
    await this.events.record(sql, {
      type: `user.${action}`,
      subject: { kind: 'user', id: user.id },
      topic: 'audit/users',
      retained: false,
      payload: { action, user: { id: user.id, username: user.username, role: user.role }, ...details },
      ...(actor ? { actor: { kind: actor.kind, id: actor.id, name: actor.name } } : {}),
    });
  }

  private async assertNotLastAdmin(sql: Sql, id: string): Promise<void> {
    const admins = await this.repository.lockAdmins(sql);
    if (admins.length === 1 && admins[0] === id) throw new LastAdminError();
  }
}
