import type pg from 'pg';
import type { Row, Sql } from '../domain/sql.js';

export function sqlOver(queryable: pg.Pool | pg.PoolClient): Sql {
  return {
    async query<T extends Row = Row>(text: string, params: readonly unknown[] = []): Promise<T[]> {
      return (await queryable.query<T>(text, params as unknown[])).rows;
    },
    async execute(text: string, params: readonly unknown[] = []): Promise<number> {
      return (await queryable.query(text, params as unknown[])).rowCount ?? 0;
    },
  };
}
