import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Routing1764201600500 implements MigrationInterface {
  name = 'Routing1764201600500';

  async up(runner: QueryRunner): Promise<void> {
    // What the controller last verified on each receiver's /active (the registry's `subscription` is the other source).
    await runner.query(`
      CREATE TABLE receiver_connections (
        receiver_id    text PRIMARY KEY,
        sender_id      text,
        master_enable  boolean NOT NULL,
        active         jsonb NOT NULL,
        verified_at    timestamptz NOT NULL DEFAULT now(),
        changed_by     jsonb,
        -- controller: a take or disconnect of ours; device: the periodic /active check found a change made elsewhere.
        source         text NOT NULL DEFAULT 'controller'
      )`);
    // At most one take in flight per receiver across every replica: a row with an expiry, so a replica
    // that dies mid-take cannot hold the receiver for ever.
    await runner.query(`
      CREATE TABLE receiver_inflight (
        receiver_id  text PRIMARY KEY,
        token        text NOT NULL,
        holder       text NOT NULL,
        expires_at   timestamptz NOT NULL
      )`);
    await runner.query(`
      CREATE TABLE receiver_locks (
        receiver_id  text PRIMARY KEY,
        owner        jsonb NOT NULL,
        reason       text NOT NULL,
        locked_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`
      CREATE TABLE routing_policies (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name        text NOT NULL UNIQUE,
        effect      text NOT NULL CHECK (effect IN ('allow', 'deny')),
        sender      jsonb,
        receiver    jsonb,
        created_by  jsonb NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`CREATE TABLE routing_settings (key text PRIMARY KEY, value jsonb NOT NULL)`);
    await runner.query(`INSERT INTO routing_settings (key, value) VALUES ('default_effect', '"allow"')`);
    await runner.query(`
      CREATE TABLE routing_audit (
        id               bigserial PRIMARY KEY,
        at               timestamptz NOT NULL DEFAULT now(),
        action           text NOT NULL,
        outcome          text NOT NULL,
        actor            jsonb,
        request_id       text,
        replica          text NOT NULL,
        receiver_id      text,
        sender_id        text,
        salvo_id         text,
        override_reason  text,
        request          jsonb,
        device_answer    jsonb,
        active           jsonb,
        error            jsonb,
        duration_ms      integer
      )`);
    await runner.query('CREATE INDEX routing_audit_receiver ON routing_audit (receiver_id, id)');
    await runner.query('CREATE INDEX routing_audit_action ON routing_audit (action, id)');
    await runner.query('CREATE INDEX routing_audit_salvo ON routing_audit (salvo_id) WHERE salvo_id IS NOT NULL');
    await runner.query(`
      CREATE TABLE idempotency_keys (
        owner         text NOT NULL,
        key           text NOT NULL,
        route         text NOT NULL,
        request_hash  text NOT NULL,
        state         text NOT NULL CHECK (state IN ('pending', 'done')),
        -- The replica running the first request, while pending.
        holder        text NOT NULL,
        status        integer,
        body          jsonb,
        created_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (owner, key)
      )`);
    // Activations scheduled on the devices themselves (IS-05 activate_scheduled_*), verified after their time.
    await runner.query(`
      CREATE TABLE device_schedules (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        receiver_id      text NOT NULL,
        sender_id        text,
        mode             text NOT NULL,
        requested_time   text NOT NULL,
        activation_time  text NOT NULL,
        activation_at    timestamptz NOT NULL,
        state            text NOT NULL CHECK (state IN ('pending', 'activated', 'failed', 'cancelled')),
        expected         jsonb NOT NULL,
        result           jsonb,
        created_by       jsonb,
        created_at       timestamptz NOT NULL DEFAULT now(),
        settled_at       timestamptz
      )`);
    await runner.query(`CREATE INDEX device_schedules_pending ON device_schedules (activation_at) WHERE state = 'pending'`);
    await runner.query(`
      CREATE TABLE salvos (
        name          text PRIMARY KEY,
        description   text NOT NULL DEFAULT '',
        connections   jsonb NOT NULL,
        on_failure    text NOT NULL,
        synchronised  boolean NOT NULL DEFAULT false,
        created_by    jsonb NOT NULL,
        updated_at    timestamptz NOT NULL DEFAULT now()
      )`);
    // Takes the controller fires later itself; claimed exactly once by the scheduler lease holder.
    await runner.query(`
      CREATE TABLE controller_schedules (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        salvo_name  text,
        salvo       jsonb NOT NULL,
        fire_at     timestamptz NOT NULL,
        state       text NOT NULL CHECK (state IN ('pending', 'firing', 'fired', 'failed', 'missed', 'cancelled', 'interrupted')),
        claimed_by  text,
        claimed_at  timestamptz,
        result      jsonb,
        created_by  jsonb NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`CREATE INDEX controller_schedules_pending ON controller_schedules (fire_at) WHERE state = 'pending'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of [
      'controller_schedules',
      'salvos',
      'device_schedules',
      'idempotency_keys',
      'routing_audit',
      'routing_settings',
      'routing_policies',
      'receiver_locks',
      'receiver_inflight',
      'receiver_connections',
    ])
      await runner.query(`DROP TABLE ${table}`);
  }
}
