import { z } from 'zod';
import { isIP } from 'node:net';
import { AppConfig, type DatabaseSettings, type DnsSdSettings, type TrustProxy } from '../domain/app-config.js';
import { ConfigError } from '../domain/config.error.js';
import { parsePostgresUrl } from '../domain/parse-postgres-url.js';
import type { PostgresTarget } from '../domain/postgres-target.js';

const MIN_SECRET_LENGTH = 32;

const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));
/** A whole number in range, or undefined when the variable is unset or empty. */
const optionalInteger = (min: number, max: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      const n = Number(v);
      if (!/^-?\d+$/.test(v) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });
const integer = (fallback: number, min: number, max: number) => optionalInteger(min, max).transform((v) => v ?? fallback);
const boolean = (fallback: boolean) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      if (['true', '1', 'yes'].includes(v.toLowerCase())) return true;
      if (['false', '0', 'no'].includes(v.toLowerCase())) return false;
      ctx.addIssue({ code: 'custom', message: 'must be true or false' });
      return z.NEVER;
    });

/**
 * Which proxies' X-Forwarded-For to believe: `false`; a number of hops (`true` is 1: the balancer in
 * front); or a list of proxy addresses and CIDRs. Never "any": a client would pick its own address.
 */
const trustProxy = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx): TrustProxy => {
    if (v === undefined || v === '' || ['false', '0', 'no'].includes(v.toLowerCase())) return false;
    if (['true', 'yes'].includes(v.toLowerCase())) return 1;
    if (/^\d{1,2}$/.test(v)) return Number(v);
    const entries = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = entries.filter((entry) => !isAddressOrCidr(entry));
    if (bad.length > 0 || entries.length === 0) {
      ctx.addIssue({ code: 'custom', message: `must be false, a number of proxy hops (true = 1), or proxy addresses/CIDRs (not: ${bad.join(', ')})` });
      return z.NEVER;
    }
    return entries;
  });

function isAddressOrCidr(text: string): boolean {
  const [address, bits, ...rest] = text.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/** `7d`, `12h`, `30m`, `45s` or a number of seconds. */
const duration = (fallback: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const match = /^(\d+)\s*(s|m|h|d)?$/.exec(v);
      if (!match) {
        ctx.addIssue({ code: 'custom', message: 'must be a duration like 30s, 15m, 12h, 7d (or a number of seconds)' });
        return z.NEVER;
      }
      return Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
    });

