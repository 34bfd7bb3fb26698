import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Leg, StoredActor } from './flow.entity.js';

/**
 * Which leg's network a bucket's groups are for: A, B, or both (the same group used on each network,
 * once per leg, as ST 2022-7 plants with mirrored red and blue address plans do).
 */
export const BUCKET_LEGS = ['a', 'b', 'any'] as const;
export type BucketLeg = (typeof BUCKET_LEGS)[number];

/**
 * A block of multicast groups in the address plan: a CIDR or a first–last range, inside its parent
 * (if any), overlapping no other bucket but its ancestors.
 */
@Entity({ name: 'address_buckets' })
export class AddressBucket {
  @PrimaryColumn({ type: 'uuid' }) id: string;
  @Column({ type: 'text' }) name: string;
  @Column({ type: 'uuid', nullable: true }) parent_id: string | null;
  @Column({ type: 'text' }) leg: BucketLeg;
  @Column({ type: 'inet' }) first_addr: string;
  @Column({ type: 'inet' }) last_addr: string;
  /** Set when the bucket was given as a CIDR, shown back as given. */
  @Column({ type: 'text', nullable: true }) cidr: string | null;
  /** The UDP port handed out with each group. */
  @Column({ type: 'integer' }) port: number;
  @Column({ type: 'text', nullable: true }) description: string | null;
  @Column({ type: 'jsonb' }) created_by: StoredActor;
  @Column({ type: 'timestamptz' }) created_at: Date;
}

/** A group handed out from a bucket and not yet released: no second allocation, on any replica, gets it. */
@Entity({ name: 'address_reservations' })
export class AddressReservation {
  @PrimaryColumn({ type: 'uuid' }) id: string;
  @Column({ type: 'uuid' }) bucket_id: string;
  @Column({ type: 'inet' }) addr: string;
  @Column({ type: 'integer' }) port: number;
  @Column({ type: 'text' }) leg: Leg;
  @Column({ type: 'uuid', nullable: true }) flow_row_id: string | null;
  @Column({ type: 'text', nullable: true }) note: string | null;
  @Column({ type: 'jsonb' }) reserved_by: StoredActor;
  @Column({ type: 'timestamptz' }) reserved_at: Date;
}
