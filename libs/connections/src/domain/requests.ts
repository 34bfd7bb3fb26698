import { z } from 'zod';
import type { Activation } from '../routing/domain/activation.js';
import { parseTai, taiToDate } from '#common';
import { SCHEDULE_STATES } from '../scheduling/domain/salvo-records.js';

const id = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters');
const tai = z
  .string()
  .refine((v) => parseTai(v) !== undefined, 'must be TAI seconds:nanoseconds, e.g. 1795750122:0')
  .meta({ description: 'TAI seconds:nanoseconds; required when scheduled', example: '1795750400:0' });

export const ActivationInput = z
  .strictObject({
    mode: z.enum(['activate_immediate', 'activate_scheduled_absolute', 'activate_scheduled_relative'], {
      message: 'must be activate_immediate, activate_scheduled_absolute or activate_scheduled_relative',
    }),
    requested_time: tai.optional(),
  })
  .refine((a) => (a.mode === 'activate_immediate') === (a.requested_time === undefined), {
    message: 'requested_time is required for a scheduled activation and not allowed for an immediate one',
    path: ['requested_time'],
  }) satisfies z.ZodType<Activation>;

const legs = z.enum(['primary', 'secondary'], { message: 'must be primary or secondary' }).describe('which leg of a two-leg sender feeds a one-leg receiver');

export const TakeRequest = z.strictObject({
  receiver_id: id,
  sender_id: id,
  activation: ActivationInput.optional(),
  legs: legs.optional(),
});
export type TakeRequest = z.infer<typeof TakeRequest>;

const SalvoItem = z.strictObject({ receiver_id: id, sender_id: id.nullable().describe('null disconnects'), legs: legs.optional() });
export type SalvoItem = z.infer<typeof SalvoItem>;

const salvoFields = {
  connections: z
    .array(SalvoItem)
    .min(1, 'must name at least one receiver')
    .max(1000, 'must hold at most 1000 connections')
    .refine((items) => new Set(items.map((i) => i.receiver_id)).size === items.length, 'must name each receiver once'),
  activation: ActivationInput.optional(),
  synchronised: z.boolean().optional().describe('one absolute activation time on every device, SALVO_SYNC_LEAD_MS ahead'),
  on_failure: z.enum(['rollback', 'continue'], { message: 'must be rollback or continue' }).optional().describe('default: rollback'),
};

/** A salvo activates by its own activation or synchronised, never both. */
const notBoth = (s: { synchronised?: boolean; activation?: unknown }) => !(s.synchronised && s.activation);
const NOT_BOTH = { message: 'give either activation or synchronised, not both', path: ['synchronised'] };

export const SalvoRequest = z.strictObject(salvoFields).refine(notBoth, NOT_BOTH);
export type SalvoRequest = z.infer<typeof SalvoRequest>;

export const SALVO_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Names of saved salvos and policies. */
const shortName = z.string().regex(SALVO_NAME, '1-64 characters: letters, digits, . _ -, starting with a letter or digit');

export const NamedSalvoRequest = z.strictObject({ name: shortName, description: z.string().max(500).optional(), ...salvoFields }).refine(notBoth, NOT_BOTH);
export type NamedSalvoRequest = z.infer<typeof NamedSalvoRequest>;

/** The body of PUT /api/salvos/{name}, as documented: the name is the path's (given in the body, it must match). */
export const SavedSalvoBody = z
  .strictObject({ name: shortName.optional().describe('the name in the path, if given'), description: z.string().max(500).optional(), ...salvoFields })
  .refine(notBoth, NOT_BOTH);

/** `GET /api/schedules` query: an optional state; anything else is refused rather than ignored. */
export const ScheduleListQuery = z.object({ state: z.enum(SCHEDULE_STATES, { message: `must be one of ${SCHEDULE_STATES.join(', ')}` }).optional() }).strict();

export const ScheduleRequest = z
  .strictObject({
    salvo: z.string().regex(SALVO_NAME, 'must be the name of a saved salvo').optional().describe('a saved salvo; or give connections'),
    connections: salvoFields.connections.optional(),
    on_failure: salvoFields.on_failure,
    synchronised: salvoFields.synchronised,
    fire_at: z
      .string()
      .refine((v) => fireAtDate(v) !== undefined, 'must be an ISO 8601 time with a zone, or TAI seconds:nanoseconds')
      .meta({ description: 'ISO 8601 with a zone, or TAI seconds:nanoseconds', example: '2026-11-28T18:00:00Z' }),
  })
  .refine((s) => (s.salvo === undefined) !== (s.connections === undefined), { message: 'give either salvo (a saved name) or connections', path: ['salvo'] });
export type ScheduleRequest = z.infer<typeof ScheduleRequest>;

export function fireAtDate(value: string): Date | undefined {
  const nanos = parseTai(value);
  if (nanos !== undefined) return taiToDate(nanos);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export const LockRequest = z.strictObject({ reason: z.string().trim().min(1, 'must say why').max(500).meta({ example: 'on air: studio A' }) });

const Matcher = z
  .strictObject({
    id: id.optional(),
    label: z.string().min(1).max(200).optional().meta({ description: '* matches any characters', example: 'studio-a/*' }),
    tag: z
      .strictObject({
        name: z.string().min(1).max(200).meta({ example: 'urn:x-nmos:tag:grouphint/v1.0' }),
        value: z.string().min(1).max(200).meta({ example: 'studio-a:*' }),
      })
      .optional(),
  })
  .refine((m) => m.id !== undefined || m.label !== undefined || m.tag !== undefined, 'must give id, label or tag');

export const PolicyRequest = z
  .strictObject({
    name: shortName,
    effect: z.enum(['allow', 'deny'], { message: 'must be allow or deny' }),
    sender: Matcher.optional(),
    receiver: Matcher.optional(),
  })
  .refine((p) => p.sender !== undefined || p.receiver !== undefined, { message: 'give sender, receiver or both', path: ['sender'] });
export type PolicyRequest = z.infer<typeof PolicyRequest>;

export const DefaultEffectRequest = z.strictObject({ effect: z.enum(['allow', 'deny'], { message: 'must be allow or deny' }) });

export const OverrideReason = z.string().trim().min(1, 'must say why').max(500, 'must be at most 500 characters');