const EnvSchema = z.object({
  PORT: integer(8080, 0, 65535),
  HOST: optionalText.transform((v) => v ?? '0.0.0.0'),
  DATA_DIR: optionalText.transform((v) => v ?? './data'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { message: 'must be one of fatal, error, warn, info, debug, trace, silent' })
    .optional()
    .transform((v) => v ?? 'info'),
  DATABASE_URL: optionalText,
  DATABASE_READ_REPLICA_URL: optionalText,
  REPLICA_MAX_LAG_SECONDS: integer(5, 0, 86_400),
  EMBEDDED_DATABASE_PORT: integer(15432, 1, 65535),
  JWT_SECRET: optionalText,
  JWT_SECRET_PREVIOUS: optionalText,
  JWT_TTL_SECONDS: integer(43_200, 60, 30 * 86_400),
  ADMIN_USERNAME: optionalText,
  ADMIN_PASSWORD: optionalText,
  CORS_ORIGINS: optionalText,
  BODY_LIMIT_BYTES: integer(1_048_576, 1024, 100 * 1_048_576),
  TRUST_PROXY: trustProxy,
  HEALTH_DETAIL: optionalText.transform((v, ctx) => {
    if (v === undefined || v === 'status' || v === 'full') return v ?? 'status';
    ctx.addIssue({ code: 'custom', message: 'must be status or full' });
    return z.NEVER;
  }),
  METRICS_TOKEN: optionalText,
  SHUTDOWN_DRAIN_SECONDS: integer(5, 0, 300),
  LEASE_TTL_SECONDS: integer(6, 2, 300),
  LOGIN_MAX_FAILURES_PER_USER: integer(5, 1, 10_000),
  LOGIN_MAX_FAILURES_PER_ADDRESS: integer(20, 1, 100_000),
  LOGIN_WINDOW_SECONDS: integer(900, 1, 86_400),
  LOGIN_USER_BACKOFF_SECONDS: integer(2, 0, 3_600),
  REGISTRY_STALE_GRACE: integer(60, 1, 86_400),
  REGISTRY_WATCHDOG_SECONDS: integer(15, 1, 3_600),
  REGISTRY_POLL_INTERVAL_MS: integer(2_000, 100, 600_000),
  REGISTRY_DNS_SD: z
    .enum(['off', 'unicast', 'mdns', 'both'], { message: 'must be off, unicast, mdns or both' })
    .optional()
    .transform((v) => v ?? 'off'),
  REGISTRY_DNS_SD_DOMAIN: optionalText,
  REGISTRY_DNS_SD_SERVERS: optionalText,
  REGISTRY_DNS_SD_INTERVAL_MS: integer(30_000, 500, 3_600_000),
  MQTT_BROKER_URL: optionalText,
  MQTT_USERNAME: optionalText,
  MQTT_PASSWORD: optionalText,
  MQTT_CA_FILE: optionalText,
  MQTT_CERT_FILE: optionalText,
  MQTT_KEY_FILE: optionalText,
  MQTT_TOPIC_PREFIX: optionalText.transform((v) => v ?? 'go-nmos/flows/events'),
  // Unset: 1883 if it is free, else any free port (the first start must not fail where Mosquitto runs).
  MQTT_EMBEDDED_PORT: optionalInteger(0, 65535),
  MQTT_EMBEDDED_HOST: optionalText.transform((v) => v ?? '127.0.0.1'),
  EVENT_RETENTION: duration(7 * 86_400),
  MQTT_REPLAY_WINDOW: duration(30),
  IS07_REFRESH_INTERVAL: duration(10),
  DEVICE_TIMEOUT_MS: integer(3_000, 100, 60_000),
  RECEIVER_LOCK_WAIT_MS: integer(5_000, 0, 60_000),
  SALVO_SYNC_LEAD_MS: integer(1_000, 100, 60_000),
  SALVO_DEVICE_CONCURRENCY: integer(8, 1, 256),
  SCHEDULE_MISSED_WINDOW: duration(60),
  ACTIVE_CHECK_INTERVAL: duration(30),
  ACTIVE_CHECK_RATE: integer(100, 1, 100_000),
  ALERT_INTERVAL_MS: integer(10_000, 200, 600_000),
  ALERT_FOR_SECONDS: integer(30, 0, 3_600),
  ALERT_REPLICA_LAG_SECONDS: integer(10, 1, 3_600),
  ALERT_OUTBOX_AGE_SECONDS: integer(60, 1, 86_400),
  ALERT_TAKE_FAILURE_PERCENT: integer(10, 1, 100),
  ALERT_DELIVERY_ATTEMPTS: integer(8, 1, 50),
  ALERT_DELIVERY_TIMEOUT_MS: integer(5_000, 100, 60_000),
});

/** Every variable the product reads, for the README and `--help`. */
export const CONFIG_VARIABLES = Object.keys(EnvSchema.shape);

