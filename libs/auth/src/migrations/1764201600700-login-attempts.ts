import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Login throttling per username and client address together (an attacker locks out only itself), and
 * the time of the last attempt a paced username allowed.
 */
export class LoginAttempts1764201600700 implements MigrationInterface {
  name = 'LoginAttempts1764201600700';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE login_failures DROP CONSTRAINT login_failures_scope_check');
    await runner.query("ALTER TABLE login_failures ADD CONSTRAINT login_failures_scope_check CHECK (scope IN ('user', 'user_address', 'address'))");
    await runner.query('ALTER TABLE login_failures ADD COLUMN last_attempt_at timestamptz');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query("DELETE FROM login_failures WHERE scope = 'user_address'");
    await runner.query('ALTER TABLE login_failures DROP COLUMN last_attempt_at');
    await runner.query('ALTER TABLE login_failures DROP CONSTRAINT login_failures_scope_check');
    await runner.query("ALTER TABLE login_failures ADD CONSTRAINT login_failures_scope_check CHECK (scope IN ('user', 'address'))");
  }
}
