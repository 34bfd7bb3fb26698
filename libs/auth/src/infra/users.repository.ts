import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';
import type { UserRole } from '../domain/role.js';
import type { UserRecord } from '../domain/user-record.js';

export interface UserWithHash extends UserRecord {
  password_hash: string;
}

const COLUMNS = 'id, username, role, token_version, created_at, updated_at';

/** SQL for the users table; callers choose the connection (a write transaction or a read path). */
@Injectable()
export class UsersRepository {
  async list(sql: Sql): Promise<UserRecord[]> {
    return sql.query<UserRecord & Record<string, unknown>>(`SELECT ${COLUMNS} FROM users ORDER BY lower(username)`);
  }

  async findById(sql: Sql, id: string): Promise<UserRecord | undefined> {
    const [user] = await sql.query<UserRecord & Record<string, unknown>>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return user;
  }

  async findByUsername(sql: Sql, username: string): Promise<UserWithHash | undefined> {
    const [user] = await sql.query<UserWithHash & Record<string, unknown>>(`SELECT ${COLUMNS}, password_hash FROM users WHERE lower(username) = lower($1)`, [
      username,
    ]);
    return user;
  }

  /** Undefined when the username is taken. */
  async insert(sql: Sql, user: { username: string; passwordHash: string; role: UserRole }): Promise<UserRecord | undefined> {
    const [created] = await sql.query<UserRecord & Record<string, unknown>>(
      `INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3)
       ON CONFLICT ((lower(username))) DO NOTHING RETURNING ${COLUMNS}`,
      [user.username, user.passwordHash, user.role],
    );
    return created;
  }

  /** Only on an empty table: replicas starting together create the first admin once. */
  async insertFirst(sql: Sql, user: { username: string; passwordHash: string; role: UserRole }): Promise<boolean> {
    await sql.query('LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE');
    const inserted = await sql.execute('INSERT INTO users (username, password_hash, role) SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM users)', [
      user.username,
      user.passwordHash,
      user.role,
    ]);
    return inserted === 1;
  }

  async update(sql: Sql, id: string, changes: { role?: UserRole; passwordHash?: string }): Promise<UserRecord | undefined> {
    const [updated] = await sql.query<UserRecord & Record<string, unknown>>(
      `UPDATE users SET
         role = COALESCE($2, role),
         password_hash = COALESCE($3, password_hash),
         token_version = token_version + CASE WHEN $3::text IS NULL THEN 0 ELSE 1 END,
         updated_at = now()
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, changes.role ?? null, changes.passwordHash ?? null],
    );
    return updated;
  }

  async delete(sql: Sql, id: string): Promise<boolean> {
    return (await sql.execute('DELETE FROM users WHERE id = $1', [id])) === 1;
  }

  /** Locks every admin row, so two requests demoting the last two admins cannot both succeed. */
  async lockAdmins(sql: Sql): Promise<string[]> {
    const rows = await sql.query<{ id: string }>("SELECT id FROM users WHERE role = 'admin' ORDER BY id FOR UPDATE");
    return rows.map((r) => r.id);
  }
}
