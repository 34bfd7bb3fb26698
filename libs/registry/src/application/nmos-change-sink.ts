import type { Sql } from '#database';
import type { MergedChange } from '../domain/nmos-resource.js';

/**
 * Where effective changes of the merged view go, inside the transaction that made them: the seam for
 * the Events module's outbox (issue 5), which will provide NMOS_CHANGE_SINK. Until then the changes are
 * only counted, so nothing publishes them yet.
 */
export interface NmosChangeSink {
  record(sql: Sql, changes: MergedChange[]): Promise<void>;
}

export const NMOS_CHANGE_SINK = Symbol('NMOS_CHANGE_SINK');

export class CountingChangeSink implements NmosChangeSink {
  count = 0;

  async record(_sql: Sql, changes: MergedChange[]): Promise<void> {
    this.count += changes.length;
  }
}
