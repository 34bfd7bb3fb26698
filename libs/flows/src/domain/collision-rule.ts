import type { Leg } from './flow.entity.js';

/** One leg of one stream: a flow of the inventory or a sender of the merged view no flow describes. */
export interface StreamLeg {
  leg: Leg;
  multicast_addr: string;
  group_port: number | null;
  source_addr: string | null;
  /** The inventory row, or null for a sender known only to NMOS. */
  id: string | null;
  flow_id: string | null;
  display_name: string;
  sender_id?: string;
}

export interface Collision {
  leg: Leg;
  multicast_addr: string;
  severity: 'error' | 'warning';
  flows: Array<Omit<StreamLeg, 'leg' | 'multicast_addr'>>;
}

/**
 * The rule the SQL report applies, for streams outside the database (senders read from their SDPs):
 * two streams collide on the same network leg and group unless both name different sources (SSM);
 * an error on the same port, a warning on another.
 */
export function collisionsAmong(legs: StreamLeg[]): Collision[] {
  const byGroup = new Map<string, StreamLeg[]>();
  for (const leg of legs) {
    const key = `${leg.leg} ${leg.multicast_addr}`;
    byGroup.set(key, [...(byGroup.get(key) ?? []), leg]);
  }
  const found: Collision[] = [];
  for (const group of byGroup.values()) {
    const members = new Set<StreamLeg>();
    let samePort = false;
    group.forEach((x, i) =>
      group.slice(i + 1).forEach((y) => {
        const sameStream = (x.id !== null && x.id === y.id) || (x.sender_id !== undefined && x.sender_id === y.sender_id);
        if (sameStream || (x.source_addr && y.source_addr && x.source_addr !== y.source_addr)) return;
        members.add(x).add(y);
        samePort ||= x.group_port === y.group_port;
      }),
    );
    if (members.size === 0) continue;
    found.push({
      leg: group[0].leg,
      multicast_addr: group[0].multicast_addr,
      severity: samePort ? 'error' : 'warning',
      flows: [...members].map(({ leg: _leg, multicast_addr: _addr, ...rest }) => rest),
    });
  }
  return found;
}
