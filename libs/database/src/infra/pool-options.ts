import { readFileSync } from 'node:fs';
import { sslOptionsFor, type PostgresTarget } from '#config';
import type pg from 'pg';

/** pg pool settings from a parsed URL: every wait is bounded, and dead TCP peers are detected. */
export function poolOptionsFor(target: PostgresTarget, applicationName: string): pg.PoolConfig {
  return {
    user: target.user,
    password: target.password,
    database: target.database,
    ssl: sslOptionsFor(target, (path) => readFileSync(path)),
    max: target.poolMax,
    min: target.poolMin,
    connectionTimeoutMillis: target.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    // A server that hangs (e.g. a promoted node still waiting for a synchronous standby) ignores
    // statement_timeout; the client-side bound turns that into an error instead of a stuck request.
    statement_timeout: target.statementTimeoutMs || undefined,
    query_timeout: target.statementTimeoutMs ? target.statementTimeoutMs + 5_000 : undefined,
    application_name: applicationName,
    keepAlive: true,
  };
}
