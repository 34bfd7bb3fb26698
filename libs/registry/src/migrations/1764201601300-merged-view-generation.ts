import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A number every merged-view write moves in its own transaction (one row). A replica serves a page it
 * read earlier only while the number is still the one it read the page at: see ViewCache.
 */
export class MergedViewGeneration1764201601300 implements MigrationInterface {
  name = 'MergedViewGeneration1764201601300';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE nmos_view_generation (
        id          boolean PRIMARY KEY DEFAULT true CHECK (id),
        generation  bigint NOT NULL
      )`);
    await runner.query('INSERT INTO nmos_view_generation (generation) VALUES (0)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE nmos_view_generation');
  }
}
