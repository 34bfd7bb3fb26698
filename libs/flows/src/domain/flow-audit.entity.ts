import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { StoredActor } from './flow.entity.js';

/** A stored field value, as JSON holds it. */
export type Json = string | number | boolean | null | object;
/** Each changed field's value before and after. */
export type FieldChanges = Record<string, { from: Json; to: Json }>;

export type FlowAction = 'created' | 'updated' | 'locked' | 'unlocked' | 'deleted' | 'purged' | 'imported' | 'synced';

/** Who changed which flow, how (the fields' before and after), and why. */
@Entity({ name: 'flow_audit' })
export class FlowAudit {
  @PrimaryGeneratedColumn({ type: 'bigint' }) seq: string;
  @Column({ type: 'uuid' }) flow_row_id: string;
  @Column({ type: 'uuid' }) flow_id: string;
  @Column({ type: 'text' }) action: FlowAction;
  @Column({ type: 'jsonb' }) actor: StoredActor;
  @Column({ type: 'jsonb' }) diff: FieldChanges;
  @Column({ type: 'text', nullable: true }) reason: string | null;
  @Column({ type: 'timestamptz' }) at: Date;
}
