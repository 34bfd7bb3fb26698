import { Injectable } from '@nestjs/common';
import type { Sql } from '#database';
import { EventsService } from '#events';
import type { MergedChange } from '../domain/nmos-resource.js';

/** Where effective changes of the merged view go, inside the transaction that made them. */
export interface NmosChangeSink {
  record(sql: Sql, changes: MergedChange[]): Promise<void>;
}

export const NMOS_CHANGE_SINK = Symbol('NMOS_CHANGE_SINK');

/** Another module's work on effective changes, in the same transaction (e.g. receiver connection state). */
export type NmosChangeFollower = (sql: Sql, changes: MergedChange[]) => Promise<void>;

/** Where other modules register followers of the merged view's changes. */
@Injectable()
export class NmosChangeFollowers {
  private readonly followers: NmosChangeFollower[] = [];

  add(follower: NmosChangeFollower): void {
    this.followers.push(follower);
  }

  async run(sql: Sql, changes: MergedChange[]): Promise<void> {
    for (const follower of this.followers) await follower(sql, changes);
  }
}

/**
 * Each effective change becomes an event in the outbox, on `<prefix>/nmos/<type>/<id>`, retained:
 * a late subscriber sees the resource's present state (or that it was removed).
 */
@Injectable()
export class OutboxChangeSink implements NmosChangeSink {
  constructor(private readonly events: EventsService) {}

  async record(sql: Sql, changes: MergedChange[]): Promise<void> {
    await this.events.recordMany(
      sql,
      changes.map((change) => ({
        type: `nmos.resource.${change.change}`,
        subject: { kind: change.type.slice(0, -1), id: change.id },
        topic: `nmos/${change.type}/${change.id}`,
        retained: true,
        payload: {
          event: change.change,
          resource_type: change.type,
          resource_id: change.id,
          resource: change.post ?? null,
          ...(change.pre ? { pre: change.pre } : {}),
        },
      })),
    );
  }
}
