import type { MigrationInterface, QueryRunner } from 'typeorm';

export class MergedView1764201600300 implements MigrationInterface {
  name = 'MergedView1764201600300';

  async up(runner: QueryRunner): Promise<void> {
    // Each registry's copy of each resource, as it reported it.
    await runner.query(`
      CREATE TABLE nmos_resource_copies (
        type         text NOT NULL,
        id           text NOT NULL,
        registry     text NOT NULL,
        version      text NOT NULL,
        version_ns   numeric(30, 0) NOT NULL,
        data         jsonb NOT NULL,
        first_seen   timestamptz NOT NULL DEFAULT now(),
        last_seen    timestamptz NOT NULL DEFAULT now(),
        -- Set while the registry is unreachable, or when a resync no longer reports the resource.
        stale_since  timestamptz,
        PRIMARY KEY (type, id, registry)
      )`);
    await runner.query('CREATE INDEX nmos_resource_copies_registry ON nmos_resource_copies (registry, type)');
    await runner.query('CREATE INDEX nmos_resource_copies_stale ON nmos_resource_copies (stale_since) WHERE stale_since IS NOT NULL');
    // The effective view every replica serves: the newest copy, who reports it, whether all copies are stale.
    await runner.query(`
      CREATE TABLE nmos_resources (
        type        text NOT NULL,
        id          text NOT NULL,
        version     text NOT NULL,
        version_ns  numeric(30, 0) NOT NULL,
        data        jsonb NOT NULL,
        registries  text[] NOT NULL,
        stale       boolean NOT NULL,
        first_seen  timestamptz NOT NULL,
        last_seen   timestamptz NOT NULL,
        -- Never null, so sorting by label uses the index below.
        label       text GENERATED ALWAYS AS (COALESCE(data ->> 'label', '')) STORED,
        PRIMARY KEY (type, id)
      )`);
    await runner.query('CREATE INDEX nmos_resources_label ON nmos_resources (type, label, id)');
    await runner.query('CREATE INDEX nmos_resources_version ON nmos_resources (type, version_ns, id)');
    await runner.query(`
      CREATE TABLE registry_state (
        name           text PRIMARY KEY,
        state          text NOT NULL,
        endpoint       text,
        api_version    text,
        synced_types   text[] NOT NULL DEFAULT '{}',
        last_event_at  timestamptz,
        last_error     text,
        changed_at     timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE registry_state');
    await runner.query('DROP TABLE nmos_resources');
    await runner.query('DROP TABLE nmos_resource_copies');
  }
}
