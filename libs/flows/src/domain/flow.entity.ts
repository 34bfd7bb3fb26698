import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Actor } from '#common';

/** One leg's four addresses: A is the primary path, B the ST 2022-7 secondary. */
export const LEGS = ['a', 'b'] as const;
export type Leg = (typeof LEGS)[number];

/** Who created, changed, deleted or locked a flow: the request's actor as is (`requestId` in camel case, as stored since flows began). */
export type StoredActor = Actor;

/**
 * One ST 2110 stream of the facility's inventory: GO-NMOS's `flows` row, both legs first-class, with a
 * version for optimistic concurrency and a soft delete. Property names are the columns' and the API's.
 */
@Entity({ name: 'flows' })
export class Flow {
  @PrimaryColumn({ type: 'uuid' }) id: string;
  /** The NMOS flow id (or an id of the operator's choosing): unique among flows not deleted. */
  @Column({ type: 'uuid' }) flow_id: string;
  @Column({ type: 'text' }) display_name: string;

  @Column({ type: 'inet', nullable: true }) source_addr_a: string | null;
  @Column({ type: 'integer', nullable: true }) source_port_a: number | null;
  @Column({ type: 'inet', nullable: true }) multicast_addr_a: string | null;
  @Column({ type: 'integer', nullable: true }) group_port_a: number | null;
  @Column({ type: 'inet', nullable: true }) source_addr_b: string | null;
  @Column({ type: 'integer', nullable: true }) source_port_b: number | null;
  @Column({ type: 'inet', nullable: true }) multicast_addr_b: string | null;
  @Column({ type: 'integer', nullable: true }) group_port_b: number | null;

  @Column({ type: 'uuid', nullable: true }) nmos_node_id: string | null;
  @Column({ type: 'uuid', nullable: true }) nmos_device_id: string | null;
  @Column({ type: 'uuid', nullable: true }) nmos_source_id: string | null;
  @Column({ type: 'uuid', nullable: true }) nmos_flow_id: string | null;
  @Column({ type: 'uuid', nullable: true }) nmos_sender_id: string | null;
  @Column({ type: 'text', nullable: true }) nmos_node_label: string | null;
  @Column({ type: 'text', nullable: true }) nmos_device_label: string | null;
  @Column({ type: 'text', nullable: true }) nmos_flow_label: string | null;
  @Column({ type: 'text', nullable: true }) nmos_sender_label: string | null;
  @Column({ type: 'text', nullable: true }) is04_base_url: string | null;
  @Column({ type: 'text', nullable: true }) is05_base_url: string | null;
  @Column({ type: 'text', nullable: true }) is04_version: string | null;
  @Column({ type: 'text', nullable: true }) is05_version: string | null;

  @Column({ type: 'text', nullable: true }) media_type: string | null;
  @Column({ type: 'text', nullable: true }) st2110_format: string | null;
  @Column({ type: 'text', nullable: true }) format_summary: string | null;
  @Column({ type: 'text', nullable: true }) redundancy_group: string | null;
  @Column({ type: 'text' }) transport_protocol: string;
  @Column({ type: 'text' }) flow_status: string;
  @Column({ type: 'text' }) availability: string;

  @Column({ type: 'boolean' }) locked: boolean;
  @Column({ type: 'jsonb', nullable: true }) locked_by: StoredActor | null;
  @Column({ type: 'text', nullable: true }) locked_reason: string | null;
  @Column({ type: 'text', nullable: true }) note: string | null;

  @Column({ type: 'text', nullable: true }) alias_1: string | null;
  @Column({ type: 'text', nullable: true }) alias_2: string | null;
  @Column({ type: 'text', nullable: true }) alias_3: string | null;
  @Column({ type: 'text', nullable: true }) alias_4: string | null;
  @Column({ type: 'text', nullable: true }) alias_5: string | null;
  @Column({ type: 'text', nullable: true }) alias_6: string | null;
  @Column({ type: 'text', nullable: true }) alias_7: string | null;
  @Column({ type: 'text', nullable: true }) alias_8: string | null;
  @Column({ type: 'text', nullable: true }) user_field_1: string | null;
  @Column({ type: 'text', nullable: true }) user_field_2: string | null;
  @Column({ type: 'text', nullable: true }) user_field_3: string | null;
  @Column({ type: 'text', nullable: true }) user_field_4: string | null;
  @Column({ type: 'text', nullable: true }) user_field_5: string | null;
  @Column({ type: 'text', nullable: true }) user_field_6: string | null;
  @Column({ type: 'text', nullable: true }) user_field_7: string | null;
  @Column({ type: 'text', nullable: true }) user_field_8: string | null;

  @Column({ type: 'text', nullable: true }) sdp_url: string | null;
  @Column({ type: 'text', nullable: true }) sdp_cache: string | null;
  @Column({ type: 'timestamptz', nullable: true }) sdp_fetched_at: Date | null;
  /** Where the row came from: manual, import, nmos, sdp. */
  @Column({ type: 'text' }) data_source: string;
  @Column({ type: 'uuid', nullable: true }) bucket_id: string | null;

  @Column({ type: 'integer' }) version: number;
  @Column({ type: 'timestamptz' }) created_at: Date;
  @Column({ type: 'jsonb' }) created_by: StoredActor;
  @Column({ type: 'timestamptz' }) updated_at: Date;
  @Column({ type: 'jsonb' }) updated_by: StoredActor;
  @Column({ type: 'timestamptz', nullable: true }) deleted_at: Date | null;
  @Column({ type: 'jsonb', nullable: true }) deleted_by: StoredActor | null;
}

/** The fields an operator writes (create, PATCH, import): everything but identity and bookkeeping. */
export const EDITABLE_FIELDS = [
  'flow_id',
  'display_name',
  ...LEGS.flatMap((leg) => [`source_addr_${leg}`, `source_port_${leg}`, `multicast_addr_${leg}`, `group_port_${leg}`] as const),
  'nmos_node_id',
  'nmos_device_id',
  'nmos_source_id',
  'nmos_flow_id',
  'nmos_sender_id',
  'nmos_node_label',
  'nmos_device_label',
  'nmos_flow_label',
  'nmos_sender_label',
  'is04_base_url',
  'is05_base_url',
  'is04_version',
  'is05_version',
  'media_type',
  'st2110_format',
  'format_summary',
  'redundancy_group',
  'transport_protocol',
  'flow_status',
  'availability',
  'note',
  ...([1, 2, 3, 4, 5, 6, 7, 8] as const).flatMap((n) => [`alias_${n}`, `user_field_${n}`] as const),
  'sdp_url',
  'sdp_cache',
  'data_source',
  'bucket_id',
] as const satisfies ReadonlyArray<keyof Flow>;
export type EditableField = (typeof EDITABLE_FIELDS)[number];
export type FlowFields = Pick<Flow, EditableField>;
