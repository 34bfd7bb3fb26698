import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The last state and connection status each IS-07 sender published. Every replica receives every
 * message; `creation_ns` (the state's TAI creation time) lets only the first write of a newer state
 * win, so one event is recorded per state, whichever replica heard it first.
 */
export class Is07SenderStates1764201601500 implements MigrationInterface {
  name = 'Is07SenderStates1764201601500';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE is07_sender_states (
        sender_id              text PRIMARY KEY,
        source_id              text,
        flow_id                text,
        event_type             text,
        payload                jsonb,
        creation_timestamp     text,
        origin_timestamp       text,
        creation_ns            numeric(30, 0),
        state_received_at      timestamptz,
        connected              boolean,
        connection_changed_at  timestamptz
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE is07_sender_states');
  }
}
