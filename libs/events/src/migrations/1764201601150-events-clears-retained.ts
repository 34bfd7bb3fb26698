import type { MigrationInterface, QueryRunner } from 'typeorm';

/** An event that ends its subject (a flow deleted) clears the retained message on its topic once published. */
export class EventsClearsRetained1764201601150 implements MigrationInterface {
  name = 'EventsClearsRetained1764201601150';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE events ADD COLUMN clears_retained boolean NOT NULL DEFAULT false');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE events DROP COLUMN clears_retained');
  }
}
