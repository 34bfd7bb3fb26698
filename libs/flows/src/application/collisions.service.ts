import { Injectable } from '@nestjs/common';
import { parseInput, type ParsedSdp } from '#common';
import { DatabaseService } from '#database';
import { CheckQuery } from '../domain/address-plan-input.js';
import { collisionsAmong, type Collision } from '../domain/collision-rule.js';
import { LEGS, type Leg } from '../domain/flow.entity.js';
import { ipv4ToNumber } from '../domain/ipv4.js';
import { AddressPlanRepository } from '../infra/address-plan.repository.js';
import { CollisionsRepository, type CollisionRow } from '../infra/collisions.repository.js';
import { NmosLinkService } from './nmos-link.service.js';

const ALTERNATIVES = 5;

export interface CollisionReport {
  checked_at: string;
  collisions: Array<CollisionRow | Collision>;
  /** With `merged_view=true`: how many senders without a flow were read, and those whose SDP could not be. */
  merged_view?: { unlinked_senders: number; sdp_errors: Array<{ sender_id: string; error: string }> };
}

/** One leg of a sender's stream on a group another flow already has. */
export interface SenderCollision {
  leg: Leg;
  multicast_addr: string;
  group_port: number;
  source_addr: string | null;
  flow: { id: string; flow_id: string; display_name: string; nmos_sender_id: string | null };
}

/** Multicast collisions in the inventory, and whether a proposed group is free (with free ones from the plan if not). */
@Injectable()
export class CollisionsService {
  constructor(
    private readonly db: DatabaseService,
    private readonly collisions: CollisionsRepository,
    private readonly plan: AddressPlanRepository,
    private readonly nmos: NmosLinkService,
  ) {}

  /**
   * The inventory's collisions (one SQL statement); with `mergedView`, also those of the merged view's
   * senders that no flow describes, read from their SDPs, against each other and the inventory.
   */
  async report(mergedView = false): Promise<CollisionReport> {
    const inventory = await this.db.read((sql) => this.collisions.report(sql));
    if (!mergedView) return { checked_at: new Date().toISOString(), collisions: inventory };
    const senders = await this.nmos.unlinkedSenderLegs();
    const groups = [...new Set(senders.legs.map((l) => l.multicast_addr))];
    const flowLegs = groups.length > 0 ? await this.db.read((sql) => this.collisions.legsOn(sql, groups)) : [];
    const withSenders = collisionsAmong([...senders.legs, ...flowLegs]).filter((c) => c.flows.some((f) => f.sender_id !== undefined));
    const replaced = new Set(withSenders.map((c) => `${c.leg} ${c.multicast_addr}`));
    const collisions = [...inventory.filter((c) => !replaced.has(`${c.leg} ${c.multicast_addr}`)), ...withSenders].sort(
      (x, y) => (ipv4ToNumber(x.multicast_addr) ?? 0) - (ipv4ToNumber(y.multicast_addr) ?? 0) || x.leg.localeCompare(y.leg),
    );
    return { checked_at: new Date().toISOString(), collisions, merged_view: { unlinked_senders: senders.checked, sdp_errors: senders.sdp_errors } };
  }

  /**
   * What a sender's stream would collide with in the inventory: per leg of its SDP (A the first media
   * section, B the second, as routing reads them), the flows of other senders on the same group and port.
   * From the primary: a flow added a moment ago on another replica counts.
   */
  async forSender(senderId: string, sdp: ParsedSdp): Promise<SenderCollision[]> {
    return this.forLegs(
      senderId,
      sdp.media.slice(0, 2).map((m, index) => ({ leg: LEGS[index], multicast_addr: m.destinationIp, group_port: m.port, source_addr: m.sourceIp ?? null })),
    );
  }

  /** The same for legs a sender is about to be given (assigning its addresses). */
  async forLegs(senderId: string, legs: Array<Omit<SenderCollision, 'flow'>>): Promise<SenderCollision[]> {
    return this.db.readPrimary(async (sql) => {
      const found: SenderCollision[] = [];
      for (const leg of legs) {
        for (const flow of await this.collisions.senderConflicts(sql, senderId, leg)) found.push({ ...leg, flow });
      }
      return found;
    });
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
