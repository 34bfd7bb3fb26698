import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { DomainError, storedTime, storedUuid } from '#common';
import { readBackupItems, restoreNeedingSecret, type BackupSection, type SectionChange, type Sql } from '#database';
import { USER_ROLES } from '../domain/role.js';

const UserItem = z.strictObject({
  id: storedUuid,
  username: z.string().trim().min(1).max(100),
  role: z.enum(USER_ROLES, { message: `must be one of ${USER_ROLES.join(', ')}` }),
  // Only a hash in the format the product writes: a backup never carries a password.
  password_hash: z
    .string()
    .regex(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/, 'must be a password hash as the product stores it (scrypt$N$r$p$salt$hash)'),
  token_version: z.number().int().min(0),
  created_at: storedTime,
  updated_at: storedTime,
});
type UserItem = z.infer<typeof UserItem>;

/**
 * Users in a backup, by user name: password hashes only, never a password. A restore that would leave no
 * admin is refused. Sessions opened before the restore with another password end: the user's id changes
 * (a fresh database's own first admin), or its token version rises.
 */
@Injectable()
export class UsersBackupSection implements BackupSection<UserItem> {
  readonly name = 'users';
  readonly item = UserItem;

  key(user: UserItem): string {
    return user.username.toLowerCase();
  }

  read(sql: Sql): Promise<UserItem[]> {
    return readBackupItems(
      sql,
      `SELECT jsonb_build_object('id', id, 'username', username, 'role', role, 'password_hash', password_hash,
         'token_version', token_version, 'created_at', created_at, 'updated_at', updated_at) AS item
       FROM users ORDER BY lower(username)`,
    );
  }

  async write(sql: Sql, change: SectionChange<UserItem>): Promise<void> {
    if (change.remove.length > 0) await sql.execute('DELETE FROM users WHERE lower(username) = ANY($1)', [change.remove]);
    for (const user of change.upsert) {
      // The same name, or else the same id under another name (renamed since the backup): that row is updated.
      const [stored] = await sql.query<{ id: string; password_hash: string; token_version: number }>(
        `SELECT id, password_hash, token_version FROM users WHERE lower(username) = lower($1) OR id = $2
         ORDER BY lower(username) = lower($1) DESC LIMIT 1 FOR UPDATE`,
        [user.username, user.id],
      );
      if (!stored) {
        await sql.execute(`INSERT INTO users (id, username, role, password_hash, token_version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
          user.id,
          user.username,
          user.role,
          user.password_hash,
          user.token_version,
          user.created_at,
          user.updated_at,
        ]);
        continue;
      }
      // Sessions opened with the old password must end: a JWT names the user's id and token version.
      const passwordChanged = stored.id === user.id && stored.password_hash !== user.password_hash;
      const tokenVersion = passwordChanged ? Math.max(user.token_version, stored.token_version + 1) : user.token_version;
      // The same person under another id (a fresh database made its own first admin): tokens they made follow them.
      const owned = await sql.query<{ id: string }>('UPDATE api_tokens SET created_by = NULL WHERE created_by = $1 AND $1 <> $2::uuid RETURNING id', [
        stored.id,
        user.id,
      ]);
      await sql.execute(
        `UPDATE users SET id = $2, username = $3, role = $4, password_hash = $5, token_version = $6, created_at = $7, updated_at = $8 WHERE id = $1`,
        [stored.id, user.id, user.username, user.role, user.password_hash, tokenVersion, user.created_at, user.updated_at],
      );
      if (owned.length > 0) await sql.execute('UPDATE api_tokens SET created_by = $1 WHERE id = ANY($2)', [user.id, owned.map((t) => t.id)]);
    }
    const [{ admins }] = await sql.query<{ admins: number }>("SELECT count(*)::int AS admins FROM users WHERE role = 'admin'");
    if (admins === 0)
      throw new DomainError('invalid', 'last_admin', 'users: the restore would leave no admin', {
        fields: [{ field: 'data.users', message: 'must keep at least one admin' }],
      });
  }
}

const ApiTokenItem = z.strictObject({
  id: storedUuid,
  name: z.string().trim().min(1).max(100),
  prefix: z.string().min(1).max(32),
  role: z.literal('automation'),
  created_by: storedUuid.nullable(),
  created_at: storedTime,
  last_used_at: storedTime.nullable(),
  revoked_at: storedTime.nullable(),
  /** Hex SHA-256 of the token: only ever in a document's encrypted secrets. */
  token_hash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be 64 hex digits')
    .optional(),
});
type ApiTokenItem = z.infer<typeof ApiTokenItem>;

/**
 * API tokens in a backup: their metadata in clear, the hash only in the encrypted secrets. A token the
 * target database does not have can be restored only with its hash (a backup taken with a passphrase).
 */
@Injectable()
export class ApiTokensBackupSection implements BackupSection<ApiTokenItem> {
  readonly name = 'api_tokens';
  readonly item = ApiTokenItem;
  readonly secret = {
    of: (token: ApiTokenItem) => token.token_hash,
    without: ({ token_hash: _hash, ...token }: ApiTokenItem): ApiTokenItem => token,
    with: (token: ApiTokenItem, hash: string): ApiTokenItem => ({ ...token, token_hash: hash }),
  };

  key(token: ApiTokenItem): string {
    return token.id;
  }

  read(sql: Sql): Promise<ApiTokenItem[]> {
    return readBackupItems(
      sql,
      `SELECT jsonb_build_object('id', id, 'name', name, 'prefix', prefix, 'role', role, 'created_by', created_by,
         'created_at', created_at, 'last_used_at', last_used_at, 'revoked_at', revoked_at, 'token_hash', encode(token_hash, 'hex')) AS item
       FROM api_tokens ORDER BY created_at, id`,
    );
  }

  async write(sql: Sql, change: SectionChange<ApiTokenItem>): Promise<void> {
    if (change.remove.length > 0) await sql.execute('DELETE FROM api_tokens WHERE id = ANY($1::uuid[])', [change.remove]);
    // A creator the target does not have (removed, or never there) is forgotten, as deleting a user does.
    const creatorOf = async (token: ApiTokenItem) =>
      token.created_by && (await sql.query('SELECT 1 FROM users WHERE id = $1', [token.created_by])).length > 0 ? token.created_by : null;
    await restoreNeedingSecret(this.name, change, (t) => t.id, {
      hasSecret: (token) => token.token_hash !== undefined,
      label: (token) => `token "${token.name}"`,
      update: async (token) =>
        (await sql.execute(
          `UPDATE api_tokens SET name = $2, prefix = $3, created_by = $4, created_at = $5, last_used_at = $6, revoked_at = $7,
             token_hash = COALESCE(decode($8, 'hex'), token_hash) WHERE id = $1`,
          [token.id, token.name, token.prefix, await creatorOf(token), token.created_at, token.last_used_at, token.revoked_at, token.token_hash ?? null],
        )) > 0,
      insert: async (token) => {
        await sql.execute(
          `INSERT INTO api_tokens (id, name, prefix, role, created_by, created_at, last_used_at, revoked_at, token_hash)
           VALUES ($1, $2, $3, 'automation', $4, $5, $6, $7, decode($8, 'hex'))`,
          [token.id, token.name, token.prefix, await creatorOf(token), token.created_at, token.last_used_at, token.revoked_at, token.token_hash],
        );
      },
    });
  }
}
