import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Which resource types a registry's watcher follows by polling (no websocket subscription granted). */
export class RegistryPolledTypes1764201600600 implements MigrationInterface {
  name = 'RegistryPolledTypes1764201600600';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query("ALTER TABLE registry_state ADD COLUMN polled_types text[] NOT NULL DEFAULT '{}'");
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE registry_state DROP COLUMN polled_types');
  }
}
