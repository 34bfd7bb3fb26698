import type { PagedEntry, PagingOrder } from '../domain/paging.js';
import { RESOURCE_TYPES, type Resource, type ResourceType } from '../domain/resources.js';
import { parseTai, taiNowNanos } from '../domain/tai.js';

export interface StoredResource {
  resource: Resource;
  created: bigint;
  updated: bigint;
}

export interface ResourceChange {
  type: ResourceType;
  id: string;
  pre?: Resource;
  post?: Resource;
}

export type ChangeListener = (change: ResourceChange) => void;

/** What goes with a resource when it is removed, by the references IS-04 defines. */
const DEPENDANTS: Partial<Record<ResourceType, Array<[ResourceType, string]>>> = {
  nodes: [['devices', 'node_id']],
  devices: [
    ['sources', 'device_id'],
    ['flows', 'device_id'],
    ['senders', 'device_id'],
    ['receivers', 'device_id'],
  ],
};

/**
 * One registry's resources, as a real registry keeps them: registered by nodes, updated with new
 * versions, expired with their node when it stops heartbeating. Every change is published to listeners
 * (the websocket subscriptions).
 */
export class RegistryStore {
  private readonly resources = new Map<ResourceType, Map<string, StoredResource>>(RESOURCE_TYPES.map((t) => [t, new Map()]));
  private readonly sorted = new Map<string, PagedEntry<Resource>[]>();
  private readonly heartbeats = new Map<string, number>();
  private readonly listeners = new Set<ChangeListener>();

  constructor(private readonly expiryMs: number) {}

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  list(type: ResourceType): StoredResource[] {
    return [...this.resources.get(type)!.values()];
  }

  get(type: ResourceType, id: string): StoredResource | undefined {
    return this.resources.get(type)!.get(id);
  }

  count(): number {
    return RESOURCE_TYPES.reduce((n, t) => n + this.resources.get(t)!.size, 0);
  }

  /** Sorted ascending by creation or update time; cached until the next change of that type. */
  ordered(type: ResourceType, order: PagingOrder): PagedEntry<Resource>[] {
    const cacheKey = `${type}/${order}`;
    let entries = this.sorted.get(cacheKey);
    if (!entries) {
      entries = this.list(type)
        .map((s) => ({ item: s.resource, at: order === 'create' ? s.created : s.updated }))
        .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
      this.sorted.set(cacheKey, entries);
    }
    return entries;
  }

  /** Registration API semantics: a new id is created (201), a known id updated (200). */
  upsert(type: ResourceType, given: Resource): 'created' | 'updated' {
    // Our own copy, as a registry in another process has: the node goes on changing its objects.
    const resource = structuredClone(given);
    const table = this.resources.get(type)!;
    const existing = table.get(resource.id);
    const updated = parseTai(resource.version) ?? taiNowNanos();
    table.set(resource.id, { resource, created: existing?.created ?? updated, updated });
    if (type === 'nodes') this.heartbeats.set(resource.id, Date.now());
    this.invalidate(type);
    this.publish({ type, id: resource.id, pre: existing?.resource, post: resource });
    return existing ? 'updated' : 'created';
  }

  remove(type: ResourceType, id: string): boolean {
    const table = this.resources.get(type)!;
    const existing = table.get(id);
    if (!existing) return false;
    // Dependants go first, as a registry removing an expired node does.
    for (const [child, field] of DEPENDANTS[type] ?? []) {
      for (const stored of this.list(child)) if (stored.resource[field] === id) this.remove(child, stored.resource.id);
    }
    table.delete(id);
    this.heartbeats.delete(id);
    this.invalidate(type);
    this.publish({ type, id, pre: existing.resource });
    return true;
  }

  /** Health API: false when the node is unknown (it must register again, as after a registry restart). */
  heartbeat(nodeId: string): boolean {
    if (!this.resources.get('nodes')!.has(nodeId)) return false;
    this.heartbeats.set(nodeId, Date.now());
    return true;
  }

  /** Removes nodes (with everything they own) whose last heartbeat is older than the expiry. */
  expire(now = Date.now()): string[] {
    const expired = [...this.heartbeats.entries()].filter(([, at]) => now - at > this.expiryMs).map(([id]) => id);
    for (const id of expired) this.remove('nodes', id);
    return expired;
  }

  /** A registry process restart: it comes back empty and refills as nodes register again. */
  clear(): void {
    for (const type of [...RESOURCE_TYPES].reverse()) for (const stored of this.list(type)) this.remove(type, stored.resource.id);
  }

  private invalidate(type: ResourceType): void {
    this.sorted.delete(`${type}/create`);
    this.sorted.delete(`${type}/update`);
  }

  private publish(change: ResourceChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
