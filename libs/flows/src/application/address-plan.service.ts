import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DomainError, parseInput } from '#common';
import { DatabaseService } from '#database';
import { AddressBucket, AddressReservation } from '../domain/address-bucket.entity.js';
import { AllocationInput, BucketInput } from '../domain/address-plan-input.js';
import type { StoredActor } from '../domain/flow.entity.js';
import { cidrRange, ipv4ToNumber, numberToIpv4 } from '../domain/ipv4.js';
import { AddressPlanRepository, legsOf, type BucketUsage } from '../infra/address-plan.repository.js';

export type BucketView = Omit<AddressBucket, 'created_at'> & { created_at: string; usage: BucketUsage };
export type ReservationView = Omit<AddressReservation, 'reserved_at'> & { reserved_at: string };

/**
 * The multicast address plan: buckets (inside their parent, overlapping no other bucket on the same
 * network), and groups handed out from them. Every change takes one advisory lock, so allocations on
 * any number of replicas are one queue; the reservations' unique index is the last line of defence.
 */
@Injectable()
export class AddressPlanService {
  constructor(
    private readonly db: DatabaseService,
    private readonly plan: AddressPlanRepository,
  ) {}

  list(): Promise<BucketView[]> {
    return this.db.read(async (sql) => Promise.all((await this.plan.buckets(sql)).map(async (b) => bucketView(b, await this.plan.usage(sql, b)))));
  }

  async get(id: string): Promise<BucketView & { reservations: ReservationView[] }> {
    return this.db.readPrimary(async (sql) => {
      const bucket = (await this.plan.bucket(sql, id)) ?? notFound(id);
      return { ...bucketView(bucket, await this.plan.usage(sql, bucket)), reservations: (await this.plan.reservations(sql, id)).map(reservationView) };
    });
  }

  async create(body: unknown, actor: StoredActor): Promise<BucketView> {
    const input = parseInput(BucketInput, body, 'invalid_bucket');
    const range = input.cidr ? cidrRange(input.cidr)! : { first: ipv4ToNumber(input.first_addr!)!, last: ipv4ToNumber(input.last_addr!)! };
    return this.db.write(async (sql) => {
      await this.plan.lockPlan(sql);
      const buckets = await this.plan.buckets(sql);
      if (buckets.some((b) => b.name.toLowerCase() === input.name.toLowerCase())) {
        throw new DomainError('conflict', 'bucket_exists', `A bucket named ${input.name} exists`, { fields: [{ field: 'name', message: 'is taken' }] });
      }
      const ancestors = new Set<string>();
      if (input.parent_id) {
        const parent = buckets.find((b) => b.id === input.parent_id) ?? invalid('parent_id', 'names no bucket');
        if (range.first < ipv4ToNumber(parent.first_addr)! || range.last > ipv4ToNumber(parent.last_addr)!)
          invalid('cidr', `must lie inside ${parent.name} (${parent.first_addr}–${parent.last_addr})`);
        if (parent.leg !== 'any' && parent.leg !== input.leg) invalid('leg', `must be ${parent.leg}, as its parent ${parent.name}`);
        for (let at: AddressBucket | undefined = parent; at; at = buckets.find((b) => b.id === at!.parent_id)) ancestors.add(at.id);
      }
      const clash = buckets.find(
        (b) =>
          !ancestors.has(b.id) &&
          legsOf(b.leg).some((leg) => legsOf(input.leg).includes(leg)) &&
          range.first <= ipv4ToNumber(b.last_addr)! &&
          ipv4ToNumber(b.first_addr)! <= range.last,
      );
      if (clash) {
        throw new DomainError(
          'conflict',
          'bucket_overlap',
          `${numberToIpv4(range.first)}–${numberToIpv4(range.last)} overlaps ${clash.name} (${clash.first_addr}–${clash.last_addr})`,
          {
            fields: [{ field: input.cidr ? 'cidr' : 'first_addr', message: `overlaps ${clash.name}` }],
            extra: { overlaps: clash.id },
          },
        );
      }
      const bucket: AddressBucket = {
        id: randomUUID(),
        name: input.name,
        parent_id: input.parent_id ?? null,
        leg: input.leg,
        first_addr: numberToIpv4(range.first),
        last_addr: numberToIpv4(range.last),
        cidr: input.cidr ?? null,
        port: input.port,
        description: input.description ?? null,
        created_by: actor,
        created_at: new Date(),
      };
      await this.plan.insertBucket(sql, bucket);
      return bucketView(bucket, await this.plan.usage(sql, bucket));
    });
  }

