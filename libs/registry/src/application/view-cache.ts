/**
 * Pages of the merged view this replica answered lately, each kept with the view's generation it was
 * read at, and served again only for that same generation. Every merged-view write moves the
 * generation in its own transaction, and a reader reads the generation before the page (on the same
 * connection): so a page is never served once a write it does not show has committed — never after that
 * write's events are published — and replicas agree as soon as they read the same database.
 * Least recently used pages go first once the pages' text exceeds `maxBytes`.
 */
export class ViewCache<T> {
  private readonly entries = new Map<string, { generation: string; value: T; bytes: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string, generation: string): T | undefined {
    const entry = this.entries.get(key);
    if (entry?.generation !== generation) return undefined;
    // Map order is insertion order: moved to the end, it is the most recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, generation: string, value: T, bytes: number): void {
    this.remove(key);
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { generation, value, bytes });
    this.bytes += bytes;
    for (const [oldest] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(oldest);
    }
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}
