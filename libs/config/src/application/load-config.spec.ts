import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../domain/config.error.js';
import { loadConfig } from './load-config.js';

const SECRET = 'x'.repeat(32);
const EXTERNAL = { DATABASE_URL: 'postgres://nmos:pw@db-primary:5432/go_nmos', JWT_SECRET: SECRET };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('loadConfig', () => {
  it('runs on embedded defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      dataDir: './data',
      logLevel: 'info',
      database: { mode: 'embedded', port: 15432 },
      replicaMaxLagSeconds: 5,
      jwtTtlSeconds: 43200,
      corsOrigins: false,
      bodyLimitBytes: 1048576,
      trustProxy: false,
      shutdownDrainSeconds: 5,
      leaseTtlSeconds: 6,
      login: { maxFailuresPerUser: 5, maxFailuresPerAddress: 20, windowSeconds: 900 },
    });
    expect(config.jwtSecret).toBeUndefined();
  });

  it('reads the guide’s URLs: pool size and sslmode from the query string, replicas comma-separated', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://nmos_user:password@db-primary:5432/go_nmos?sslmode=require&pool_max_conns=20',
      DATABASE_READ_REPLICA_URL: 'postgres://nmos_user:password@db-replica:5432/go_nmos?sslmode=require&pool_max_conns=10, postgres://u:p@db-replica-2/go_nmos',
      JWT_SECRET: SECRET,
    });
    if (config.database.mode !== 'external') throw new Error('expected external');
    expect(config.database.primary).toMatchObject({
      hosts: [{ host: 'db-primary', port: 5432 }],
      user: 'nmos_user',
      password: 'password',
      database: 'go_nmos',
      sslmode: 'require',
      poolMax: 20,
    });
    expect(config.database.replicas.map((r) => [r.hosts[0].host, r.poolMax])).toEqual([
      ['db-replica', 10],
      ['db-replica-2', 10],
    ]);
  });

  it('takes every documented variable', () => {
    const config = loadConfig({
      ...EXTERNAL,
      PORT: '9090',
      HOST: '127.0.0.1',
      DATA_DIR: '/var/lib/nmos',
      LOG_LEVEL: 'debug',
      REPLICA_MAX_LAG_SECONDS: '2',
      JWT_SECRET_PREVIOUS: 'y'.repeat(32),
      JWT_TTL_SECONDS: '3600',
      ADMIN_USERNAME: 'root',
      ADMIN_PASSWORD: 'long-password',
      CORS_ORIGINS: 'https://ops.example:8443, http://localhost:3000',
      BODY_LIMIT_BYTES: '2048',
      TRUST_PROXY: 'true',
      SHUTDOWN_DRAIN_SECONDS: '10',
      LEASE_TTL_SECONDS: '9',
      LOGIN_MAX_FAILURES_PER_USER: '3',
      LOGIN_MAX_FAILURES_PER_ADDRESS: '50',
      LOGIN_WINDOW_SECONDS: '60',
    });
    expect(config).toMatchObject({
      port: 9090,
      host: '127.0.0.1',
      dataDir: '/var/lib/nmos',
      logLevel: 'debug',
      replicaMaxLagSeconds: 2,
      jwtSecretPrevious: 'y'.repeat(32),
      jwtTtlSeconds: 3600,
      adminUsername: 'root',
      adminPassword: 'long-password',
      corsOrigins: ['https://ops.example:8443', 'http://localhost:3000'],
      bodyLimitBytes: 2048,
      trustProxy: 1,
      shutdownDrainSeconds: 10,
      leaseTtlSeconds: 9,
      login: { maxFailuresPerUser: 3, maxFailuresPerAddress: 50, windowSeconds: 60 },
    });
    expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toBe('*');
    expect(loadConfig({ EMBEDDED_DATABASE_PORT: '25432' }).database).toEqual({ mode: 'embedded', port: 25432 });
  });

  it('leaves the embedded broker port unset unless MQTT_EMBEDDED_PORT names one (0: any free port), in range', () => {
    expect(loadConfig({}).events.embeddedPort).toBeUndefined();
    expect(loadConfig({ MQTT_EMBEDDED_PORT: '' }).events.embeddedPort).toBeUndefined();
    expect(loadConfig({ MQTT_EMBEDDED_PORT: '0' }).events.embeddedPort).toBe(0);
    expect(loadConfig({ MQTT_EMBEDDED_PORT: '21883' }).events.embeddedPort).toBe(21883);
    expect(() => loadConfig({ MQTT_EMBEDDED_PORT: '70000' })).toThrow(/MQTT_EMBEDDED_PORT: must be a whole number from 0 to 65535/);
  });

  it.each([
    ['PORT', 'eighty', 'PORT: must be a whole number from 0 to 65535'],
    ['PORT', '70000', 'PORT: must be a whole number from 0 to 65535'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL: must be one of'],
    ['REPLICA_MAX_LAG_SECONDS', '-1', 'REPLICA_MAX_LAG_SECONDS: must be a whole number'],
    ['EMBEDDED_DATABASE_PORT', '0', 'EMBEDDED_DATABASE_PORT: must be a whole number from 1'],
    ['JWT_TTL_SECONDS', '5', 'JWT_TTL_SECONDS: must be a whole number from 60'],
    ['BODY_LIMIT_BYTES', '1.5', 'BODY_LIMIT_BYTES: must be a whole number'],
    ['TRUST_PROXY', 'maybe', 'TRUST_PROXY: must be false, a number of proxy hops (true = 1), or proxy addresses/CIDRs (not: maybe)'],
    ['TRUST_PROXY', '10.0.0.0/33', 'TRUST_PROXY: must be false, a number of proxy hops (true = 1), or proxy addresses/CIDRs (not: 10.0.0.0/33)'],
    ['SHUTDOWN_DRAIN_SECONDS', '1000', 'SHUTDOWN_DRAIN_SECONDS: must be a whole number from 0 to 300'],
    ['LEASE_TTL_SECONDS', '1', 'LEASE_TTL_SECONDS: must be a whole number from 2'],
    ['LOGIN_MAX_FAILURES_PER_USER', '0', 'LOGIN_MAX_FAILURES_PER_USER: must be a whole number from 1'],
    ['LOGIN_MAX_FAILURES_PER_ADDRESS', 'x', 'LOGIN_MAX_FAILURES_PER_ADDRESS: must be a whole number'],
    ['LOGIN_WINDOW_SECONDS', '0', 'LOGIN_WINDOW_SECONDS: must be a whole number from 1'],
    ['CORS_ORIGINS', 'ops.example', 'CORS_ORIGINS: "ops.example" is not an origin'],
    ['ADMIN_USERNAME', 'root', 'ADMIN_USERNAME/ADMIN_PASSWORD: set both or neither'],
    ['DATABASE_READ_REPLICA_URL', 'postgres://u:p@h/db', 'DATABASE_READ_REPLICA_URL: needs DATABASE_URL'],
    ['JWT_SECRET', 'short', 'JWT_SECRET: must be at least 32 characters'],
    ['METRICS_TOKEN', 'short', 'METRICS_TOKEN: must be at least 16 characters'],
    ['JWT_SECRET_PREVIOUS', 'y'.repeat(32), 'JWT_SECRET_PREVIOUS: needs JWT_SECRET'],
  ])('refuses %s=%s', (name, value, message) => {
    expect(problemsOf({ [name]: value }).join('\n')).toContain(message);
  });

  it.each([
    ['mysql://db/app', 'DATABASE_URL: must look like postgres://'],
    ['postgres://u:p@db/app?sslmode=sometimes', 'DATABASE_URL: sslmode must be one of'],
    ['postgres://u:p@db/app?pool_max_conns=0', 'DATABASE_URL: pool_max_conns must be a whole number from 1'],
    ['postgres://u:p@db/app?pool_min_conns=30&pool_max_conns=20', 'pool_min_conns must not exceed pool_max_conns'],
    ['postgres://u:p@db/app?connect_timeout=soon', 'DATABASE_URL: connect_timeout must be a whole number'],
    ['postgres://u:p@db/app?target_session_attrs=any-writable', 'DATABASE_URL: target_session_attrs must be one of'],
    ['postgres://u:p@db/app?poolsize=3', 'DATABASE_URL: unknown parameter "poolsize"'],
    ['postgres://u:p@db:99999/app', 'DATABASE_URL: port of "db:99999" must be 1-65535'],
    ['postgres://db/app', 'DATABASE_URL: a user name is required'],
    ['postgres://u:p@db', 'DATABASE_URL: a database name is required'],
  ])('refuses DATABASE_URL=%s', (url, message) => {
    expect(problemsOf({ DATABASE_URL: url, JWT_SECRET: SECRET }).join('\n')).toContain(message);
  });

  it('reads registry discovery by DNS-SD: off by default; unicast needs its domain; resolvers are addresses with optional ports', () => {
    expect(loadConfig({}).registry.dnsSd).toEqual({ mode: 'off', domain: undefined, servers: [], intervalMs: 30_000 });
    expect(
      loadConfig({
        REGISTRY_DNS_SD: 'both',
        REGISTRY_DNS_SD_DOMAIN: 'facility.example.com.',
        REGISTRY_DNS_SD_SERVERS: '192.0.2.53, 192.0.2.54:5353, [2001:db8::53]:53, 2001:db8::54',
        REGISTRY_DNS_SD_INTERVAL_MS: '5000',
      }).registry.dnsSd,
    ).toEqual({ mode: 'both', domain: 'facility.example.com', servers: ['192.0.2.53', '192.0.2.54:5353', '[2001:db8::53]:53', '2001:db8::54'], intervalMs: 5000 });
    expect(loadConfig({ REGISTRY_DNS_SD: 'mdns' }).registry.dnsSd.mode).toBe('mdns');
  });

  it.each([
    [{ REGISTRY_DNS_SD: 'multicast' }, 'REGISTRY_DNS_SD: must be off, unicast, mdns or both'],
    [{ REGISTRY_DNS_SD: 'unicast' }, 'REGISTRY_DNS_SD_DOMAIN: required with REGISTRY_DNS_SD=unicast or both'],
    [{ REGISTRY_DNS_SD: 'unicast', REGISTRY_DNS_SD_DOMAIN: 'bad domain' }, 'REGISTRY_DNS_SD_DOMAIN: "bad domain" is not a domain name'],
    [{ REGISTRY_DNS_SD_SERVERS: 'dns.example.com' }, 'REGISTRY_DNS_SD_SERVERS: "dns.example.com" must be an IP address with an optional port'],
    [{ REGISTRY_DNS_SD_SERVERS: '192.0.2.1:70000' }, 'REGISTRY_DNS_SD_SERVERS: "192.0.2.1:70000" must be an IP address'],
    [{ REGISTRY_DNS_SD_INTERVAL_MS: '10' }, 'REGISTRY_DNS_SD_INTERVAL_MS: must be a whole number from 500'],
  ])('refuses DNS-SD settings %j', (env, message) => {
    expect(problemsOf(env).join('\n')).toContain(message);
  });

  it('requires JWT_SECRET with an external database, so every replica signs alike', () => {
    expect(problemsOf({ DATABASE_URL: EXTERNAL.DATABASE_URL })).toContain('JWT_SECRET: required with an external database (every replica must share it)');
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({ PORT: 'x', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x', JWT_SECRET: 'short', ADMIN_PASSWORD: 'pw' });
    expect(problems.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining(['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'JWT_SECRET', 'ADMIN_USERNAME/ADMIN_PASSWORD']),
    );
  });

  it('never puts a password into a problem message', () => {
    expect(problemsOf({ DATABASE_URL: 'postgres://u:hunter2@db/app?x=1', JWT_SECRET: SECRET }).join('\n')).not.toContain('hunter2');
  });
});
