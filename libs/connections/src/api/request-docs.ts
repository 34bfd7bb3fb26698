/** OpenAPI descriptions of the request bodies (validation itself is the zod schemas in domain/requests.ts). */
const activation = {
  type: 'object',
  properties: {
    mode: { enum: ['activate_immediate', 'activate_scheduled_absolute', 'activate_scheduled_relative'] },
    requested_time: { type: 'string', example: '1795750400:0', description: 'TAI secs:nanos; required when scheduled' },
  },
  required: ['mode'],
};
const connection = {
  type: 'object',
  properties: {
    receiver_id: { type: 'string' },
    sender_id: { type: 'string', nullable: true, description: 'null disconnects' },
    legs: { enum: ['primary', 'secondary'], description: 'which leg of a two-leg sender feeds a one-leg receiver' },
  },
  required: ['receiver_id', 'sender_id'],
};
const salvoFields = {
  connections: { type: 'array', items: connection, minItems: 1, maxItems: 1000 },
  activation,
  synchronised: { type: 'boolean', description: 'one absolute activation time on every device, SALVO_SYNC_LEAD_MS ahead' },
  on_failure: { enum: ['rollback', 'continue'], default: 'rollback' },
};
const matcher = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    label: { type: 'string', example: 'studio-a/*' },
    tag: {
      type: 'object',
      properties: { name: { type: 'string', example: 'urn:x-nmos:tag:grouphint/v1.0' }, value: { type: 'string', example: 'studio-a:*' } },
    },
  },
};

export const TAKE_BODY = { schema: { ...connection, properties: { ...connection.properties, sender_id: { type: 'string' }, activation } } };
export const SALVO_BODY = { schema: { type: 'object', properties: salvoFields, required: ['connections'] } };
export const SAVED_SALVO_BODY = { schema: { type: 'object', properties: { description: { type: 'string' }, ...salvoFields }, required: ['connections'] } };
export const SCHEDULE_BODY = {
  schema: {
    type: 'object',
    properties: {
      salvo: { type: 'string', description: 'a saved salvo; or give connections' },
      connections: salvoFields.connections,
      on_failure: salvoFields.on_failure,
      synchronised: salvoFields.synchronised,
      fire_at: { type: 'string', example: '2026-11-28T18:00:00Z', description: 'ISO 8601 with a zone, or TAI secs:nanos' },
    },
    required: ['fire_at'],
  },
};
export const LOCK_BODY = { schema: { type: 'object', properties: { reason: { type: 'string', example: 'on air: studio A' } }, required: ['reason'] } };
export const POLICY_BODY = {
  schema: {
    type: 'object',
    properties: { name: { type: 'string' }, effect: { enum: ['allow', 'deny'] }, sender: matcher, receiver: matcher },
    required: ['name', 'effect'],
  },
};
export const DEFAULT_EFFECT_BODY = { schema: { type: 'object', properties: { effect: { enum: ['allow', 'deny'] } }, required: ['effect'] } };
