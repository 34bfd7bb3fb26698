import { versionNanos, type NmosType, type ReportedResource } from './nmos-resource.js';

export interface GrainItem {
  path?: string;
  pre?: Record<string, unknown>;
  post?: Record<string, unknown>;
}

export type ReportedOrProblem = { ok: true; resource: ReportedResource } | { ok: false; problem: string };

/** The data of a Query API websocket grain; anything else is a protocol error that ends the stream. */
export function grainItems(text: string): GrainItem[] {
  let message: { grain?: { data?: unknown } };
  try {
    message = JSON.parse(text);
  } catch {
    throw new Error('a websocket message that is not JSON');
  }
  const data = message?.grain?.data;
  if (!Array.isArray(data)) throw new Error('a websocket message without grain.data');
  return data as GrainItem[];
}

/** A sync item describes the present state (pre and post the same version); others are changes. */
export function isSyncItem(item: GrainItem): boolean {
  return item.pre !== undefined && item.post !== undefined && item.pre.version === item.post.version;
}

/**
 * A resource from a registry, if it has what the merged view needs; otherwise the problem, naming the
 * field. Real products add fields the examples lack: those are kept as they are.
 */
export function toReported(type: NmosType, item: unknown): ReportedOrProblem {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return { ok: false, problem: `${type}: an entry that is not an object` };
  const { id, version } = item as Record<string, unknown>;
  if (typeof id !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))
    return { ok: false, problem: `${type}: id is not a UUID (${JSON.stringify(id)})` };
  if (typeof version !== 'string' || versionNanos(version) === undefined)
    return { ok: false, problem: `${type}/${id}: version is not seconds:nanoseconds (${JSON.stringify(version)})` };
  return { ok: true, resource: { type, id, version, data: item as Record<string, unknown> } };
}
