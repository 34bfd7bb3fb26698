import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The take failure alert reads the last five minutes of the audit trail: by time, not by scanning it all. */
export class RoutingAuditTime1764201601000 implements MigrationInterface {
  name = 'RoutingAuditTime1764201601000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('CREATE INDEX routing_audit_at ON routing_audit (at)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX routing_audit_at');
  }
}
