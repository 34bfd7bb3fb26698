import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';
import type { Leg } from '../domain/flow.entity.js';

export interface CollisionRow {
  leg: Leg;
  multicast_addr: string;
  severity: 'error' | 'warning';
  flows: Array<{ id: string; flow_id: string; display_name: string; group_port: number | null; source_addr: string | null }>;
}

/** Every live flow's legs as (leg, group, port, source), the relation both queries below read. */
const LEGS = `
  SELECT id, flow_id, display_name, 'a' AS leg, multicast_addr_a AS grp, group_port_a AS port, source_addr_a AS src
    FROM flows WHERE deleted_at IS NULL AND multicast_addr_a IS NOT NULL
  UNION ALL
  SELECT id, flow_id, display_name, 'b', multicast_addr_b, group_port_b, source_addr_b
    FROM flows WHERE deleted_at IS NULL AND multicast_addr_b IS NOT NULL`;

/**
 * Two legs collide when they are on the same network (leg) and group, belong to different flows, and
 * a receiver joining one would get the other: either is any-source, or both have the same source
 * (RFC 4607 source-specific groups with different sources are apart). Same port: an error; another
 * port: a warning (IGMP joins a group, not a port, so the NIC still gets both streams).
 */
const COLLIDES = `x.leg = y.leg AND x.grp = y.grp AND x.id <> y.id AND (x.src IS NULL OR y.src IS NULL OR x.src = y.src)`;

@Injectable()
export class CollisionsRepository {
  /** The whole inventory's collisions, one row per (leg, group), in one statement. */
  report(sql: Sql): Promise<CollisionRow[]> {
    return sql.query<CollisionRow & Record<string, unknown>>(
      `WITH legs AS (${LEGS}),
       pairs AS (SELECT x.*, x.port IS NOT DISTINCT FROM y.port AS same_port FROM legs x JOIN legs y ON ${COLLIDES})
       SELECT leg, host(grp) AS multicast_addr,
              CASE WHEN bool_or(same_port) THEN 'error' ELSE 'warning' END AS severity,
              jsonb_agg(DISTINCT jsonb_build_object('id', id, 'flow_id', flow_id, 'display_name', display_name,
                                                    'group_port', port, 'source_addr', host(src))) AS flows
         FROM pairs GROUP BY leg, grp ORDER BY grp, leg`,
    );
  }

  /** Every live flow leg on these groups (any leg), as streams for the in-memory rule. */
  legsOn(sql: Sql, groups: string[]) {
    return sql.query<{
      leg: Leg;
      multicast_addr: string;
      group_port: number | null;
      source_addr: string | null;
      id: string;
      flow_id: string;
      display_name: string;
    }>(
      `WITH legs AS (${LEGS})
       SELECT leg, host(grp) AS multicast_addr, port AS group_port, host(src) AS source_addr, id, flow_id, display_name FROM legs
        WHERE grp = ANY($1::inet[])`,
      [groups],
    );
  }

  /** Live flows whose leg `leg` would collide with a stream on this group (and source), but `exclude`. */
  conflicts(sql: Sql, probe: { leg: Leg; multicast_addr: string; source_addr?: string; exclude?: string }) {
    return sql.query<{ id: string; flow_id: string; display_name: string; group_port: number | null; source_addr: string | null }>(
      `WITH legs AS (${LEGS})
       SELECT id, flow_id, display_name, port AS group_port, host(src) AS source_addr FROM legs
        WHERE leg = $1 AND grp = $2::inet AND ($3::inet IS NULL OR src IS NULL OR src = $3::inet) AND ($4::uuid IS NULL OR id <> $4::uuid)
        ORDER BY display_name`,
      [probe.leg, probe.multicast_addr, probe.source_addr ?? null, probe.exclude ?? null],
    );
  }

  /**
   * Live flows that put another stream on this sender's group and port on a leg's network: not linked to
   * the sender, same group and port, and not kept apart by different sources.
   */
  senderConflicts(sql: Sql, senderId: string, leg: { leg: Leg; multicast_addr: string; group_port: number; source_addr: string | null }) {
    return sql.query<{ id: string; flow_id: string; display_name: string; nmos_sender_id: string | null }>(
      `WITH legs AS (SELECT l.*, f.nmos_sender_id FROM (${LEGS}) l JOIN flows f USING (id))
       SELECT id, flow_id, display_name, nmos_sender_id FROM legs
        WHERE leg = $1 AND grp = $2::inet AND port = $3 AND ($4::inet IS NULL OR src IS NULL OR src = $4::inet)
          AND nmos_sender_id IS DISTINCT FROM $5::uuid
        ORDER BY display_name`,
      [leg.leg, leg.multicast_addr, leg.group_port, leg.source_addr, senderId],
    );
  }

  /** Reservations of this group on this leg's network. */
  reservedBy(sql: Sql, leg: Leg, multicastAddr: string) {
    return sql.query<{ id: string; bucket_id: string; flow_row_id: string | null; port: number }>(
      'SELECT id, bucket_id, flow_row_id, port FROM address_reservations WHERE leg = $1 AND addr = $2::inet',
      [leg, multicastAddr],
    );
  }

  /** The buckets serving this leg, those holding the address first. */
  bucketsFor(sql: Sql, leg: Leg, multicastAddr: string) {
    return sql.query<{ id: string; name: string; first_addr: string; last_addr: string; port: number }>(
      `SELECT id, name, host(first_addr) AS first_addr, host(last_addr) AS last_addr, port FROM address_buckets
        WHERE leg IN ($1, 'any')
        ORDER BY ($2::inet BETWEEN first_addr AND last_addr) DESC, (last_addr - first_addr) ASC, name`,
      [leg, multicastAddr],
    );
  }
}
