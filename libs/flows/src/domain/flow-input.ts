import { z } from 'zod';
import { storedUuid } from '#common';
import { isMulticast, ipv4ToNumber } from './ipv4.js';
import { EDITABLE_FIELDS, type FlowFields } from './flow.entity.js';

const text = (max: number) => z.string().trim().max(max, `must be at most ${max} characters`);
const nullableText = (max: number) => text(max).nullable();
const port = z.number({ message: 'must be a port number' }).int('must be a whole number').min(1, 'must be 1-65535').max(65535, 'must be 1-65535').nullable();
const multicast = z
  .string()
  .refine((v) => isMulticast(v), 'must be an IPv4 multicast address (224.0.0.0/4)')
  .nullable();
const unicast = z
  .string()
  .refine((v) => ipv4ToNumber(v) !== undefined && !isMulticast(v), 'must be an IPv4 unicast address')
  .nullable();
const httpUrl = z
  .string()
  .max(2048)
  .refine((v) => /^https?:\/\/[^\s]+$/i.test(v), 'must be an http(s) URL')
  .nullable();

/** Every field an operator may write, each with its rule; all optional here (PATCH), some required on create. */
const FIELD_RULES = {
  flow_id: storedUuid,
  display_name: text(200).min(1, 'must not be empty'),
  source_addr_a: unicast,
  source_port_a: port,
  multicast_addr_a: multicast,
  group_port_a: port,
  source_addr_b: unicast,
  source_port_b: port,
  multicast_addr_b: multicast,
  group_port_b: port,
  nmos_node_id: storedUuid.nullable(),
  nmos_device_id: storedUuid.nullable(),
  nmos_source_id: storedUuid.nullable(),
  nmos_flow_id: storedUuid.nullable(),
  nmos_sender_id: storedUuid.nullable(),
  nmos_node_label: nullableText(200),
  nmos_device_label: nullableText(200),
  nmos_flow_label: nullableText(200),
  nmos_sender_label: nullableText(200),
  is04_base_url: httpUrl,
  is05_base_url: httpUrl,
  is04_version: nullableText(16),
  is05_version: nullableText(16),
  media_type: nullableText(64),
  st2110_format: nullableText(32),
  format_summary: nullableText(64),
  redundancy_group: nullableText(100),
  transport_protocol: text(32).min(1, 'must not be empty'),
  flow_status: text(32).min(1, 'must not be empty'),
  availability: text(32).min(1, 'must not be empty'),
  note: nullableText(4000),
  ...Object.fromEntries(
    [1, 2, 3, 4, 5, 6, 7, 8].flatMap((n) => [
      [`alias_${n}`, nullableText(200)],
      [`user_field_${n}`, nullableText(1000)],
    ]),
  ),
  sdp_url: httpUrl,
  // Kept byte for byte (an SDP ends with a line break): no trimming.
  sdp_cache: z.string().max(65_536, 'must be at most 65536 characters').nullable(),
  data_source: text(32).min(1, 'must not be empty'),
  bucket_id: storedUuid.nullable(),
} as unknown as Record<(typeof EDITABLE_FIELDS)[number], z.ZodType>;

/** GO-NMOS's one-leg names, accepted as the A leg's. */
const LEGACY = { multicast_ip: 'multicast_addr_a', source_ip: 'source_addr_a', port: 'group_port_a' } as const;

/**
 * A flow's fields with `extra` beside them: unknown fields refused, GO-NMOS's legacy names folded into
 * the A leg (and refused when they contradict it).
 */
function flowSchema<Extra extends z.ZodRawShape>(extra: Extra) {
  return z
    .strictObject({ ...FIELD_RULES, multicast_ip: multicast, source_ip: unicast, port, ...extra })
    .partial()
    .superRefine((input: Record<string, unknown>, context) => {
      for (const [legacy, field] of Object.entries(LEGACY)) {
        if (input[legacy] !== undefined && input[field] !== undefined && input[legacy] !== input[field]) {
          context.addIssue({ code: 'custom', path: [legacy], message: `is GO-NMOS's name for ${field}, which says otherwise` });
        }
      }
    })
    .transform((input: Record<string, unknown>) => {
      const out: Record<string, unknown> = { ...input };
      for (const [legacy, field] of Object.entries(LEGACY)) {
        if (out[legacy] !== undefined) out[field] ??= out[legacy];
        delete out[legacy];
      }
      return out as Partial<FlowFields> & { [K in keyof Extra]?: z.infer<Extra[K]> };
    });
}

const named = (input: Partial<FlowFields>) => input.display_name !== undefined;

/** POST /api/flows: a name is needed; everything else has a default. */
export const FlowCreate = flowSchema({}).refine(named, { path: ['display_name'], message: 'is required' });

/** PATCH /api/flows/{id}: only what changes; `version` may stand in for If-Match. */
export const FlowPatch = flowSchema({ version: z.number().int().min(1) });

/** One row of an import: a create, optionally with the row id an export gave it, and its lock. */
export const FlowImportRow = flowSchema({ id: storedUuid, locked: z.boolean(), locked_reason: nullableText(500) }).refine(named, {
  path: ['display_name'],
  message: 'is required',
});

/** POST /api/flows/{id}/lock */
export const LockChange = z.strictObject({ locked: z.boolean({ message: 'must be true or false' }), reason: text(500).optional() });

/** The defaults of a new flow, beside what the operator gave. */
export function newFlowFields(input: Partial<FlowFields>): FlowFields {
  const fields = Object.fromEntries(EDITABLE_FIELDS.map((field) => [field, null])) as unknown as FlowFields;
  return { ...fields, transport_protocol: 'RTP', flow_status: 'active', availability: 'available', data_source: 'manual', ...input } as FlowFields;
}
