import type pg from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { Row, Sql } from '../domain/sql.js';

/** `Sql` over a pg connection or pool; the DatabaseService calls `settle` once the work's transaction has committed. */
export class PgSql implements Sql {
  private readonly onCommit: Array<() => void> = [];
  private manager?: EntityManager;

  constructor(
    private readonly queryable: pg.Pool | pg.PoolClient,
    private readonly dataSource: DataSource,
    private readonly inTransaction: boolean,
  ) {}

  async query<T extends Row = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.queryable.query<T>(text, params as unknown[])).rows;
  }

  async execute(text: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.queryable.query(text, params as unknown[])).rowCount ?? 0;
  }

  /**
   * An EntityManager on this same connection (and transaction): a TypeORM query runner that is handed
   * our connection instead of taking one from the pool, and told a transaction is open so that `save`
   * and friends never BEGIN or COMMIT on their own. Releasing it releases nothing: the DatabaseService
   * owns the connection.
   */
  get entities(): EntityManager {
    if (!this.manager) {
      const runner = this.dataSource.createQueryRunner('master');
      Object.assign(runner, { databaseConnection: this.queryable, isTransactionActive: this.inTransaction });
      this.manager = this.dataSource.createEntityManager(runner);
    }
    return this.manager;
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

export function sqlOver(queryable: pg.Pool | pg.PoolClient, dataSource: DataSource, inTransaction: boolean): PgSql {
  return new PgSql(queryable, dataSource, inTransaction);
}
