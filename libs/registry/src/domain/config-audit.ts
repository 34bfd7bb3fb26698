import type { PublicRegistryEntry } from './registry-entry.js';

/** The registry configuration's audit trail, as stored and answered. */
export interface ConfigAuditRecord {
  id: string;
  at: Date;
  actor_kind: string;
  actor_id: string;
  actor_name: string;
  request_id: string | null;
  action: 'created' | 'updated' | 'deleted';
  name: string;
  before: PublicRegistryEntry | null;
  after: PublicRegistryEntry | null;
}

export type { Actor } from '#common';