  async remove(id: string): Promise<void> {
    await this.db.write(async (sql) => {
      await this.plan.lockPlan(sql);
      (await this.plan.bucket(sql, id)) ?? notFound(id);
      const { children, reservations } = await this.plan.hasChildrenOrReservations(sql, id);
      if (children > 0 || reservations > 0) {
        throw new DomainError(
          'conflict',
          'bucket_in_use',
          `Bucket ${id} has ${children} child bucket(s) and ${reservations} reservation(s): remove or release them first`,
        );
      }
      await this.plan.deleteBucket(sql, id);
    });
  }

  /** The next free group(s) of the bucket on a leg's network, reserved in the same transaction. */
  async allocate(id: string, body: unknown, actor: StoredActor): Promise<ReservationView[]> {
    const input = parseInput(AllocationInput, body ?? {}, 'invalid_allocation');
    return this.db.write(async (sql) => {
      await this.plan.lockPlan(sql);
      const bucket = (await this.plan.bucket(sql, id)) ?? notFound(id);
      const leg = input.leg ?? (bucket.leg === 'any' ? 'a' : bucket.leg);
      if (!legsOf(bucket.leg).includes(leg)) invalid('leg', `bucket ${bucket.name} serves leg ${bucket.leg} only`);
      const groups = await this.plan.freeGroups(sql, bucket.first_addr, bucket.last_addr, leg, input.count);
      if (groups.length < input.count) {
        throw new DomainError('conflict', 'bucket_full', `Bucket ${bucket.name} has ${groups.length} free group(s) on leg ${leg}, ${input.count} asked`, {
          extra: { free: groups.length },
        });
      }
      const reservations = groups.map((addr): AddressReservation => ({
        id: randomUUID(),
        bucket_id: bucket.id,
        addr,
        port: bucket.port,
        leg,
        flow_row_id: input.flow_row_id ?? null,
        note: input.note ?? null,
        reserved_by: actor,
        reserved_at: new Date(),
      }));
      for (const reservation of reservations) await this.plan.reserve(sql, reservation);
      return reservations.map(reservationView);
    });
  }

  /** Free groups a bucket would hand out next (nothing reserved). */
  async peek(id: string, leg: 'a' | 'b' | undefined, count: number): Promise<string[]> {
    return this.db.read(async (sql) => {
      const bucket = (await this.plan.bucket(sql, id)) ?? notFound(id);
      return this.plan.freeGroups(sql, bucket.first_addr, bucket.last_addr, leg ?? (bucket.leg === 'any' ? 'a' : bucket.leg), count);
    });
  }

  async release(reservationId: string): Promise<void> {
    if (!(await this.db.write((sql) => this.plan.release(sql, reservationId)))) {
      throw new DomainError('not_found', 'reservation_not_found', `No reservation ${reservationId}`);
    }
  }
}

function bucketView(bucket: AddressBucket, usage: BucketUsage): BucketView {
  return { ...bucket, created_at: bucket.created_at.toISOString(), usage };
}

function reservationView(reservation: AddressReservation): ReservationView {
  return { ...reservation, reserved_at: reservation.reserved_at.toISOString() };
}

function notFound(id: string): never {
  throw new DomainError('not_found', 'bucket_not_found', `No address bucket ${id}`);
}

function invalid(field: string, message: string): never {
  throw new DomainError('invalid', 'invalid_bucket', `${field}: ${message}`, { fields: [{ field, message }] });
}
