import type pg from 'pg';
import type { Row, Sql } from '../domain/sql.js';

/** `Sql` over a pg connection or pool; the DatabaseService calls `settle` once the work's transaction has committed. */
export class PgSql implements Sql {
  private readonly onCommit: Array<() => void> = [];

  constructor(private readonly queryable: pg.Pool | pg.PoolClient) {}

  async query<T extends Row = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.queryable.query<T>(text, params as unknown[])).rows;
  }

  async execute(text: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.queryable.query(text, params as unknown[])).rowCount ?? 0;
  }

  afterCommit(callback: () => void): void {
    this.onCommit.push(callback);
  }

  /** Runs what the work asked to run after its commit. A callback that throws does not stop the others. */
  settle(): void {
    for (const callback of this.onCommit.splice(0)) {
      try {
        callback();
      } catch {
        // A bookkeeping callback (a metric) must not turn a committed write into an error.
      }
    }
  }
}

export function sqlOver(queryable: pg.Pool | pg.PoolClient): PgSql {
  return new PgSql(queryable);
}
