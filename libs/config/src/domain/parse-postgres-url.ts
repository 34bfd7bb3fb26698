import type { HostPort, PostgresTarget, SslMode, TargetSessionAttrs } from './postgres-target.js';

export interface UrlDefaults {
  poolMax: number;
  applicationName: string;
}

export type ParseResult = { ok: true; target: PostgresTarget } | { ok: false; problems: string[] };

const URL_SHAPE = /^(postgres|postgresql):\/\/(?:([^@/?#]*)@)?([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?$/;
const SSL_MODES: SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];
const SESSION_ATTRS: TargetSessionAttrs[] = ['any', 'read-write', 'primary', 'read-only', 'standby', 'prefer-standby'];
/** Query parameters we understand: libpq's names, plus pgx's pool_* that the HA guide uses. */
const KNOWN_PARAMS = [
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'pool_max_conns',
  'pool_min_conns',
  'connect_timeout',
  'statement_timeout',
  'application_name',
  'target_session_attrs',
];

/**
 * Parses `postgres://user:pass@h1:5432,h2:5433/db?sslmode=require&pool_max_conns=20`. Node's URL class
 * refuses libpq's multi-host form, so the authority is split by hand. `name` prefixes every problem.
 */
export function parsePostgresUrl(name: string, url: string, defaults: UrlDefaults): ParseResult {
  const problems: string[] = [];
  const match = URL_SHAPE.exec(url.trim());
  if (!match) return { ok: false, problems: [`${name}: must look like postgres://user:password@host:5432/database`] };
  const [, , userInfo = '', authority, path = '', query = ''] = match;

  const hosts: HostPort[] = [];
  for (const part of authority.split(',')) {
    const hostMatch = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(part);
    if (!hostMatch) {
      problems.push(`${name}: host "${part}" is not host or host:port`);
      continue;
    }
    const port = hostMatch[2] === undefined ? 5432 : Number(hostMatch[2]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`${name}: port of "${part}" must be 1-65535`);
    hosts.push({ host: decodeURIComponent(hostMatch[1].replace(/^\[|\]$/g, '')), port });
  }
  if (authority === '') problems.push(`${name}: a host is required`);

  const [rawUser = '', rawPassword = ''] = splitOnce(userInfo, ':');
  const database = decodeURIComponent(path);
  if (!rawUser) problems.push(`${name}: a user name is required`);
  if (!database) problems.push(`${name}: a database name is required`);

  const params = new URLSearchParams(query);
  for (const key of params.keys()) {
    if (!KNOWN_PARAMS.includes(key)) problems.push(`${name}: unknown parameter "${key}" (known: ${KNOWN_PARAMS.join(', ')})`);
  }
  const sslmode = (params.get('sslmode') ?? 'prefer') as SslMode;
  if (!SSL_MODES.includes(sslmode)) problems.push(`${name}: sslmode must be one of ${SSL_MODES.join(', ')}`);
  const targetSessionAttrs = (params.get('target_session_attrs') ?? 'any') as TargetSessionAttrs;
  if (!SESSION_ATTRS.includes(targetSessionAttrs)) problems.push(`${name}: target_session_attrs must be one of ${SESSION_ATTRS.join(', ')}`);

  const integer = (key: string, fallback: number, min: number, max: number): number => {
    const raw = params.get(key);
    if (raw === null) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${name}: ${key} must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  };
  const poolMax = integer('pool_max_conns', defaults.poolMax, 1, 1000);
  const poolMin = integer('pool_min_conns', 0, 0, 1000);
  if (poolMin > poolMax) problems.push(`${name}: pool_min_conns must not exceed pool_max_conns`);
  // libpq's connect_timeout is in seconds; statement_timeout here is in milliseconds, as PostgreSQL's GUC.
  const connectTimeoutMs = integer('connect_timeout', 5, 1, 3600) * 1000;
  const statementTimeoutMs = integer('statement_timeout', 30_000, 0, 86_400_000);

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    target: {
      hosts,
      user: decodeURIComponent(rawUser),
      password: decodeURIComponent(rawPassword),
      database,
      sslmode,
      sslFiles: {
        rootcert: params.get('sslrootcert') ?? undefined,
        cert: params.get('sslcert') ?? undefined,
        key: params.get('sslkey') ?? undefined,
      },
      poolMax,
      poolMin,
      connectTimeoutMs,
      statementTimeoutMs,
      applicationName: params.get('application_name') ?? defaults.applicationName,
      targetSessionAttrs,
    },
  };
}

function splitOnce(value: string, separator: string): [string, string] {
  const at = value.indexOf(separator);
  return at < 0 ? [value, ''] : [value.slice(0, at), value.slice(at + 1)];
}
