import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RegistryConfig1764201600200 implements MigrationInterface {
  name = 'RegistryConfig1764201600200';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE registry_config (
        name       text PRIMARY KEY,
        position   integer NOT NULL,
        query_url  text NOT NULL,
        enabled    boolean NOT NULL,
        endpoints  jsonb NOT NULL,
        priority   integer NOT NULL,
        timeout_ms integer NOT NULL,
        auth       jsonb,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query('CREATE UNIQUE INDEX registry_config_name_key ON registry_config (lower(name))');
    // One row: bumped by every change, so whichever replica watches sees a change without a restart.
    await runner.query('CREATE TABLE registry_config_revision (id boolean PRIMARY KEY DEFAULT true CHECK (id), revision bigint NOT NULL)');
    await runner.query('INSERT INTO registry_config_revision (revision) VALUES (0)');
    await runner.query(`
      CREATE TABLE registry_config_audit (
        id         bigserial PRIMARY KEY,
        at         timestamptz NOT NULL DEFAULT now(),
        actor_kind text NOT NULL,
        actor_id   text NOT NULL,
        actor_name text NOT NULL,
        request_id text,
        action     text NOT NULL CHECK (action IN ('created', 'updated', 'deleted')),
        name       text NOT NULL,
        before     jsonb,
        after      jsonb
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE registry_config_audit');
    await runner.query('DROP TABLE registry_config_revision');
    await runner.query('DROP TABLE registry_config');
  }
}
