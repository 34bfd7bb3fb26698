import { formatTai, parseTai, taiNowNanos } from '#common';

export type ActivationMode = 'activate_immediate' | 'activate_scheduled_absolute' | 'activate_scheduled_relative';

/** The `activation` object of an IS-05 PATCH. */
export interface Activation {
  mode: ActivationMode;
  requested_time?: string;
}

export const IMMEDIATE: Activation = { mode: 'activate_immediate' };

export function isScheduled(activation: Activation): boolean {
  return activation.mode !== 'activate_immediate';
}

/** When a scheduled activation should happen, as TAI nanoseconds (relative ones counted from now). */
export function activationInstant(activation: Activation, now = taiNowNanos()): bigint {
  if (!isScheduled(activation)) return now;
  const requested = parseTai(activation.requested_time ?? '') ?? 0n;
  return activation.mode === 'activate_scheduled_absolute' ? requested : now + requested;
}

export function absoluteIn(leadMs: number, now = taiNowNanos()): Activation {
  return { mode: 'activate_scheduled_absolute', requested_time: formatTai(now + BigInt(leadMs) * 1_000_000n) };
}
