import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Flows1764201601200 implements MigrationInterface {
  name = 'Flows1764201601200';

  async up(runner: QueryRunner): Promise<void> {
    const leg = (l: string) => `
        source_addr_${l}     inet,
        source_port_${l}     integer CHECK (source_port_${l} BETWEEN 1 AND 65535),
        multicast_addr_${l}  inet,
        group_port_${l}      integer CHECK (group_port_${l} BETWEEN 1 AND 65535),`;
    const numbered = (name: string) => [1, 2, 3, 4, 5, 6, 7, 8].map((n) => `${name}_${n} text,`).join('\n        ');
    await runner.query(`
      CREATE TABLE flows (
        id                 uuid PRIMARY KEY,
        flow_id            uuid NOT NULL,
        display_name       text NOT NULL,
        ${leg('a')}
        ${leg('b')}
        nmos_node_id       uuid,
        nmos_device_id     uuid,
        nmos_source_id     uuid,
        nmos_flow_id       uuid,
        nmos_sender_id     uuid,
        nmos_node_label    text,
        nmos_device_label  text,
        nmos_flow_label    text,
        nmos_sender_label  text,
        is04_base_url      text,
        is05_base_url      text,
        is04_version       text,
        is05_version       text,
        media_type         text,
        st2110_format      text,
        format_summary     text,
        redundancy_group   text,
        transport_protocol text NOT NULL DEFAULT 'RTP',
        flow_status        text NOT NULL DEFAULT 'active',
        availability       text NOT NULL DEFAULT 'available',
        locked             boolean NOT NULL DEFAULT false,
        locked_by          jsonb,
        locked_reason      text,
        note               text,
        ${numbered('alias')}
        ${numbered('user_field')}
        sdp_url            text,
        sdp_cache          text,
        sdp_fetched_at     timestamptz,
        data_source        text NOT NULL DEFAULT 'manual',
        bucket_id          uuid,
        version            integer NOT NULL DEFAULT 1,
        created_at         timestamptz NOT NULL DEFAULT now(),
        created_by         jsonb NOT NULL,
        updated_at         timestamptz NOT NULL DEFAULT now(),
        updated_by         jsonb NOT NULL,
        deleted_at         timestamptz,
        deleted_by         jsonb
      )`);
    // A deleted flow's NMOS id may be used again; a live one's never twice.
    await runner.query('CREATE UNIQUE INDEX flows_flow_id_live_key ON flows (flow_id) WHERE deleted_at IS NULL');
    // A page in each sortable order is an index walk over live flows, not a sort of the inventory.
    for (const column of [
      'display_name',
      'created_at',
      'updated_at',
      'flow_id',
      'multicast_addr_a',
      'multicast_addr_b',
      'media_type',
      'flow_status',
      'availability',
    ]) {
      await runner.query(`CREATE INDEX flows_live_${column}_idx ON flows (${column}, id) WHERE deleted_at IS NULL`);
    }
    // X-Total-Count: an index-only count of live flows instead of a scan of the wide rows.
    await runner.query('CREATE INDEX flows_live_idx ON flows (id) WHERE deleted_at IS NULL');
    await runner.query('CREATE INDEX flows_multicast_a_idx ON flows (multicast_addr_a) WHERE multicast_addr_a IS NOT NULL');
    await runner.query('CREATE INDEX flows_multicast_b_idx ON flows (multicast_addr_b) WHERE multicast_addr_b IS NOT NULL');
    // Search: one lower-cased text of every searched field, kept by PostgreSQL, with a trigram index
    // (pg_trgm ships with PostgreSQL's contrib; where it cannot be created the search scans instead).
    const searched = [
      'display_name',
      'note',
      'format_summary',
      'media_type',
      'nmos_sender_label',
      'nmos_node_label',
      'nmos_device_label',
      'nmos_flow_label',
      ...[1, 2, 3, 4, 5, 6, 7, 8].flatMap((n) => [`alias_${n}`, `user_field_${n}`]),
    ].map((c) => `coalesce(${c}, '')`);
    const asText = [
      'flow_id::text',
      "coalesce(nmos_sender_id::text, '')",
      "coalesce(nmos_flow_id::text, '')",
      ...['multicast_addr_a', 'multicast_addr_b', 'source_addr_a', 'source_addr_b'].map((c) => `coalesce(host(${c}), '')`),
    ];
    await runner.query(`ALTER TABLE flows ADD COLUMN search_text text GENERATED ALWAYS AS (lower(${[...searched, ...asText].join(" || ' ' || ")})) STORED`);
    await runner.query('SAVEPOINT trigram');
    try {
      await runner.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
      await runner.query('CREATE INDEX flows_search_idx ON flows USING gin (search_text gin_trgm_ops) WHERE deleted_at IS NULL');
      await runner.query('RELEASE SAVEPOINT trigram');
    } catch {
      await runner.query('ROLLBACK TO SAVEPOINT trigram');
    }
    await runner.query('CREATE INDEX flows_nmos_sender_idx ON flows (nmos_sender_id) WHERE nmos_sender_id IS NOT NULL');
    await runner.query(`
      CREATE TABLE flow_audit (
        seq          bigserial PRIMARY KEY,
        flow_row_id  uuid NOT NULL,
        flow_id      uuid NOT NULL,
        action       text NOT NULL,
        actor        jsonb NOT NULL,
        diff         jsonb NOT NULL DEFAULT '{}',
        reason       text,
        at           timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query('CREATE INDEX flow_audit_flow_idx ON flow_audit (flow_row_id, seq)');
    await runner.query(`
      CREATE TABLE address_buckets (
        id           uuid PRIMARY KEY,
        name         text NOT NULL,
        parent_id    uuid REFERENCES address_buckets (id),
        leg          text NOT NULL CHECK (leg IN ('a', 'b', 'any')),
        first_addr   inet NOT NULL,
        last_addr    inet NOT NULL,
        cidr         text,
        port         integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
        description  text,
        created_by   jsonb NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        CHECK (first_addr <= last_addr)
      )`);
    await runner.query('CREATE UNIQUE INDEX address_buckets_name_key ON address_buckets (lower(name))');
    await runner.query(`
      CREATE TABLE address_reservations (
        id           uuid PRIMARY KEY,
        bucket_id    uuid NOT NULL REFERENCES address_buckets (id),
        addr         inet NOT NULL,
        port         integer NOT NULL,
        -- A and B legs run on separate networks: one group may serve both, once each.
        leg          text NOT NULL CHECK (leg IN ('a', 'b')),
        flow_row_id  uuid,
        note         text,
        reserved_by  jsonb NOT NULL,
        reserved_at  timestamptz NOT NULL DEFAULT now()
      )`);
    // The last line of defence: a group is handed out once, whichever replica asks.
    await runner.query('CREATE UNIQUE INDEX address_reservations_addr_key ON address_reservations (addr, leg)');
    await runner.query('CREATE INDEX address_reservations_bucket_idx ON address_reservations (bucket_id, addr)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE address_reservations');
    await runner.query('DROP TABLE address_buckets');
    await runner.query('DROP TABLE flow_audit');
    await runner.query('DROP TABLE flows');
  }
}
