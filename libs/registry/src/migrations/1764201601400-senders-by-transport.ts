import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Senders by transport (the IS-07 directory looks for the few MQTT senders among many RTP ones, every few seconds). */
export class SendersByTransport1764201601400 implements MigrationInterface {
  name = 'SendersByTransport1764201601400';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query("CREATE INDEX nmos_resources_sender_transport ON nmos_resources ((data ->> 'transport')) WHERE type = 'senders'");
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX nmos_resources_sender_transport');
  }
}
