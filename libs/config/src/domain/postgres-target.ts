import type { ConnectionOptions } from 'node:tls';

export interface HostPort {
  host: string;
  port: number;
}

export type TargetSessionAttrs = 'any' | 'read-write' | 'primary' | 'read-only' | 'standby' | 'prefer-standby';
export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

/** A PostgreSQL server (or, with several hosts, a set of candidates) parsed from a libpq-style URL. */
export interface PostgresTarget {
  hosts: HostPort[];
  user: string;
  password: string;
  database: string;
  sslmode: SslMode;
  sslFiles: { rootcert?: string; cert?: string; key?: string };
  poolMax: number;
  poolMin: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  applicationName: string;
  targetSessionAttrs: TargetSessionAttrs;
}

/** Only for logs and health output: never print a password. */
export function describeTarget(target: PostgresTarget): string {
  return `${target.hosts.map((h) => `${h.host}:${h.port}`).join(',')}/${target.database}`;
}

/** pg's `ssl` option for a libpq `sslmode`. pg cannot fall back from TLS to plain, so allow/prefer mean plain. */
export function sslOptionsFor(target: PostgresTarget, readFile: (path: string) => Buffer): false | ConnectionOptions {
  const { sslmode, sslFiles } = target;
  if (sslmode === 'disable' || sslmode === 'allow' || sslmode === 'prefer') return false;
  const files: ConnectionOptions = {
    ca: sslFiles.rootcert ? readFile(sslFiles.rootcert) : undefined,
    cert: sslFiles.cert ? readFile(sslFiles.cert) : undefined,
    key: sslFiles.key ? readFile(sslFiles.key) : undefined,
  };
  if (sslmode === 'require') return { ...files, rejectUnauthorized: false };
  if (sslmode === 'verify-ca') return { ...files, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  return { ...files, rejectUnauthorized: true };
}
