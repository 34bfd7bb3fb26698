import { Injectable } from '@nestjs/common';
import { parseInput } from '#common';
import { DatabaseService } from '#database';
import { CheckQuery } from '../domain/address-plan-input.js';
import { AddressPlanRepository } from '../infra/address-plan.repository.js';
import { CollisionsRepository, type CollisionRow } from '../infra/collisions.repository.js';

const ALTERNATIVES = 5;

/** Multicast collisions in the inventory, and whether a proposed group is free (with free ones from the plan if not). */
@Injectable()
export class CollisionsService {
  constructor(
    private readonly db: DatabaseService,
    private readonly collisions: CollisionsRepository,
    private readonly plan: AddressPlanRepository,
  ) {}

  async report(): Promise<{ checked_at: string; collisions: CollisionRow[] }> {
    const collisions = await this.db.read((sql) => this.collisions.report(sql));
    return { checked_at: new Date().toISOString(), collisions };
  }

  /** Read-only: checking an address records nothing. */
  async check(rawQuery: unknown) {
    const probe = parseInput(CheckQuery, rawQuery, 'invalid_query');
    return this.db.read(async (sql) => {
      const flows = await this.collisions.conflicts(sql, probe);
      const reservations = (await this.collisions.reservedBy(sql, probe.leg, probe.multicast_addr)).filter(
        (r) => !probe.exclude || r.flow_row_id !== probe.exclude,
      );
      const free = flows.length === 0 && reservations.length === 0;
      const alternatives: Array<{ multicast_addr: string; group_port: number; bucket: string }> = [];
      if (!free) {
        for (const bucket of await this.collisions.bucketsFor(sql, probe.leg, probe.multicast_addr)) {
          const groups = await this.plan.freeGroups(sql, bucket.first_addr, bucket.last_addr, probe.leg, ALTERNATIVES - alternatives.length);
          alternatives.push(...groups.map((g) => ({ multicast_addr: g, group_port: bucket.port, bucket: bucket.name })));
          if (alternatives.length >= ALTERNATIVES) break;
        }
      }
      return {
        multicast_addr: probe.multicast_addr,
        leg: probe.leg,
        free,
        conflicts: flows.map((f) => ({ ...f, severity: probe.port === undefined || f.group_port === probe.port ? 'error' : 'warning' })),
        reservations,
        alternatives,
      };
    });
  }
}
