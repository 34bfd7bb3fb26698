import { parseTai } from '#common';

export const NMOS_TYPES = ['nodes', 'devices', 'sources', 'flows', 'senders', 'receivers'] as const;
export type NmosType = (typeof NMOS_TYPES)[number];

/** A resource as one registry reported it. */
export interface ReportedResource {
  type: NmosType;
  id: string;
  version: string;
  data: Record<string, unknown>;
}

/** An effective change of the merged view (what the Events module will publish). */
export interface MergedChange {
  type: NmosType;
  id: string;
  change: 'added' | 'modified' | 'removed';
  pre?: Record<string, unknown>;
  post?: Record<string, unknown>;
}

/** IS-04 version `secs:nanos` as an integer of nanoseconds, for comparison ("newest version wins"). */
export function versionNanos(version: string): string | undefined {
  return parseTai(version)?.toString();
}

export function isNmosType(value: string): value is NmosType {
  return (NMOS_TYPES as readonly string[]).includes(value);
}

/** A resource by type and id (what a removal names). */
export interface ResourceKey {
  type: NmosType;
  id: string;
}
