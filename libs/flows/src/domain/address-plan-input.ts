import { z } from 'zod';
import { storedUuid } from '#common';
import { BUCKET_LEGS } from './address-bucket.entity.js';
import { LEGS } from './flow.entity.js';
import { cidrRange, isMulticast, ipv4ToNumber } from './ipv4.js';

const multicast = z.string().refine(isMulticast, 'must be an IPv4 multicast address (224.0.0.0/4)');

/** POST /api/address-buckets: a CIDR, or a first and last address. */
export const BucketInput = z
  .strictObject({
    name: z.string().trim().min(1, 'must not be empty').max(100),
    parent_id: storedUuid.nullable().optional(),
    leg: z.enum(BUCKET_LEGS, { message: 'must be a, b or any' }).default('any'),
    cidr: z
      .string()
      .refine((v) => cidrRange(v) !== undefined, 'must be a block like 239.10.0.0/16 (the address its first)')
      .refine((v) => isMulticast(v.split('/')[0]) && isMulticast(numberOrZero(cidrRange(v)?.last)), 'must lie in 224.0.0.0/4')
      .optional(),
    first_addr: multicast.optional(),
    last_addr: multicast.optional(),
    port: z.number({ message: 'must be a port number' }).int().min(1, 'must be 1-65535').max(65535, 'must be 1-65535').default(5004),
    description: z.string().max(1000).nullable().optional(),
  })
  .superRefine((input, context) => {
    const range = input.cidr !== undefined;
    const firstLast = input.first_addr !== undefined || input.last_addr !== undefined;
    if (range === firstLast) context.addIssue({ code: 'custom', path: ['cidr'], message: 'give either cidr or first_addr and last_addr' });
    if (firstLast && (input.first_addr === undefined || input.last_addr === undefined)) {
      context.addIssue({ code: 'custom', path: [input.first_addr === undefined ? 'first_addr' : 'last_addr'], message: 'is required with the other' });
    }
    if (input.first_addr && input.last_addr && ipv4ToNumber(input.first_addr)! > ipv4ToNumber(input.last_addr)!) {
      context.addIssue({ code: 'custom', path: ['last_addr'], message: 'must not come before first_addr' });
    }
  });

/** POST /api/address-buckets/{id}/allocate */
export const AllocationInput = z.strictObject({
  leg: z.enum(LEGS, { message: 'must be a or b' }).optional(),
  count: z.number().int().min(1, 'must be 1-256').max(256, 'must be 1-256').default(1),
  flow_row_id: storedUuid.optional(),
  note: z.string().max(500).optional(),
});

/** GET /api/checker/check */
export const CheckQuery = z.strictObject({
  multicast_addr: multicast,
  port: z.coerce.number().int().min(1).max(65535).optional(),
  leg: z.enum(LEGS, { message: 'must be a or b' }).default('a'),
  source_addr: z
    .string()
    .refine((v) => ipv4ToNumber(v) !== undefined && !isMulticast(v), 'must be an IPv4 unicast address')
    .optional(),
  exclude: storedUuid.optional(),
});

function numberOrZero(value: number | undefined): string {
  const n = value ?? 0;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
