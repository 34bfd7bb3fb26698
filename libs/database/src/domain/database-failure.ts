/**
 * How a PostgreSQL error bears on availability:
 * - `connection`: the server is gone, restarting or unreachable (a failover in progress, or an outage);
 * - `read_only`: we are talking to a standby (25006), e.g. behind a VIP that still points at a demoted node;
 * - `other`: an ordinary SQL error, the caller's business.
 */
export type FailureClass = 'connection' | 'read_only' | 'other';

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '3D000',
]);
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
  'terminating connection',
  'the database system is',
  'Query read timeout',
];

export function classifyDatabaseFailure(err: unknown): FailureClass {
  const e = err as { code?: unknown; message?: unknown; driverError?: unknown; errors?: unknown[] } | undefined;
  if (!e) return 'other';
  if (e.driverError) return classifyDatabaseFailure(e.driverError);
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code === '25006') return 'read_only';
  if (code && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return 'connection';
  // An AggregateError (several addresses tried) is a connection failure if its parts are.
  if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((inner) => classifyDatabaseFailure(inner) === 'connection')) return 'connection';
  const message = typeof e.message === 'string' ? e.message : '';
  return CONNECTION_MESSAGES.some((m) => message.includes(m)) ? 'connection' : 'other';
}
