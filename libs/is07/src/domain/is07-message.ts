import { z } from 'zod';
import { parseTai, storedUuid } from '#common';

const TAI = z.string().refine((value) => parseTai(value) !== undefined, 'must be a TAI timestamp <seconds>:<nanoseconds>');

/**
 * An IS-07 `state` message (AMWA IS-07 v1.0, the only kind MQTT carries): the source and flow it is
 * about, its event type (`boolean`, `number[/<name>/<unit>]`, `string[/…]`, `enum/…`), when the state
 * was created, and the value, whose JSON type follows the event type.
 */
export const Is07StateMessage = z
  .object({
    message_type: z.literal('state'),
    identity: z.object({ source_id: storedUuid, flow_id: storedUuid }),
    event_type: z.string().min(1).max(255),
    timing: z.object({ creation_timestamp: TAI, origin_timestamp: TAI.optional(), action_timestamp: TAI.optional() }),
    payload: z.object({ value: z.union([z.boolean(), z.number(), z.string().max(4096)]), scale: z.number().int().positive().optional() }),
  })
  .superRefine((message, context) => {
    const expected = valueTypeOf(message.event_type);
    if (expected && typeof message.payload.value !== expected)
      context.addIssue({ code: 'custom', path: ['payload', 'value'], message: `must be a ${expected} for event_type ${message.event_type}` });
  });
export type Is07StateMessage = z.infer<typeof Is07StateMessage>;

/** What a sender publishes on its connection status topic (and leaves as its last will: `active: false`). */
export const Is07ConnectionStatus = z.object({ active: z.boolean() });
export type Is07ConnectionStatus = z.infer<typeof Is07ConnectionStatus>;

function valueTypeOf(eventType: string): 'boolean' | 'number' | 'string' | undefined {
  const base = eventType.split('/')[0];
  return base === 'boolean' || base === 'number' || base === 'string' ? base : undefined;
}