/**
 * Parses and validates the environment once. Throws a ConfigError listing every problem, so a bad
 * deployment fails at start with one readable message instead of at the first request.
 */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  // Each variable on its own, so one bad value does not hide the problems of the others.
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(EnvSchema.shape)) {
    const parsed = schema.safeParse(env[name]);
    if (parsed.success) values[name] = parsed.data;
    else problems.push(...parsed.error.issues.map((issue) => `${name}: ${issue.message}`));
  }
  const e = values as z.infer<typeof EnvSchema>;

  const applicationName = 'nmos-control';
  let database: DatabaseSettings;
  if (e.DATABASE_URL) {
    const primary = parsePostgresUrl('DATABASE_URL', e.DATABASE_URL, { poolMax: 20, applicationName });
    const replicas: PostgresTarget[] = [];
    if (!primary.ok) problems.push(...primary.problems);
    for (const [index, url] of (e.DATABASE_READ_REPLICA_URL ?? '')
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean)
      .entries()) {
      const replica = parsePostgresUrl(`DATABASE_READ_REPLICA_URL[${index}]`, url, { poolMax: 10, applicationName: `${applicationName}-read` });
      if (replica.ok) replicas.push(replica.target);
      else problems.push(...replica.problems);
    }
    if (!e.JWT_SECRET) problems.push('JWT_SECRET: required with an external database (every replica must share it)');
    database = primary.ok ? { mode: 'external', primary: primary.target, replicas } : { mode: 'embedded', port: 0 };
  } else {
    if (e.DATABASE_READ_REPLICA_URL) problems.push('DATABASE_READ_REPLICA_URL: needs DATABASE_URL (the embedded database has no replicas)');
    database = { mode: 'embedded', port: e.EMBEDDED_DATABASE_PORT };
  }
  if (e.JWT_SECRET && e.JWT_SECRET.length < MIN_SECRET_LENGTH) problems.push(`JWT_SECRET: must be at least ${MIN_SECRET_LENGTH} characters`);
  if (e.JWT_SECRET_PREVIOUS && e.JWT_SECRET_PREVIOUS.length < MIN_SECRET_LENGTH)
    problems.push(`JWT_SECRET_PREVIOUS: must be at least ${MIN_SECRET_LENGTH} characters`);
  if (e.JWT_SECRET_PREVIOUS && !e.JWT_SECRET) problems.push('JWT_SECRET_PREVIOUS: needs JWT_SECRET (the new secret) as well');
  if (e.METRICS_TOKEN && e.METRICS_TOKEN.length < 16) problems.push('METRICS_TOKEN: must be at least 16 characters');
  if (Boolean(e.ADMIN_USERNAME) !== Boolean(e.ADMIN_PASSWORD)) problems.push('ADMIN_USERNAME/ADMIN_PASSWORD: set both or neither');
  if (e.ADMIN_USERNAME && !USERNAME.test(e.ADMIN_USERNAME)) problems.push(`ADMIN_USERNAME: ${USERNAME_RULE}`);
  if (e.ADMIN_PASSWORD && e.ADMIN_PASSWORD.length < 8) problems.push('ADMIN_PASSWORD: must be at least 8 characters');
  const corsOrigins = parseCors(e.CORS_ORIGINS, problems);
  const brokerUrls = e.MQTT_BROKER_URL?.split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  for (const url of brokerUrls ?? []) {
    if (!/^(tcp|mqtt|ssl|mqtts|ws|wss):\/\/[^/\s:]+(:\d{1,5})?(\/\S*)?$/.test(url))
      problems.push(`MQTT_BROKER_URL: "${url}" must be tcp, mqtt, ssl, mqtts, ws or wss://host[:port]`);
  }
  if (e.MQTT_TOPIC_PREFIX !== undefined && !/^[^#+\s]+[^/#+\s]$/.test(e.MQTT_TOPIC_PREFIX))
    problems.push('MQTT_TOPIC_PREFIX: must be a topic without wildcards, spaces or a trailing /');
  const dnsSd = parseDnsSd(e, problems);
  if (Boolean(e.MQTT_CERT_FILE) !== Boolean(e.MQTT_KEY_FILE)) problems.push('MQTT_CERT_FILE/MQTT_KEY_FILE: set both or neither');

  if (problems.length > 0) throw new ConfigError(problems);
  return new AppConfig({
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
    database,
    replicaMaxLagSeconds: e.REPLICA_MAX_LAG_SECONDS,
    jwtSecret: e.JWT_SECRET,
    jwtSecretPrevious: e.JWT_SECRET_PREVIOUS,
    jwtTtlSeconds: e.JWT_TTL_SECONDS,
    adminUsername: e.ADMIN_USERNAME,
    adminPassword: e.ADMIN_PASSWORD,
    corsOrigins,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    trustProxy: e.TRUST_PROXY,
    healthDetail: e.HEALTH_DETAIL,
    metricsToken: e.METRICS_TOKEN,
    shutdownDrainSeconds: e.SHUTDOWN_DRAIN_SECONDS,
    leaseTtlSeconds: e.LEASE_TTL_SECONDS,
    login: {
      maxFailuresPerUser: e.LOGIN_MAX_FAILURES_PER_USER,
      maxFailuresPerAddress: e.LOGIN_MAX_FAILURES_PER_ADDRESS,
      windowSeconds: e.LOGIN_WINDOW_SECONDS,
      userBackoffSeconds: e.LOGIN_USER_BACKOFF_SECONDS,
    },
    registry: {
      staleGraceSeconds: e.REGISTRY_STALE_GRACE,
      watchdogSeconds: e.REGISTRY_WATCHDOG_SECONDS,
      pollIntervalMs: e.REGISTRY_POLL_INTERVAL_MS,
      dnsSd,
    },
    events: {
      brokerUrls: brokerUrls && brokerUrls.length > 0 ? brokerUrls : undefined,
      username: e.MQTT_USERNAME,
      password: e.MQTT_PASSWORD,
      tls: { caFile: e.MQTT_CA_FILE, certFile: e.MQTT_CERT_FILE, keyFile: e.MQTT_KEY_FILE },
      topicPrefix: e.MQTT_TOPIC_PREFIX,
      embeddedPort: e.MQTT_EMBEDDED_PORT,
      embeddedHost: e.MQTT_EMBEDDED_HOST,
      retentionSeconds: e.EVENT_RETENTION,
      replayWindowSeconds: e.MQTT_REPLAY_WINDOW,
      is07RefreshSeconds: e.IS07_REFRESH_INTERVAL,
    },
    routing: {
      deviceTimeoutMs: e.DEVICE_TIMEOUT_MS,
      receiverLockWaitMs: e.RECEIVER_LOCK_WAIT_MS,
      salvoSyncLeadMs: e.SALVO_SYNC_LEAD_MS,
      salvoDeviceConcurrency: e.SALVO_DEVICE_CONCURRENCY,
      scheduleMissedWindowSeconds: e.SCHEDULE_MISSED_WINDOW,
      activeCheckIntervalSeconds: e.ACTIVE_CHECK_INTERVAL,
      activeCheckRate: e.ACTIVE_CHECK_RATE,
    },
    alerts: {
      intervalMs: e.ALERT_INTERVAL_MS,
      forSeconds: e.ALERT_FOR_SECONDS,
      replicaLagSeconds: e.ALERT_REPLICA_LAG_SECONDS,
      outboxAgeSeconds: e.ALERT_OUTBOX_AGE_SECONDS,
      takeFailurePercent: e.ALERT_TAKE_FAILURE_PERCENT,
      deliveryAttempts: e.ALERT_DELIVERY_ATTEMPTS,
      deliveryTimeoutMs: e.ALERT_DELIVERY_TIMEOUT_MS,
    },
  });
}

/** Shared with the users API so the first admin obeys the same rule as every other user. */
export const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const USERNAME_RULE = '1-64 characters: letters, digits, . _ @ -, starting with a letter or digit';

/**
 * Registry discovery by DNS-SD (IS-04, BCP-002): unicast needs the search domain; resolvers are
 * `address[:port]` (default: the system's); mDNS browses `.local`.
 */
function parseDnsSd(e: z.infer<typeof EnvSchema>, problems: string[]): DnsSdSettings {
  const mode = e.REGISTRY_DNS_SD;
  const unicast = mode === 'unicast' || mode === 'both';
  const domain = e.REGISTRY_DNS_SD_DOMAIN?.replace(/\.+$/, '');
  if (unicast && !domain)
    problems.push('REGISTRY_DNS_SD_DOMAIN: required with REGISTRY_DNS_SD=unicast or both (the unicast DNS-SD search domain, e.g. facility.example.com)');
  if (domain && !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(domain))
    problems.push(`REGISTRY_DNS_SD_DOMAIN: "${domain}" is not a domain name`);
  const servers = (e.REGISTRY_DNS_SD_SERVERS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const server of servers)
    if (!isResolverAddress(server)) problems.push(`REGISTRY_DNS_SD_SERVERS: "${server}" must be an IP address with an optional port (1.2.3.4:53, [::1]:53)`);
  return { mode, domain: unicast ? domain : undefined, servers, intervalMs: e.REGISTRY_DNS_SD_INTERVAL_MS };
}

/** What node:dns `setServers` takes: an address, `v4:port` or `[v6]:port`. */
function isResolverAddress(text: string): boolean {
  if (isIP(text) !== 0) return true;
  const match = /^(?:\[([^\]]+)\]|([\d.]+)):(\d{1,5})$/.exec(text);
  if (!match || Number(match[3]) < 1 || Number(match[3]) > 65535) return false;
  return match[1] !== undefined ? isIP(match[1]) === 6 : isIP(match[2]) === 4;
}

function parseCors(value: string | undefined, problems: string[]): string[] | '*' | false {
  if (!value) return false;
  if (value === '*') return '*';
  const origins = value
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of origins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) problems.push(`CORS_ORIGINS: "${origin}" is not an origin like https://host:port`);
  }
  return origins;
}
