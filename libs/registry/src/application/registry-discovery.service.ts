import { Injectable, Logger } from '@nestjs/common';
import { hostname } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { AppConfig } from '#config';
import { DatabaseService } from '#database';
import { discoveredEntry, judgeService, type ServiceRecord } from '../domain/dns-sd.js';
import type { RegistryEntry } from '../domain/registry-entry.js';
import { MdnsBrowser, UnicastDnsSdBrowser } from '../infra/dns-sd-browser.js';
import { SUPPORTED_QUERY_VERSIONS } from '../infra/query-api.client.js';
import { RegistryDiscoveryRepository } from '../infra/registry-discovery.repository.js';

/** How long a resolver has for one lookup, and an mDNS browse listens for answers. */
const LOOKUP_TIMEOUT_MS = 2_000;
const MDNS_LISTEN_MS = 1_000;
/**
 * A service that stops answering is dropped only after this many browses in a row without it: one
 * lost mDNS packet or a registry restarting its advertisement must not empty the merged view on air.
 */
const MISSED_BROWSES_BEFORE_GONE = 3;

interface Browser {
  readonly via: ServiceRecord['via'];
  browse(): Promise<ServiceRecord[]>;
}

/**
 * Finds Query APIs by DNS-SD (`REGISTRY_DNS_SD`: unicast in a search domain, mDNS, or both) on the
 * replica that watches the registries, and offers them as one logical registry (`dns-sd`) beside the
 * configured ones. What each browse found, and why a service is not used, is saved for every
 * replica's status; `revision` changes when the registry to watch does.
 */
@Injectable()
export class RegistryDiscoveryService {
  private readonly logger = new Logger(RegistryDiscoveryService.name);
  private readonly browsers: Browser[];
  private readonly seed = hostname();
  private timer: NodeJS.Timeout | null = null;
  private browsing: Promise<void> | null = null;
  private known = new Map<string, { record: ServiceRecord; missed: number }>();
  private current: RegistryEntry | null = null;
  private answeredOnce = false;
  private changed: () => void = () => undefined;
  revision = 0;

  constructor(
    private readonly db: DatabaseService,
    private readonly repository: RegistryDiscoveryRepository,
    private readonly settings: AppConfig,
  ) {
    const { mode, domain, servers } = settings.registry.dnsSd;
    this.browsers = [
      ...((mode === 'unicast' || mode === 'both') && domain ? [new UnicastDnsSdBrowser(domain, servers, LOOKUP_TIMEOUT_MS)] : []),
      ...(mode === 'mdns' || mode === 'both' ? [new MdnsBrowser(MDNS_LISTEN_MS)] : []),
    ];
  }

  get enabled(): boolean {
    return this.browsers.length > 0;
  }

  /**
   * Whether a browse has answered since this replica started discovering. Until then a missing entry
   * means "not looked yet", not "gone": a replica taking the lease over must not remove the view it
   * inherits while its first browse is on the way.
   */
  get settled(): boolean {
    return !this.enabled || this.answeredOnce;
  }

  /** The logical registry made of what was found, or null while nothing usable is advertised. */
  entry(): RegistryEntry | null {
    return this.current;
  }

  /** Browses now and then every `REGISTRY_DNS_SD_INTERVAL_MS`; `onChange` runs when the entry changes. */
  start(onChange: () => void): void {
    if (!this.enabled || this.timer) return;
    this.changed = onChange;
    this.timer = setInterval(() => void this.browseOnce(), this.settings.registry.dnsSd.intervalMs);
    void this.browseOnce();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.browsing;
    this.known.clear();
    this.current = null;
    this.answeredOnce = false;
  }

  private browseOnce(): Promise<void> {
    this.browsing ??= this.browse().finally(() => (this.browsing = null));
    return this.browsing;
  }

  private async browse(): Promise<void> {
    const errors: string[] = [];
    const seen = new Map<string, ServiceRecord>();
    const answered = new Set<ServiceRecord['via']>();
    for (const browser of this.browsers) {
      try {
        for (const record of await browser.browse()) seen.set(`${record.via} ${record.instance.toLowerCase()}`, record);
        answered.add(browser.via);
      } catch (err) {
        errors.push(`${browser.via === 'mdns' ? 'mDNS' : 'unicast DNS'}: ${(err as Error).message}`);
      }
    }
    if (!this.timer) return;
    // A browser that failed says nothing about what is there: what it found before is kept.
    const firstAnswer = answered.size > 0 && !this.answeredOnce;
    if (answered.size > 0) this.answeredOnce = true;
    for (const [key, entry] of this.known) if (answered.has(entry.record.via) && !seen.has(key)) entry.missed++;
    for (const [key, record] of seen) this.known.set(key, { record, missed: 0 });
    for (const [key, entry] of this.known) if (entry.missed >= MISSED_BROWSES_BEFORE_GONE) this.known.delete(key);
    const judged = [...this.known.values()].map(({ record }) => judgeService(record, SUPPORTED_QUERY_VERSIONS));
    const entry = discoveredEntry(judged, this.seed);
    if (firstAnswer || !isDeepStrictEqual(entry, this.current)) {
      this.logger.log(
        { query_url: entry?.query_url ?? null, endpoints: entry?.endpoints ?? [] },
        entry ? 'registry found by DNS-SD' : 'no registry advertised by DNS-SD',
      );
      this.current = entry;
      this.revision++;
      this.changed();
    }
    const lastError = errors.length > 0 ? errors.join('; ') : null;
    try {
      await this.db.write((sql) => this.repository.save(sql, { found: judged, browsed_at: new Date(), last_error: lastError }));
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not save what DNS-SD found; the next browse saves it');
    }
  }
}
