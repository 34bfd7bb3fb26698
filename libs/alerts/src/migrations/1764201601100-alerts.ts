import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Alerts1764201601100 implements MigrationInterface {
  name = 'Alerts1764201601100';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE alert_hooks (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name        text NOT NULL,
        url         text NOT NULL,
        format      text NOT NULL CHECK (format IN ('generic', 'slack')),
        -- Signs each body (HMAC-SHA256): never shown back.
        secret      text,
        -- The alerts this hook receives; empty: all of them.
        alerts      text[] NOT NULL DEFAULT '{}',
        enabled     boolean NOT NULL DEFAULT true,
        created_by  jsonb NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query('CREATE UNIQUE INDEX alert_hooks_name_key ON alert_hooks (lower(name))');
    await runner.query(`
      CREATE TABLE alert_state (
        key          text PRIMARY KEY,
        alert        text NOT NULL,
        subject      text,
        severity     text NOT NULL,
        summary      text NOT NULL,
        state        text NOT NULL CHECK (state IN ('firing', 'resolved')),
        started_at   timestamptz NOT NULL,
        resolved_at  timestamptz
      )`);
    await runner.query(`
      CREATE TABLE alert_deliveries (
        id               bigserial PRIMARY KEY,
        hook_id          uuid NOT NULL REFERENCES alert_hooks (id) ON DELETE CASCADE,
        alert_key        text NOT NULL,
        status           text NOT NULL CHECK (status IN ('firing', 'resolved', 'test')),
        -- Sent to the receiver too: the same notification retried carries the same key.
        dedupe_key       text NOT NULL,
        payload          jsonb NOT NULL,
        state            text NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
        attempts         integer NOT NULL DEFAULT 0,
        next_attempt_at  timestamptz NOT NULL DEFAULT now(),
        last_status      integer,
        last_error       text,
        created_at       timestamptz NOT NULL DEFAULT now(),
        delivered_at     timestamptz,
        UNIQUE (hook_id, dedupe_key)
      )`);
    await runner.query(`CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE state = 'pending'`);
    await runner.query(`
      CREATE TABLE alert_replica_reports (
        instance     text PRIMARY KEY,
        conditions   jsonb NOT NULL,
        reported_at  timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of ['alert_replica_reports', 'alert_deliveries', 'alert_state', 'alert_hooks']) await runner.query(`DROP TABLE ${table}`);
  }
}
