import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';

/**
 * - `user`: a username, whatever the address (paced once over its limit);
 * - `user_address`: a username from one address (refused once over its limit);
 * - `address`: one client address, whatever the usernames tried (refused once over its limit).
 */
export type ThrottleScope = 'user' | 'user_address' | 'address';

export type ThrottleKeys = Record<ThrottleScope, string>;

export interface ThrottleCounter {
  scope: ThrottleScope;
  /** Failures in the current window (0 when the window has ended). */
  failures: number;
  /** Seconds until the current window ends. */
  resets_in: number;
  /** Seconds since the last attempt this counter let through, or null. */
  since_last_attempt: number | null;
}

/** Failed logins, in PostgreSQL so the limits hold across replicas. */
@Injectable()
export class LoginFailuresRepository {
  /** The counters exist before they are locked, so concurrent first attempts still queue on one row. */
  async ensure(sql: Sql, keys: ThrottleKeys): Promise<void> {
    await sql.execute(
      `INSERT INTO login_failures (scope, key, window_started_at, failures)
       VALUES ('address', $3, now(), 0), ('user', $1, now(), 0), ('user_address', $2, now(), 0)
       ON CONFLICT (scope, key) DO NOTHING`,
      [keys.user, keys.user_address, keys.address],
    );
  }

  /** The three counters, locked until the transaction ends (always in the same order: no deadlock). */
  async lock(sql: Sql, keys: ThrottleKeys, windowSeconds: number): Promise<ThrottleCounter[]> {
    return sql.query<ThrottleCounter & Record<string, unknown>>(
      `SELECT scope,
              CASE WHEN window_started_at <= now() - make_interval(secs => $4) THEN 0 ELSE failures END AS failures,
              greatest(1, ceil(EXTRACT(EPOCH FROM window_started_at + make_interval(secs => $4) - now())))::int AS resets_in,
              EXTRACT(EPOCH FROM now() - last_attempt_at)::float8 AS since_last_attempt
       FROM login_failures
       WHERE (scope = 'user' AND key = $1) OR (scope = 'user_address' AND key = $2) OR (scope = 'address' AND key = $3)
       ORDER BY scope, key
       FOR UPDATE`,
      [keys.user, keys.user_address, keys.address, windowSeconds],
    );
  }

  /** Counts an attempt as failed until it proves otherwise (a new window where the old one ended). */
  async countAttempt(sql: Sql, keys: ThrottleKeys, windowSeconds: number): Promise<void> {
    await sql.execute(
      `UPDATE login_failures SET
         failures = CASE WHEN window_started_at <= now() - make_interval(secs => $4) THEN 1 ELSE failures + 1 END,
         window_started_at = CASE WHEN window_started_at <= now() - make_interval(secs => $4) THEN now() ELSE window_started_at END,
         last_attempt_at = now()
       WHERE (scope = 'user' AND key = $1) OR (scope = 'user_address' AND key = $2) OR (scope = 'address' AND key = $3)`,
      [keys.user, keys.user_address, keys.address, windowSeconds],
    );
  }

  /** A right password: the username's counters go, and the address gets back the attempt it was charged. */
  async forgive(sql: Sql, keys: ThrottleKeys): Promise<void> {
    await sql.execute("DELETE FROM login_failures WHERE (scope = 'user' AND key = $1) OR (scope = 'user_address' AND key = $2)", [keys.user, keys.user_address]);
    await sql.execute("UPDATE login_failures SET failures = greatest(0, failures - 1) WHERE scope = 'address' AND key = $1", [keys.address]);
  }
}
