/**
 * The kinds of failure a service may report. Only the HTTP edge (HttpErrorFilter) turns a kind into a
 * status code, so services stay free of transport concerns.
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'locked'
  /** An If-Match (or version) that no longer names the current version: 412. */
  | 'precondition_failed'
  | 'rate_limited'
  /** A body in a form the API does not read (another charset): 415. */
  | 'unsupported_media_type'
  | 'unavailable'
  /** A device (not us) refused or failed: 502. */
  | 'bad_gateway'
  /** A device did not answer in time: 504. */
  | 'gateway_timeout';

export interface FieldProblem {
  field: string;
  message: string;
}

export interface DomainErrorDetails {
  fields?: FieldProblem[];
  /** Seconds a client should wait before retrying (sent as Retry-After). */
  retryAfterSeconds?: number;
  /** Further facts for the client, sent as-is in the error body (e.g. what a device answered). */
  extra?: Record<string, unknown>;
}

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    /** Stable, machine-readable code, e.g. `last_admin`, `database_unavailable`. */
    readonly code: string,
    message: string,
    readonly details: DomainErrorDetails = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}
