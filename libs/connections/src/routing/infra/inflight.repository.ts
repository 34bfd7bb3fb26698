import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';

/** Rows that say "a take is in flight on this receiver" (see the migration). */
@Injectable()
export class InflightRepository {
  /** All or nothing: answers true when every receiver was free (or its holder's row had expired). */
  async claim(sql: Sql, receiverIds: string[], token: string, holder: string, ttlMs: number): Promise<boolean> {
    // Sorted, so two claims over overlapping sets take rows in the same order and cannot deadlock.
    const ids = [...receiverIds].sort();
    const rows = await sql.query(
      `INSERT INTO receiver_inflight (receiver_id, token, holder, expires_at)
       SELECT id, $2, $3, now() + make_interval(secs => $4::double precision / 1000) FROM unnest($1::text[]) WITH ORDINALITY AS t(id, n) ORDER BY n
       ON CONFLICT (receiver_id) DO UPDATE SET token = EXCLUDED.token, holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
       WHERE receiver_inflight.expires_at < now()
       RETURNING receiver_id`,
      [ids, token, holder, ttlMs],
    );
    if (rows.length === ids.length) return true;
    await sql.execute('DELETE FROM receiver_inflight WHERE token = $1', [token]);
    return false;
  }

  async release(sql: Sql, token: string): Promise<void> {
    await sql.execute('DELETE FROM receiver_inflight WHERE token = $1', [token]);
  }
}
