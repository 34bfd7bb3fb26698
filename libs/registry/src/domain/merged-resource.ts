import type { NmosType } from './nmos-resource.js';

/** A resource of the merged view with where it came from, as read and answered by /api/nmos. */
export interface MergedResource {
  type: NmosType;
  id: string;
  version: string;
  stale: boolean;
  registries: string[];
  first_seen: Date;
  last_seen: Date;
  resource: Record<string, unknown>;
}

export interface ResourceCopy {
  registry: string;
  version: string;
  first_seen: Date;
  last_seen: Date;
  stale: boolean;
}
