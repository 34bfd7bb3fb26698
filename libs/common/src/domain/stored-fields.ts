import { z } from 'zod';

/**
 * Fields of stored records as backups carry them: a time as PostgreSQL prints a timestamptz in JSON
 * (`2026-12-01T05:30:00.123456+00:00`, microseconds kept so a restore is exact), who did something.
 */
export const storedTime = z
  .string({ message: 'must be a time' })
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/, 'must be an ISO 8601 time with a zone')
  .refine((value) => !Number.isNaN(Date.parse(value)), 'must be a real time');

export const storedActor = z.looseObject(
  { kind: z.string().min(1), id: z.string().min(1), name: z.string() },
  { message: 'must be an actor {kind, id, name}' },
);

export const storedUuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a UUID');
