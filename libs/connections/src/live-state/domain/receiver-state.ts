import { parseTai, taiToDate } from '#common';
import type { NewEvent } from '#events';

/** A receiver's connection as the API and MQTT show it. */
export interface ReceiverState {
  receiver_id: string;
  sender_id: string | null;
  master_enable: boolean;
  /**
   * Who last told us: controller, a take or disconnect of ours verified on /active; registry, the IS-04
   * `subscription` (changes made elsewhere); device, the periodic /active check (a change the registry missed).
   */
  source: 'controller' | 'registry' | 'device';
  since: string;
}

export function receiverStateEvent(state: ReceiverState, actor?: NewEvent['actor']): NewEvent {
  return {
    type: 'receiver.state.changed',
    subject: { kind: 'receiver', id: state.receiver_id },
    topic: `receiver/${state.receiver_id}`,
    retained: true,
    payload: { ...state },
    ...(actor ? { actor } : {}),
  };
}

/** IS-04 version (TAI secs:nanos) as a wall-clock time, to compare with our own verification times. */
export function versionTime(version: string): Date {
  return taiToDate(parseTai(version) ?? 0n);
}
