import { Injectable } from '@nestjs/common';
import { DomainError } from '#common';
import { NmosQueryService } from '#registry';
import { incompatibility } from '../domain/compatibility.js';
import type { LegChoice } from '../domain/connection-plan.js';
import type { ConnectionApi } from '../infra/device-gateway.js';

type Resource = Record<string, unknown>;

/** A receiver (and its sender, for a connect) found in the merged view, with the device's Connection API. */
export interface RoutingTarget {
  receiver: Resource;
  sender: Resource | null;
  legs?: LegChoice;
  api: ConnectionApi;
}

const CONTROL_TYPES = ['urn:x-nmos:control:sr-ctrl/v1.1', 'urn:x-nmos:control:sr-ctrl/v1.0'];

/** Finds what a take is about in the merged view: 404 for unknown resources, 409 for pairs that cannot work. */
@Injectable()
export class TargetResolver {
  constructor(private readonly nmos: NmosQueryService) {}

  async resolve(items: Array<{ receiver_id: string; sender_id: string | null; legs?: LegChoice }>): Promise<Array<RoutingTarget | DomainError>> {
    const [receivers, senders] = await Promise.all([
      this.byId(
        'receivers',
        items.map((i) => i.receiver_id),
      ),
      this.byId(
        'senders',
        items.flatMap((i) => (i.sender_id ? [i.sender_id] : [])),
      ),
    ]);
    const [flows, devices] = await Promise.all([
      this.byId(
        'flows',
        [...senders.values()].flatMap((s) => (typeof s.flow_id === 'string' ? [s.flow_id] : [])),
      ),
      this.byId(
        'devices',
        [...receivers.values()].map((r) => String(r.device_id)),
      ),
    ]);
    return items.map((item) => {
      const receiver = receivers.get(item.receiver_id);
      if (!receiver) return new DomainError('not_found', 'receiver_not_found', `No receiver ${item.receiver_id} in the merged view`);
      const sender = item.sender_id ? senders.get(item.sender_id) : null;
      if (sender === undefined) return new DomainError('not_found', 'sender_not_found', `No sender ${item.sender_id} in the merged view`);
      if (sender) {
        const reason = incompatibility(sender, typeof sender.flow_id === 'string' ? flows.get(sender.flow_id) : undefined, receiver);
        if (reason) return new DomainError('conflict', 'incompatible', `Sender ${item.sender_id} cannot feed receiver ${item.receiver_id}: ${reason}`);
      }
      const device = devices.get(String(receiver.device_id));
      const hrefs = connectionHrefs(device);
      if (hrefs.length === 0)
        return new DomainError(
          'conflict',
          'no_connection_api',
          `Receiver ${item.receiver_id}'s device advertises no IS-05 Connection API (sr-ctrl v1.1 or v1.0)`,
        );
      return { receiver, sender, legs: item.legs, api: { deviceId: String(receiver.device_id), hrefs } };
    });
  }

  /** All of them, or the first item's error (404, 409): for paths that act on every item or none. */
  async resolveAll(items: Array<{ receiver_id: string; sender_id: string | null; legs?: LegChoice }>): Promise<RoutingTarget[]> {
    const resolved = await this.resolve(items);
    for (const target of resolved) if (target instanceof DomainError) throw target;
    return resolved as RoutingTarget[];
  }

  /** A sender's device's Connection API: 404 for an unknown sender, 409 when its device advertises none. */
  async senderApi(senderId: string): Promise<ConnectionApi> {
    const sender = await this.nmos.getResource('senders', senderId);
    if (!sender) throw new DomainError('not_found', 'sender_not_found', `No sender ${senderId} in the merged view`);
    const device = await this.nmos.getResource('devices', String(sender.device_id));
    const hrefs = connectionHrefs(device);
    if (hrefs.length === 0)
      throw new DomainError('conflict', 'no_connection_api', `Sender ${senderId}'s device advertises no IS-05 Connection API (sr-ctrl v1.1 or v1.0)`);
    return { deviceId: String(sender.device_id), hrefs };
  }

  private async byId(type: string, ids: string[]): Promise<Map<string, Resource>> {
    if (ids.length === 0) return new Map();
    const rows = await this.nmos.some(type, [...new Set(ids)]);
    return new Map(rows.map((r) => [r.id, r.resource]));
  }
}

/** A device's IS-05 Connection API hrefs (sr-ctrl v1.1 first, then v1.0), without trailing slashes. */
export function connectionHrefs(device: Resource | undefined): string[] {
  return CONTROL_TYPES.flatMap((type) =>
    ((device?.controls ?? []) as Array<{ href?: string; type?: string }>).filter((c) => c.type === type && c.href).map((c) => c.href!.replace(/\/+$/, '')),
  );
}
