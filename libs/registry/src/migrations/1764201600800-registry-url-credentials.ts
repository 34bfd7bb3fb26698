import type { MigrationInterface, QueryRunner } from 'typeorm';

/** `scheme://` then a user (and password) up to the `@` before the host. */
const USERINFO = `'^([a-z][a-z0-9+.-]*://)[^/@?#]*@'`;

/**
 * Registry URLs are no longer accepted with a user or password in them (they never worked, and they
 * were shown on the probe, in status, events and logs): remove any stored before this version, wherever
 * a URL was kept. Retained MQTT state messages are replaced at the next state change.
 */
export class RegistryUrlCredentials1764201600800 implements MigrationInterface {
  name = 'RegistryUrlCredentials1764201600800';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`UPDATE registry_config SET query_url = regexp_replace(query_url, ${USERINFO}, '\\1', 'i'),
      endpoints = regexp_replace(endpoints::text, '"([a-z][a-z0-9+.-]*://)[^/@?#"]*@', '"\\1', 'gi')::jsonb`);
    await runner.query(`UPDATE registry_config_audit SET before = regexp_replace(before::text, '"([a-z][a-z0-9+.-]*://)[^/@?#"]*@', '"\\1', 'gi')::jsonb,
      after = regexp_replace(after::text, '"([a-z][a-z0-9+.-]*://)[^/@?#"]*@', '"\\1', 'gi')::jsonb`);
    await runner.query(`UPDATE registry_state SET endpoint = regexp_replace(endpoint, ${USERINFO}, '\\1', 'i'), last_error = NULL WHERE endpoint ~* ${USERINFO}`);
  }

  async down(): Promise<void> {
    // Nothing to restore: the credentials removed never worked.
  }
}
