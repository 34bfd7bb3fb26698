import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';

export type ThrottleScope = 'user' | 'address';

/** Failed logins per username and per client address, in PostgreSQL so the limit holds across replicas. */
@Injectable()
export class LoginFailuresRepository {
  /** Failures within the current window and the seconds until that window ends. */
  async current(
    sql: Sql,
    keys: Record<ThrottleScope, string>,
    windowSeconds: number,
  ): Promise<Array<{ scope: ThrottleScope; failures: number; resets_in: number }>> {
    return sql.query(
      `SELECT scope, failures, ceil(EXTRACT(EPOCH FROM window_started_at + make_interval(secs => $3) - now()))::int AS resets_in
       FROM login_failures
       WHERE ((scope = 'user' AND key = $1) OR (scope = 'address' AND key = $2))
         AND window_started_at > now() - make_interval(secs => $3)`,
      [keys.user, keys.address, windowSeconds],
    );
  }

  async recordFailure(sql: Sql, keys: Record<ThrottleScope, string>, windowSeconds: number): Promise<void> {
    await sql.execute(
      `INSERT INTO login_failures AS f (scope, key, window_started_at, failures)
       VALUES ('user', $1, now(), 1), ('address', $2, now(), 1)
       ON CONFLICT (scope, key) DO UPDATE SET
         failures = CASE WHEN f.window_started_at <= now() - make_interval(secs => $3) THEN 1 ELSE f.failures + 1 END,
         window_started_at = CASE WHEN f.window_started_at <= now() - make_interval(secs => $3) THEN now() ELSE f.window_started_at END`,
      [keys.user, keys.address, windowSeconds],
    );
  }

  async clearUser(sql: Sql, user: string): Promise<void> {
    await sql.execute("DELETE FROM login_failures WHERE scope = 'user' AND key = $1", [user]);
  }
}
