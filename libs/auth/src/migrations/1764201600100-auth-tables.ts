import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AuthTables1764201600100 implements MigrationInterface {
  name = 'AuthTables1764201600100';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE users (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username      text NOT NULL,
        password_hash text NOT NULL,
        role          text NOT NULL CHECK (role IN ('viewer', 'operator', 'engineer', 'admin')),
        -- Bumped by a password change: tokens issued before it stop working on every replica.
        token_version integer NOT NULL DEFAULT 0,
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query('CREATE UNIQUE INDEX users_username_key ON users (lower(username))');
    await runner.query(`
      CREATE TABLE api_tokens (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name         text NOT NULL,
        token_hash   bytea NOT NULL UNIQUE,
        prefix       text NOT NULL,
        role         text NOT NULL DEFAULT 'automation' CHECK (role = 'automation'),
        created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at   timestamptz
      )`);
    await runner.query(`
      CREATE TABLE login_failures (
        scope             text NOT NULL CHECK (scope IN ('user', 'address')),
        key               text NOT NULL,
        window_started_at timestamptz NOT NULL,
        failures          integer NOT NULL,
        PRIMARY KEY (scope, key)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE login_failures');
    await runner.query('DROP TABLE api_tokens');
    await runner.query('DROP TABLE users');
  }
}
