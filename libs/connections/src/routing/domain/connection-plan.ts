import type { Activation } from './activation.js';
import { sdpWithMedia, type ParsedSdp } from '#common';

export type LegChoice = 'primary' | 'secondary';

/** What one receiver leg must show in /active after the take. */
export interface ExpectedLeg {
  rtp_enabled: boolean;
  multicast_ip?: string | null;
  source_ip?: string | null;
  destination_port?: number;
}

/** The one PATCH a take sends to a receiver's /staged, and what its /active must then show. */
export interface ConnectionPlan {
  patch: Record<string, unknown>;
  expected: { sender_id: string | null; master_enable: boolean; legs: ExpectedLeg[] };
}

const MULTICAST = /^(22[4-9]|23\d)\./;

/**
 * IS-05 connect (Controllers.md, AMWA IS-05-03): sender_id, master_enable, activation, the sender's SDP as
 * transport_file and the same legs as transport_params, one entry per receiver leg (its /constraints).
 * ST 2022-7: equal leg counts map leg to leg; a one-leg sender to a two-leg receiver disables leg 2; a
 * two-leg sender to a one-leg receiver uses the chosen leg, and the SDP sent holds that leg only.
 */
export function planConnect(senderId: string, sdp: ParsedSdp, receiverLegs: number, activation: Activation, choice: LegChoice = 'primary'): ConnectionPlan {
  let mediaForLeg: number[];
  if (sdp.media.length > 1 && receiverLegs === 1) {
    mediaForLeg = [choice === 'secondary' ? 1 : 0];
  } else {
    mediaForLeg = Array.from({ length: Math.min(sdp.media.length, receiverLegs) }, (_, i) => i);
  }
  const legs: ExpectedLeg[] = Array.from({ length: receiverLegs }, (_, leg) => {
    const index = mediaForLeg[leg];
    if (index === undefined) return { rtp_enabled: false };
    const media = sdp.media[index];
    return {
      rtp_enabled: true,
      ...(MULTICAST.test(media.destinationIp) ? { multicast_ip: media.destinationIp } : {}),
      source_ip: media.sourceIp ?? null,
      destination_port: media.port,
    };
  });
  return {
    patch: {
      sender_id: senderId,
      master_enable: true,
      activation,
      transport_file: { data: sdpWithMedia(sdp, mediaForLeg), type: 'application/sdp' },
      transport_params: legs,
    },
    expected: { sender_id: senderId, master_enable: true, legs },
  };
}

/** IS-05 disconnect: master_enable false and no sender, nothing else. */
export function planDisconnect(activation: Activation): ConnectionPlan {
  return {
    patch: { sender_id: null, master_enable: false, activation },
    expected: { sender_id: null, master_enable: false, legs: [] },
  };
}

/** Restoring a receiver to what its /active showed before a salvo (rollback). */
export function planRestore(previous: Record<string, unknown>, activation: Activation): ConnectionPlan {
  const legs = ((previous.transport_params as Array<Record<string, unknown>>) ?? []).map((leg) => ({ ...leg }));
  const file = previous.transport_file as { data?: string | null; type?: string | null } | undefined;
  const senderId = (previous.sender_id as string | null) ?? null;
  const masterEnable = previous.master_enable === true;
  return {
    patch: {
      sender_id: senderId,
      master_enable: masterEnable,
      activation,
      ...(file && file.data ? { transport_file: { data: file.data, type: file.type ?? 'application/sdp' } } : {}),
      transport_params: legs,
    },
    expected: { sender_id: senderId, master_enable: masterEnable, legs: [] },
  };
}

/** Where /active differs from what the plan asked: empty when the device really does what was asked. */
export function activeMismatches(active: unknown, expected: ConnectionPlan['expected']): string[] {
  if (typeof active !== 'object' || active === null) return ['/active is not an object'];
  const state = active as { sender_id?: unknown; master_enable?: unknown; transport_params?: unknown };
  const problems: string[] = [];
  if ((state.sender_id ?? null) !== expected.sender_id)
    problems.push(`sender_id is ${JSON.stringify(state.sender_id ?? null)}, asked ${JSON.stringify(expected.sender_id)}`);
  if (state.master_enable !== expected.master_enable) problems.push(`master_enable is ${String(state.master_enable)}, asked ${expected.master_enable}`);
  const legs = Array.isArray(state.transport_params) ? (state.transport_params as Array<Record<string, unknown>>) : [];
  expected.legs.forEach((want, index) => {
    const got = legs[index];
    if (!got) return void problems.push(`transport_params[${index}] is missing`);
    for (const [field, value] of Object.entries(want)) {
      if (value !== undefined && got[field] !== value)
        problems.push(`transport_params[${index}].${field} is ${JSON.stringify(got[field])}, asked ${JSON.stringify(value)}`);
    }
  });
  return problems;
}
