import type { MigrationInterface, QueryRunner } from 'typeorm';

export class EventsOutbox1764201600400 implements MigrationInterface {
  name = 'EventsOutbox1764201600400';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE events (
        id            uuid PRIMARY KEY,
        -- Insertion order; a slow transaction may commit a lower position after a higher one.
        position      bigserial UNIQUE,
        -- Gap-free, in publication order: assigned by the relay, so a late commit is never skipped.
        seq           bigint UNIQUE,
        type          text NOT NULL,
        subject_kind  text NOT NULL,
        subject_id    text NOT NULL,
        topic         text NOT NULL,
        retained      boolean NOT NULL,
        payload       jsonb NOT NULL,
        actor         jsonb,
        committed_at  timestamptz NOT NULL DEFAULT now(),
        sent_at       timestamptz
      )`);
    await runner.query('CREATE INDEX events_unsequenced ON events (position) WHERE seq IS NULL');
    await runner.query('CREATE INDEX events_unsent ON events (seq) WHERE seq IS NOT NULL AND sent_at IS NULL');
    await runner.query('CREATE INDEX events_sent_at ON events (sent_at) WHERE sent_at IS NOT NULL');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE events');
  }
}
