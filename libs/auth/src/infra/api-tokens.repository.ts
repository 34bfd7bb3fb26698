import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';
import type { ApiTokenRecord } from '../domain/api-token-record.js';

const COLUMNS = 'id, name, prefix, role, created_by, created_at, last_used_at, revoked_at';

@Injectable()
export class ApiTokensRepository {
  async insert(sql: Sql, token: { name: string; hash: Buffer; prefix: string; createdBy: string }): Promise<ApiTokenRecord> {
    const [created] = await sql.query<ApiTokenRecord & Record<string, unknown>>(
      `INSERT INTO api_tokens (name, token_hash, prefix, created_by) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [token.name, token.hash, token.prefix, token.createdBy],
    );
    return created;
  }

  async list(sql: Sql): Promise<ApiTokenRecord[]> {
    return sql.query<ApiTokenRecord & Record<string, unknown>>(`SELECT ${COLUMNS} FROM api_tokens ORDER BY created_at`);
  }

  async findActiveByHash(sql: Sql, hash: Buffer): Promise<ApiTokenRecord | undefined> {
    const [token] = await sql.query<ApiTokenRecord & Record<string, unknown>>(
      `SELECT ${COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`,
      [hash],
    );
    return token;
  }

  async findActiveById(sql: Sql, id: string): Promise<ApiTokenRecord | undefined> {
    const [token] = await sql.query<ApiTokenRecord & Record<string, unknown>>(`SELECT ${COLUMNS} FROM api_tokens WHERE id::text = $1 AND revoked_at IS NULL`, [
      id,
    ]);
    return token;
  }

  async revoke(sql: Sql, id: string): Promise<boolean> {
    return (await sql.execute('UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1', [id])) === 1;
  }

  async touch(sql: Sql, id: string): Promise<void> {
    await sql.execute('UPDATE api_tokens SET last_used_at = now() WHERE id = $1', [id]);
  }
}
