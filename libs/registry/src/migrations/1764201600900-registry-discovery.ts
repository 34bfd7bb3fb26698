import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the last DNS-SD browse found (one row), written by the replica watching the registries so that
 * every replica's `/api/registry/status` can list it.
 */
export class RegistryDiscovery1764201600900 implements MigrationInterface {
  name = 'RegistryDiscovery1764201600900';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE registry_discovery (
        id          boolean PRIMARY KEY DEFAULT true CHECK (id),
        found       jsonb NOT NULL,
        browsed_at  timestamptz NOT NULL,
        last_error  text
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE registry_discovery');
  }
}
