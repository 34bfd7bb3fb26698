import { expect } from '@jest/globals';
import type { Facility, SimulatedNode } from '../../apps/simulator/src/index.js';
import type { ApiClient } from './api-client.js';
import { eventually } from './eventually.js';

export interface PickedSender {
  id: string;
  node: SimulatedNode;
  legs: number;
  kind: string;
  multicast: string[];
}

export interface PickedReceiver {
  id: string;
  node: SimulatedNode;
  legs: number;
  kind: string;
}

/** The facility's senders and receivers with what routing tests choose them by (media kind, leg count). */
export class FacilityEndpoints {
  constructor(private readonly facility: Facility) {}

  senders(): PickedSender[] {
    return this.facility.nodes.flatMap((node) =>
      node.model.senders.map((s) => ({ id: s.resource.id, node, legs: s.legs.length, kind: s.kind, multicast: s.legs.map((l) => l.destinationIp) })),
    );
  }

  receivers(): PickedReceiver[] {
    return this.facility.nodes.flatMap((node) => node.model.receivers.map((r) => ({ id: r.resource.id, node, legs: r.legCount, kind: r.kind })));
  }

  sender(kind: string, legs: number, not: string[] = []): PickedSender {
    const found = this.senders().find((s) => s.kind === kind && s.legs === legs && !not.includes(s.id));
    if (!found) throw new Error(`the test facility has no ${legs}-leg ${kind} sender`);
    return found;
  }

  /** Receivers of a kind and leg count, each used by one test only (`taken` grows). */
  receiver(kind: string, legs: number, taken: Set<string>): PickedReceiver {
    const found = this.receivers().find((r) => r.kind === kind && r.legs === legs && !taken.has(r.id));
    if (!found) throw new Error(`the test facility has no free ${legs}-leg ${kind} receiver`);
    taken.add(found.id);
    return found;
  }

  /** What a node received for one receiver (single and bulk routes). */
  static requestsFor(node: SimulatedNode, receiverId: string, method?: string) {
    return node.requests.filter(
      (r) =>
        (r.path.includes(receiverId) || (r.path.endsWith('/bulk/receivers') && JSON.stringify(r.body).includes(receiverId))) &&
        (!method || r.method === method),
    );
  }
}

/** Until the controller's merged view holds every device, flow, sender and receiver of the facility. */
export async function waitForFacility(api: ApiClient, facility: Facility, timeoutMs = 30_000): Promise<void> {
  const expected = {
    devices: facility.nodes.length,
    flows: facility.nodes.reduce((n, node) => n + node.model.senders.length, 0),
    senders: facility.nodes.reduce((n, node) => n + node.model.senders.length, 0),
    receivers: facility.nodes.reduce((n, node) => n + node.model.receivers.length, 0),
  };
  await eventually(async () => {
    for (const [type, count] of Object.entries(expected)) expect(((await api.get(`/api/nmos/${type}?limit=1000`)).body as unknown[]).length).toBe(count);
  }, timeoutMs);
}
