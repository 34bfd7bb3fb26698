import type { MigrationInterface, QueryRunner } from 'typeorm';

export class LeaseTable1764201600000 implements MigrationInterface {
  name = 'LeaseTable1764201600000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE leases (
        name        text PRIMARY KEY,
        holder      text NOT NULL,
        epoch       bigint NOT NULL,
        acquired_at timestamptz NOT NULL,
        renewed_at  timestamptz NOT NULL,
        expires_at  timestamptz NOT NULL
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE leases');
  }
}
