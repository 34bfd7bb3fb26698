import { z } from 'zod';
import { storedUuid } from '#common';
import { isMulticast } from './ipv4.js';

/** What a list may be sorted by (GO-NMOS's `sort_by`). */
export const SORTABLE = [
  'display_name',
  'created_at',
  'updated_at',
  'flow_id',
  'multicast_addr_a',
  'multicast_addr_b',
  'media_type',
  'flow_status',
  'availability',
] as const;

const flag = z.enum(['true', 'false'], { message: 'must be true or false' }).transform((v) => v === 'true');
const filterText = z.string().min(1).max(200);

/** `GET /api/flows` query: page (limit ≤ 500, offset), order, filters, text. */
export const FlowListQuery = z.strictObject({
  limit: z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(1, 'must be 1-500').max(500, 'must be 1-500').default(100),
  offset: z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').default(0),
  sort_by: z.enum(SORTABLE, { message: `must be one of ${SORTABLE.join(', ')}` }).default('display_name'),
  sort_order: z.enum(['asc', 'desc'], { message: 'must be asc or desc' }).default('asc'),
  q: filterText.optional(),
  media_type: filterText.optional(),
  st2110_format: filterText.optional(),
  flow_status: filterText.optional(),
  availability: filterText.optional(),
  data_source: filterText.optional(),
  redundancy_group: filterText.optional(),
  transport_protocol: filterText.optional(),
  nmos_sender_id: storedUuid.optional(),
  nmos_node_id: storedUuid.optional(),
  nmos_device_id: storedUuid.optional(),
  bucket_id: storedUuid.optional(),
  multicast_addr: z.string().refine(isMulticast, 'must be an IPv4 multicast address').optional(),
  locked: flag.optional(),
  include_deleted: flag.optional(),
});
export type FlowListQuery = z.infer<typeof FlowListQuery>;
