import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { DomainError, parseInput, storedUuid } from '#common';
import { AddressPlanService, FlowsService, isMulticast, NmosLinkService, type FlowView, type ReservationView } from '#flows';
import type { Actor } from '../../domain/actor.js';
import { deviceError } from '../domain/device-errors.js';
import { DeviceGateway, type ConnectionApi } from '../infra/device-gateway.js';
import { CollisionGuard, type GuardOverride } from '../../guard/index.js';
import { TargetResolver } from './target-resolver.js';

// The inventory's own rule (octets checked, not only the first): one definition of a multicast group.
const multicast = z.string().refine(isMulticast, 'must be an IPv4 multicast address (224.0.0.0/4)');

/** `POST /api/senders/{id}/addresses`: groups given, or taken from the plan (leg B from `bucket_id_b`, else the same bucket). */
export const AddressAssignment = z
  .strictObject({
    bucket_id: storedUuid.optional(),
    bucket_id_b: storedUuid.optional(),
    multicast_addr_a: multicast.optional(),
    multicast_addr_b: multicast.optional(),
    port: z.number().int().min(1, 'must be 1-65535').max(65535, 'must be 1-65535').optional(),
  })
  .refine((input) => input.bucket_id !== undefined || input.multicast_addr_a !== undefined, {
    path: ['bucket_id'],
    message: 'give bucket_id or multicast_addr_a',
  });

export interface AddressAssignmentResult {
  sender_id: string;
  legs: Array<{ leg: 'a' | 'b'; multicast_addr: string; group_port: number }>;
  reservations: ReservationView[];
  overrides: GuardOverride[];
  active: Record<string, unknown>;
  flow: FlowView;
}

const LEG_NAMES = ['a', 'b'] as const;
/** Device answers that say the sender did not take the groups: what was reserved for them is released. */
const NOT_APPLIED = new Set(['device_refused', 'device_locked', 'device_unreachable', 'device_not_applied']);

/**
 * The sender side of IS-05, as broadcast controllers do before routing a receiver to a sender: its
 * multicast groups (both legs) given or allocated from the address plan, checked against the inventory,
 * PATCHed to the sender's /staged with an immediate activation, verified on its /active, then recorded
 * on the sender's flow. A device that refuses or does not apply them leaves no reservation behind.
 */
@Injectable()
export class SenderAddressing {
  constructor(
    private readonly resolver: TargetResolver,
    private readonly devices: DeviceGateway,
    private readonly flows: FlowsService,
    private readonly plan: AddressPlanService,
    private readonly link: NmosLinkService,
    private readonly collisions: CollisionGuard,
  ) {}

  async assign(actor: Actor, senderId: string, body: unknown, overrideReason?: string): Promise<AddressAssignmentResult> {
    const input = parseInput(AddressAssignment, body, 'invalid_address_assignment');
    const api = await this.resolver.senderApi(senderId);
    const flow = await this.flows.bySender(senderId);
    if (!flow) {
      throw new DomainError('conflict', 'no_flow_for_sender', `Sender ${senderId} has no flow in the inventory: make one with POST /api/flows/nmos/snapshot`);
    }
    if (flow.locked) throw new DomainError('locked', 'flow_locked', `Flow ${flow.id} is locked${flow.locked_by ? ` by ${flow.locked_by.name}` : ''}`);
    const constraints = await this.devices.getSenderConstraints(api, senderId).catch((err) => Promise.reject(deviceError(err, { sender: senderId })));
    if (!Array.isArray(constraints.body) || constraints.body.length === 0) {
      throw new DomainError('bad_gateway', 'device_invalid_answer', `Sender ${senderId}'s /constraints is not a list of legs`, {
        extra: { device: constraints },
      });
    }
    const legCount = Math.min(2, constraints.body.length);
    const reservations: ReservationView[] = [];
    let patchSent = false;
    const release = async () => {
      for (const r of reservations) await this.plan.release(r.id).catch(() => undefined);
    };
    try {
      const legs: AddressAssignmentResult['legs'] = [];
      for (let index = 0; index < legCount; index++) {
        const leg = LEG_NAMES[index];
        const given = index === 0 ? input.multicast_addr_a : input.multicast_addr_b;
        const bucket = index === 0 ? input.bucket_id : (input.bucket_id_b ?? input.bucket_id);
        if (given) {
          legs.push({ leg, multicast_addr: given, group_port: input.port ?? 5004 });
          continue;
        }
        if (!bucket)
          throw new DomainError('invalid', 'invalid_address_assignment', `multicast_addr_${leg}: the sender has ${legCount} legs: give it or a bucket`, {
            fields: [{ field: `multicast_addr_${leg}`, message: 'is required' }],
          });
        const [reservation] = await this.plan.allocate(bucket, { leg, flow_row_id: flow.id, note: `sender ${senderId}` }, actor);
        reservations.push(reservation);
        legs.push({ leg, multicast_addr: reservation.addr, group_port: input.port ?? reservation.port });
      }
      const overrides = await this.collisions.checkLegs(actor, senderId, legs, overrideReason);
      if (overrides instanceof DomainError) throw overrides;
      patchSent = true;
      const active = await this.apply(api, senderId, legs);
      const recorded = await this.link.recordVerifiedLegs(flow.id, legs, actor);
      return { sender_id: senderId, legs, reservations, overrides, active, flow: recorded };
    } catch (err) {
      // Reservations stay when the device may be sending on those groups (it did not answer in time, or
      // it applied them and the record failed): freed, they could be handed out again.
      const notApplied = !patchSent || (err instanceof DomainError && NOT_APPLIED.has(err.code));
      if (notApplied) await release();
      throw err;
    }
  }

  /** One PATCH (immediate activation), then /active must show every leg's group and port. */
  private async apply(api: ConnectionApi, senderId: string, legs: AddressAssignmentResult['legs']): Promise<Record<string, unknown>> {
    const patch = {
      master_enable: true,
      activation: { mode: 'activate_immediate' },
      transport_params: legs.map((l) => ({ destination_ip: l.multicast_addr, destination_port: l.group_port })),
    };
    await this.devices.patchSenderStaged(api, senderId, patch).catch((err) => Promise.reject(deviceError(err, { sender: senderId })));
    const active = (await this.devices.getSenderActive(api, senderId).catch((err) => Promise.reject(deviceError(err, { sender: senderId })))).body as Record<
      string,
      unknown
    >;
    const shown = (active?.transport_params ?? []) as Array<Record<string, unknown>>;
    const mismatched = legs.filter((l, i) => shown[i]?.destination_ip !== l.multicast_addr || shown[i]?.destination_port !== l.group_port);
    if (mismatched.length > 0) {
      throw new DomainError(
        'bad_gateway',
        'device_not_applied',
        `Sender ${senderId}'s /active does not show leg(s) ${mismatched.map((l) => l.leg.toUpperCase()).join(', ')} as sent`,
        {
          extra: { active },
        },
      );
    }
    return active;
  }
}
