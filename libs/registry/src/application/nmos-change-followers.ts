import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';
import type { MergedChange, NmosType } from '../domain/nmos-resource.js';

/** Another module's work on effective changes, in the same transaction (e.g. receiver connection state). */
export type NmosChangeFollower = (sql: Sql, changes: MergedChange[]) => Promise<void>;

/** Where other modules register followers of the merged view's changes. */
@Injectable()
export class NmosChangeFollowers {
  private readonly followers: NmosChangeFollower[] = [];
  private readonly followed = new Set<NmosType>();

  /**
   * `follower` sees every change, with the resource as it was and is (`pre`, `post`) for the `types`
   * it reads: a change of any other type comes without them (a snapshot's data stays in PostgreSQL).
   */
  add(types: readonly NmosType[], follower: NmosChangeFollower): void {
    for (const type of types) this.followed.add(type);
    this.followers.push(follower);
  }

  /** The types whose changes must carry their data. */
  get types(): NmosType[] {
    return [...this.followed];
  }

  async run(sql: Sql, changes: MergedChange[]): Promise<void> {
    for (const follower of this.followers) await follower(sql, changes);
  }
}
