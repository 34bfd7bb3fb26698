export type Row = Record<string, unknown>;

/** What a module's repository sees: parameterised SQL on one connection (inside a transaction for writes). */
export interface Sql {
  query<T extends Row = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** For INSERT/UPDATE/DELETE without RETURNING: the number of rows affected. */
  execute(text: string, params?: readonly unknown[]): Promise<number>;
}
