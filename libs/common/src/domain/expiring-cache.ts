/**
 * A short-lived per-replica cache: every replica re-reads what it cached after `ttlMs` (so a change made
 * on any replica shows everywhere within that time), and concurrent misses share one load.
 */
export class ExpiringCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  /** Loads in flight: when an entry expires under load, the concurrent misses share one query. */
  private readonly loading = new Map<string, Promise<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  async getOrLoad(key: string, load: () => Promise<V>): Promise<V> {
    const now = performance.now();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight;
    const loaded = load()
      .then((value) => {
        if (this.entries.size >= this.maxEntries) this.entries.clear();
        this.entries.set(key, { value, expiresAt: performance.now() + this.ttlMs });
        return value;
      })
      .finally(() => this.loading.delete(key));
    this.loading.set(key, loaded);
    return loaded;
  }

  /** Changes made on this replica show at once here; other replicas see them when their entry expires. */
  delete(key: string): void {
    this.entries.delete(key);
  }
}
