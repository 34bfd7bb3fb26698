import { DomainError } from '../domain/domain.error.js';

/** A `?limit=` query: 1-1000, 100 when absent; anything else is a 400 naming `limit`. */
export function pageLimit(value: string | undefined): number {
  const limit = value === undefined ? 100 : Number(value);
  if (Number.isInteger(limit) && limit >= 1 && limit <= 1000) return limit;
  throw new DomainError('invalid', 'validation_failed', 'limit: must be a whole number from 1 to 1000', {
    fields: [{ field: 'limit', message: 'must be a whole number from 1 to 1000' }],
  });
}
