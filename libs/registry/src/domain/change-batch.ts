import type { NmosType, ReportedResource, ResourceKey } from './nmos-resource.js';

/**
 * What a run of grains leaves to apply, the last word per resource winning: a resource reported twice
 * is written once, and one reported then removed (or the reverse) ends as its last grain said.
 */
export class ChangeBatch {
  private readonly last = new Map<string, ReportedResource | null>();

  constructor(private readonly type: NmosType) {}

  report(resource: ReportedResource): void {
    this.last.delete(resource.id);
    this.last.set(resource.id, resource);
  }

  remove(id: string): void {
    this.last.delete(id);
    this.last.set(id, null);
  }

  /** Hands what is left to `apply` (nothing when empty) and starts over. */
  async applyTo(hooks: { apply(reported: ReportedResource[], removed: ResourceKey[]): Promise<void> }): Promise<void> {
    if (this.last.size === 0) return;
    const reported: ReportedResource[] = [];
    const removed: ResourceKey[] = [];
    for (const [id, resource] of this.last) {
      if (resource) reported.push(resource);
      else removed.push({ type: this.type, id });
    }
    this.last.clear();
    await hooks.apply(reported, removed);
  }
}
