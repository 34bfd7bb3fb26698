import type { LogLevel } from '#common';
import type { PostgresTarget } from './postgres-target.js';

export type DatabaseSettings = { mode: 'embedded'; port: number } | { mode: 'external'; primary: PostgresTarget; replicas: PostgresTarget[] };

export interface AppConfigValues {
  port: number;
  host: string;
  dataDir: string;
  logLevel: LogLevel;
  database: DatabaseSettings;
  replicaMaxLagSeconds: number;
  /** Absent only in embedded mode, where the secret is generated once and kept in DATA_DIR. */
  jwtSecret?: string;
  jwtSecretPrevious?: string;
  jwtTtlSeconds: number;
  adminUsername?: string;
  adminPassword?: string;
  corsOrigins: string[] | '*' | false;
  bodyLimitBytes: number;
  /** false, a hop count, or the proxies' addresses/CIDRs (Fastify's trustProxy). */
  trustProxy: TrustProxy;
  /** What the unauthenticated readiness probe shows: each component's status, or everything. */
  healthDetail: 'status' | 'full';
  /** When set, `/metrics` asks for this bearer token; unset, Prometheus scrapes it without one. */
  metricsToken?: string;
  shutdownDrainSeconds: number;
  leaseTtlSeconds: number;
  login: { maxFailuresPerUser: number; maxFailuresPerAddress: number; windowSeconds: number; userBackoffSeconds: number };
  registry: { staleGraceSeconds: number; watchdogSeconds: number; pollIntervalMs: number; dnsSd: DnsSdSettings };
  events: EventsSettings;
  routing: RoutingSettings;
  alerts: AlertSettings;
}

/** Alert hooks (`ALERT_*`): how often conditions are checked, how long one must hold, the thresholds, delivery. */
export interface AlertSettings {
  intervalMs: number;
  /** A condition fires once it has held this long (Prometheus' `for`); 0: at once. */
  forSeconds: number;
  replicaLagSeconds: number;
  outboxAgeSeconds: number;
  /** Failed takes over the last five minutes, in percent, at five takes or more. */
  takeFailurePercent: number;
  deliveryAttempts: number;
  deliveryTimeoutMs: number;
}

/** Where Query APIs are discovered besides the configured registries (`REGISTRY_DNS_SD*`). */
export interface DnsSdSettings {
  mode: 'off' | 'unicast' | 'mdns' | 'both';
  /** Unicast DNS-SD search domain: `_nmos-query._tcp.<domain>` is browsed. */
  domain?: string;
  /** Resolvers for unicast DNS-SD (`address[:port]`); empty: the system's. */
  servers: string[];
  /** How often the browse is repeated (DNS-SD has no push over unicast; adverts come and go). */
  intervalMs: number;
}

export interface RoutingSettings {
  /** How long a device has to answer one IS-05 request before the take is reported 504. */
  deviceTimeoutMs: number;
  /** How long a take waits for another take on the same receiver to finish before answering 409. */
  receiverLockWaitMs: number;
  /** How far ahead a synchronised salvo schedules its absolute activation on every device. */
  salvoSyncLeadMs: number;
  /** Devices a salvo talks to at once. */
  salvoDeviceConcurrency: number;
  /** A controller-side schedule found late by up to this much still fires; later, it is marked missed. */
  scheduleMissedWindowSeconds: number;
  /** Every receiver's /active is read this often, to notice changes the registry did not report; 0: never. */
  activeCheckIntervalSeconds: number;
  /** At most this many /active reads per second by the check: its cost is bounded whatever the plant's size. */
  activeCheckRate: number;
}

export interface EventsSettings {
  /** External brokers, in failover order; absent: the embedded broker. */
  brokerUrls?: string[];
  username?: string;
  password?: string;
  tls: { caFile?: string; certFile?: string; keyFile?: string };
  topicPrefix: string;
  /** Set by MQTT_EMBEDDED_PORT: that port or a failed start. Unset: 1883 when free, else any free port. */
  embeddedPort?: number;
  embeddedHost: string;
  retentionSeconds: number;
  replayWindowSeconds: number;
  /** How often each replica looks for IS-07 MQTT senders in the merged view and reads where they publish; 0: never. */
  is07RefreshSeconds: number;
}

/** The validated settings, injectable by class. Built once at start by `loadConfig`. */
export interface AppConfig extends AppConfigValues {}
/** Whose X-Forwarded-For is believed: nobody's, the nearest N hops', or these proxies'. */
export type TrustProxy = false | number | string[];

export class AppConfig {
  constructor(values: AppConfigValues) {
    Object.assign(this, values);
    Object.freeze(this);
  }
}
