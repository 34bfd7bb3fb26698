import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';

export type KeyState = { state: 'new' } | { state: 'pending'; sameRequest: boolean } | { state: 'done'; sameRequest: boolean; status: number; body: unknown };

/** Pending rows older than this belong to a replica that died mid-request: the key may be used again. */
const ABANDONED_AFTER_SECONDS = 120;

@Injectable()
export class IdempotencyRepository {
  /** Claims the key for this request, or reports who has it. */
  async claim(sql: Sql, owner: string, key: string, route: string, hash: string): Promise<KeyState> {
    const inserted = await sql.query(
      `INSERT INTO idempotency_keys (owner, key, route, request_hash, state) VALUES ($1, $2, $3, $4, 'pending')
       ON CONFLICT (owner, key) DO UPDATE SET route = EXCLUDED.route, request_hash = EXCLUDED.request_hash, created_at = now()
       WHERE idempotency_keys.state = 'pending' AND idempotency_keys.created_at < now() - make_interval(secs => ${ABANDONED_AFTER_SECONDS})
       RETURNING key`,
      [owner, key, route, hash],
    );
    if (inserted.length > 0) return { state: 'new' };
    const [row] = await sql.query<{ state: string; request_hash: string; route: string; status: number | null; body: unknown }>(
      'SELECT state, request_hash, route, status, body FROM idempotency_keys WHERE owner = $1 AND key = $2',
      [owner, key],
    );
    const sameRequest = row.request_hash === hash && row.route === route;
    return row.state === 'done' ? { state: 'done', sameRequest, status: row.status!, body: row.body } : { state: 'pending', sameRequest };
  }

  async complete(sql: Sql, owner: string, key: string, status: number, body: unknown): Promise<void> {
    await sql.execute(`UPDATE idempotency_keys SET state = 'done', status = $3, body = $4 WHERE owner = $1 AND key = $2`, [
      owner,
      key,
      status,
      JSON.stringify(body),
    ]);
  }

  async forget(sql: Sql, owner: string, key: string): Promise<void> {
    await sql.execute(`DELETE FROM idempotency_keys WHERE owner = $1 AND key = $2 AND state = 'pending'`, [owner, key]);
  }

  async prune(sql: Sql, olderThanSeconds: number): Promise<number> {
    return sql.execute('DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)', [olderThanSeconds]);
  }
}
