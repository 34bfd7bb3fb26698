import type { EntityManager } from 'typeorm';

export type Row = Record<string, unknown>;

/** What a module's repository sees: parameterised SQL on one connection (inside a transaction for writes). */
export interface Sql {
  query<T extends Row = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** For INSERT/UPDATE/DELETE without RETURNING: the number of rows affected. */
  execute(text: string, params?: readonly unknown[]): Promise<number>;
  /**
   * TypeORM's EntityManager on the same connection and transaction, for modules whose data is
   * table-shaped (the flow inventory): `sql.entities.getRepository(Flow)`. What it writes commits or
   * rolls back with the rest of the work.
   */
  readonly entities: EntityManager;
  /**
   * Runs `callback` once the transaction this work runs in has committed (a read: once the work has
   * finished), never when it rolls back: for what must not count a write that did not happen (metrics).
   */
  afterCommit(callback: () => void): void;
}
