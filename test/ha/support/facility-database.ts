import pg from 'pg';

export interface LeaseChange {
  at: number;
  name: string;
  holder: string;
}

/**
 * The test's own view of the controllers' database, through HAProxy's primary endpoint as the
 * controllers reach it: lease holders over time, and what was really committed.
 */
export class FacilityDatabase {
  readonly leaseChanges: LeaseChange[] = [];
  private readonly pool: pg.Pool;
  private holders = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 3, connectionTimeoutMillis: 2_000, query_timeout: 5_000 });
    this.pool.on('error', () => undefined); // a failover breaks idle clients: the next query reconnects
  }

  /** Runs a query, retrying through a failover for up to a minute. */
  async query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        return (await this.pool.query<T>(text, values)).rows;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  watchLeases(): void {
    const poll = async () => {
      if (this.stopped) return;
      try {
        const rows = (await this.pool.query<{ name: string; holder: string }>('SELECT name, holder FROM leases WHERE expires_at > now()')).rows;
        for (const { name, holder } of rows)
          if (this.holders.get(name) !== holder) {
            this.holders.set(name, holder);
            this.leaseChanges.push({ at: Date.now(), name, holder });
          }
      } catch {
        // the database is failing over: the next poll sees the outcome
      }
      this.timer = setTimeout(() => void poll(), 200);
    };
    void poll();
  }

  holderOf(name: string): string | undefined {
    return this.holders.get(name);
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pool.end();
  }
}
