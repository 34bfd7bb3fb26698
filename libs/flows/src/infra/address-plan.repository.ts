import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';
import { AddressBucket, AddressReservation, type BucketLeg } from '../domain/address-bucket.entity.js';
import type { Leg } from '../domain/flow.entity.js';
import { ipv4ToNumber, numberToIpv4 } from '../domain/ipv4.js';

/** One transaction at a time hands out groups (any fixed number): two replicas never pick the same one. */
const ALLOCATION_LOCK = 7_364_201_612;

export interface BucketUsage {
  size: number;
  reserved: number;
  in_inventory: number;
  free: number;
}

/** Buckets and reservations through TypeORM; the free-group search as one SQL statement. */
@Injectable()
export class AddressPlanRepository {
  buckets(sql: Sql): Promise<AddressBucket[]> {
    return sql.entities.getRepository(AddressBucket).find({ order: { first_addr: 'ASC', name: 'ASC' } });
  }

  bucket(sql: Sql, id: string): Promise<AddressBucket | null> {
    return sql.entities.getRepository(AddressBucket).findOneBy({ id });
  }

  async insertBucket(sql: Sql, bucket: AddressBucket): Promise<void> {
    await sql.entities.getRepository(AddressBucket).insert(bucket);
  }

  async deleteBucket(sql: Sql, id: string): Promise<void> {
    await sql.entities.getRepository(AddressBucket).delete({ id });
  }

  /** Serialises bucket changes and allocations for the rest of the transaction, across replicas. */
  async lockPlan(sql: Sql): Promise<void> {
    await sql.query('SELECT pg_advisory_xact_lock($1)', [ALLOCATION_LOCK]);
  }

  async hasChildrenOrReservations(sql: Sql, id: string): Promise<{ children: number; reservations: number }> {
    const [row] = await sql.query<{ children: number; reservations: number }>(
      `SELECT (SELECT count(*)::int FROM address_buckets WHERE parent_id = $1) AS children,
              (SELECT count(*)::int FROM address_reservations WHERE bucket_id = $1) AS reservations`,
      [id],
    );
    return row;
  }

  /** How full a bucket is, for the legs it serves. */
  async usage(sql: Sql, bucket: AddressBucket): Promise<BucketUsage> {
    const [row] = await sql.query<{ reserved: number; in_inventory: number; used: number }>(
      `WITH used AS (${USED_GROUPS})
       SELECT (SELECT count(*)::int FROM address_reservations r WHERE r.addr BETWEEN $1::inet AND $2::inet AND r.leg = ANY($3::text[])) AS reserved,
              (SELECT count(*)::int FROM flows f WHERE f.deleted_at IS NULL AND (
                 ('a' = ANY($3::text[]) AND f.multicast_addr_a BETWEEN $1::inet AND $2::inet) OR
                 ('b' = ANY($3::text[]) AND f.multicast_addr_b BETWEEN $1::inet AND $2::inet))) AS in_inventory,
              (SELECT count(DISTINCT n)::int FROM used) AS used`,
      [bucket.first_addr, bucket.last_addr, legsOf(bucket.leg)],
    );
    const size = ipv4ToNumber(bucket.last_addr)! - ipv4ToNumber(bucket.first_addr)! + 1;
    return { size, reserved: row.reserved, in_inventory: row.in_inventory, free: size - row.used };
  }

  /**
   * The lowest `count` groups of the range that no reservation and no live flow uses on `leg`'s network:
   * candidates are the range's start and the address after each used one, so the search costs the
   * used addresses, not the range's size.
   */
  async freeGroups(sql: Sql, first: string, last: string, leg: Leg, count: number): Promise<string[]> {
    const rows = await sql.query<{ addr: string }>(
      `WITH used AS (${USED_GROUPS})
       SELECT host('0.0.0.0'::inet + c.n) AS addr
         FROM (SELECT $1::inet - '0.0.0.0'::inet AS n UNION SELECT n + 1 FROM used) c
        WHERE c.n <= $2::inet - '0.0.0.0'::inet AND NOT EXISTS (SELECT 1 FROM used u WHERE u.n = c.n)
        ORDER BY c.n LIMIT $4`,
      [first, last, [leg], count],
    );
    // Between two used addresses the gap may hold more than one free group: walk on from each.
    const free = rows.map((r) => r.addr);
    if (free.length >= count || free.length === 0 || free[free.length - 1] === last) return free;
    const more = await this.freeGroups(sql, numberToIpv4(ipv4ToNumber(free[free.length - 1])! + 1), last, leg, count - free.length);
    return [...free, ...more];
  }

  async reserve(sql: Sql, reservation: AddressReservation): Promise<void> {
    await sql.entities.getRepository(AddressReservation).insert(reservation);
  }

  reservations(sql: Sql, bucketId: string): Promise<AddressReservation[]> {
    return sql.entities.getRepository(AddressReservation).find({ where: { bucket_id: bucketId }, order: { addr: 'ASC', leg: 'ASC' } });
  }

  reservation(sql: Sql, id: string): Promise<AddressReservation | null> {
    return sql.entities.getRepository(AddressReservation).findOneBy({ id });
  }

  async release(sql: Sql, id: string): Promise<boolean> {
    return ((await sql.entities.getRepository(AddressReservation).delete({ id })).affected ?? 0) > 0;
  }
}

/** Groups in [$1, $2] in use on the legs in $3 (text[]): reserved, or carried by a live flow. As numbers. */
const USED_GROUPS = `
  SELECT r.addr - '0.0.0.0'::inet AS n FROM address_reservations r WHERE r.addr BETWEEN $1::inet AND $2::inet AND r.leg = ANY($3::text[])
  UNION SELECT f.multicast_addr_a - '0.0.0.0'::inet FROM flows f
   WHERE 'a' = ANY($3::text[]) AND f.deleted_at IS NULL AND f.multicast_addr_a BETWEEN $1::inet AND $2::inet
  UNION SELECT f.multicast_addr_b - '0.0.0.0'::inet FROM flows f
   WHERE 'b' = ANY($3::text[]) AND f.deleted_at IS NULL AND f.multicast_addr_b BETWEEN $1::inet AND $2::inet`;

export function legsOf(leg: BucketLeg): Leg[] {
  return leg === 'any' ? ['a', 'b'] : [leg];
}
