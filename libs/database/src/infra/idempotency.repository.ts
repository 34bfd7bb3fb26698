import { Injectable } from '@nestjs/common';
import type { Sql } from '../domain/sql.js';

export type KeyState =
  /** resumed: the key was pending from an attempt that died or lost its answer, and may have acted already. */
  | { state: 'new'; resumed: boolean }
  | { state: 'pending'; sameRequest: boolean; holder: string }
  | { state: 'done'; sameRequest: boolean; status: number; body: unknown };

/**
 * A pending row older than this was left by a replica that died mid-request, or whose commit was cut by a
 * failover: the key may be used again. Longer than any take can last (its receiver claim expires too).
 */
const ABANDONED_AFTER_SECONDS = 30;

/**
 * The `idempotency_keys` table. Routing's first migration (1764201600500) created it, when takes were its
 * only users; it moved here with @Idempotent, and the migration stays where databases already ran it.
 */
@Injectable()
export class IdempotencyRepository {
  /** Claims the key for this request, or reports who has it. */
  async claim(sql: Sql, owner: string, key: string, route: string, hash: string, holder: string): Promise<KeyState> {
    const inserted = await sql.query(
      `INSERT INTO idempotency_keys (owner, key, route, request_hash, state, holder) VALUES ($1, $2, $3, $4, 'pending', $5)
       ON CONFLICT (owner, key) DO UPDATE SET route = EXCLUDED.route, request_hash = EXCLUDED.request_hash, holder = EXCLUDED.holder, created_at = now()
       WHERE idempotency_keys.state = 'pending' AND idempotency_keys.created_at < now() - make_interval(secs => ${ABANDONED_AFTER_SECONDS})
       RETURNING (xmax <> 0) AS resumed`,
      [owner, key, route, hash, holder],
    );
    // xmax is set on the row an upsert updated: an abandoned pending key taken over, not a fresh one.
    if (inserted.length > 0) return { state: 'new', resumed: (inserted[0] as { resumed: boolean }).resumed };
    const [row] = await sql.query<{ state: string; request_hash: string; route: string; status: number | null; body: unknown; holder: string }>(
      'SELECT state, request_hash, route, status, body, holder FROM idempotency_keys WHERE owner = $1 AND key = $2',
      [owner, key],
    );
    const sameRequest = row.request_hash === hash && row.route === route;
    return row.state === 'done' ? { state: 'done', sameRequest, status: row.status!, body: row.body } : { state: 'pending', sameRequest, holder: row.holder };
  }

  /** Takes over a pending key this replica holds but no longer runs (its first claim's answer was lost). */
  async reclaim(sql: Sql, owner: string, key: string, holder: string): Promise<boolean> {
    return (
      (await sql.execute(`UPDATE idempotency_keys SET created_at = now() WHERE owner = $1 AND key = $2 AND state = 'pending' AND holder = $3`, [
        owner,
        key,
        holder,
      ])) === 1
    );
  }

  async complete(sql: Sql, owner: string, key: string, status: number, body: unknown): Promise<void> {
    await sql.execute(`UPDATE idempotency_keys SET state = 'done', status = $3, body = $4 WHERE owner = $1 AND key = $2`, [
      owner,
      key,
      status,
      JSON.stringify(body),
    ]);
  }

  /**
   * Frees a pending key after an answer that invites a retry (502, 503, 504, Retry-After). Kept, and
   * dated as abandoned, so the retry takes it over as `resumed`: it may have acted (a device that timed
   * out, a record lost to a failover), so the retry looks at the device before acting again.
   */
  async releaseForRetry(sql: Sql, owner: string, key: string): Promise<void> {
    await sql.execute(
      `UPDATE idempotency_keys SET created_at = now() - make_interval(secs => ${ABANDONED_AFTER_SECONDS + 1}) WHERE owner = $1 AND key = $2 AND state = 'pending'`,
      [owner, key],
    );
  }

  async prune(sql: Sql, olderThanSeconds: number): Promise<number> {
    return sql.execute('DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)', [olderThanSeconds]);
  }
}
