import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { PrimaryLocator } from './primary-locator.js';
import { ResilientClient } from './resilient-client.js';

interface GenerationalClient extends pg.PoolClient {
  generation?: number;
}

/**
 * The write pool. Each new connection goes to the host the locator currently names. When we learn that
 * the node behind our connections went read-only (25006), every pooled connection is suspect: `recycle()`
 * bumps a generation and clients of an older generation are discarded when next checked out, instead of
 * failing one request each (pg-pool never evicts them by itself).
 *
 * The pg pool itself is the primary TypeORM DataSource's (built with `clientClass` through its `extra`
 * options and handed over with `adopt`), so entity repositories and `Sql` share one set of connections.
 */
export class PrimaryPool {
  private readonly logger = new Logger(PrimaryPool.name);
  private generation = 0;
  private adopted?: pg.Pool;
  /** The client class every connection of the pool must be made with. */
  readonly clientClass: typeof pg.Client;

  constructor(locator: PrimaryLocator) {
    const owner = this;
    this.clientClass = class RoutedClient extends ResilientClient {
      readonly generation = owner.generation;
      constructor(config?: pg.ClientConfig) {
        // pg-pool keeps `password` non-enumerable (out of logs), so a spread alone would drop it.
        super({ ...config, password: config?.password, ...locator.current() });
      }
    };
  }

  /** Takes over the pool built with `clientClass`. */
  adopt(pool: pg.Pool): void {
    this.adopted = pool;
  }

  get pool(): pg.Pool {
    if (!this.adopted) throw new Error('the primary pool has not been built yet');
    return this.adopted;
  }

  /** What the pool's own 'error' listener does: without one, an idle connection dying with the primary would crash the process. */
  onIdleError(err: Error): void {
    this.logger.warn({ err: err.message }, 'idle primary connection failed');
  }

  async connect(): Promise<pg.PoolClient> {
    for (;;) {
      const client = (await this.pool.connect()) as GenerationalClient;
      if (client.generation === this.generation) return client;
      client.release(true);
    }
  }

  /** Every connection is checked out and the pool may open no more: a wait for one is not an outage. */
  get exhausted(): boolean {
    return this.pool.totalCount >= (this.pool.options.max ?? 10) && this.pool.idleCount === 0;
  }

  recycle(): void {
    this.generation += 1;
    // Evict the idle ones now too: one checkout each takes them off the idle list, and `connect` discards
    // those of an older generation. pg-pool's public idleCount says how many there are.
    for (let idle = this.pool.idleCount; idle > 0; idle--) {
      void this.connect()
        .then((client) => client.release())
        .catch(() => undefined);
    }
  }
}
