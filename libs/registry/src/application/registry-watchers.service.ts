import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { isDeepStrictEqual } from 'node:util';
import { AppConfig } from '#config';
import { untilAborted } from '#common';
import { LeaseLoop, LeaseService } from '#database';
import { DISCOVERED_REGISTRY_NAME } from '../domain/dns-sd.js';
import type { RegistryEntry } from '../domain/registry-entry.js';
import { REGISTRY_WATCHER_FACTORY, type RegistryWatcherFactory, type WatcherHandle, type WatcherHooks, type WatcherTiming } from '../infra/registry-watcher.js';
import { MergedViewService } from './merged-view.service.js';
import { RegistryConfigService } from './registry-config.service.js';
import { RegistryDiscoveryService } from './registry-discovery.service.js';
import { RegistryStatePublisher, type SavedState } from './registry-state-publisher.js';

export const REGISTRY_WATCHERS_LEASE = 'registry-watchers';

const CONFIG_POLL_MS = 1_000;
const PRUNE_INTERVAL_MS = 1_000;

/**
 * Singleton work: the replica holding the `registry-watchers` lease runs one watcher per enabled
 * registry (the configured ones, and the one DNS-SD found when discovery is on), follows configuration
 * changes (a revision polled every second) and discovery's, and prunes copies whose grace period has
 * ended. Losing the lease stops everything at once.
 */
@Injectable()
export class RegistryWatchersService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RegistryWatchersService.name);
  private readonly watchers = new Map<string, WatcherHandle>();
  private timers: NodeJS.Timeout[] = [];
  private revision = -1;
  private discoveryRevision = -1;
  private reconciling = false;
  private readonly timing: WatcherTiming;
  private readonly lease: LeaseLoop;

  constructor(
    private readonly leases: LeaseService,
    private readonly config: RegistryConfigService,
    private readonly discovery: RegistryDiscoveryService,
    private readonly view: MergedViewService,
    private readonly stateLog: RegistryStatePublisher,
    private readonly settings: AppConfig,
    @Inject(REGISTRY_WATCHER_FACTORY) private readonly newWatcher: RegistryWatcherFactory,
  ) {
    this.lease = new LeaseLoop(leases, REGISTRY_WATCHERS_LEASE, async (_holding, stopped) => {
      this.begin();
      await untilAborted(stopped);
      await this.end();
    });
    this.timing = {
      watchdogMs: settings.registry.watchdogSeconds * 1000,
      pollIntervalMs: settings.registry.pollIntervalMs,
      syncQuietMs: 300,
      backoffMinMs: 250,
      backoffMaxMs: 10_000,
    };
  }

  onApplicationBootstrap(): void {
    this.lease.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.lease.stop();
  }

  private begin(): void {
    this.logger.log('watching registries on this replica');
    this.revision = -1;
    this.discoveryRevision = -1;
    this.stateLog.reset();
    this.discovery.start(() => void this.reconcile());
    this.timers = [
      setInterval(() => void this.reconcile(), CONFIG_POLL_MS),
      setInterval(() => void this.view.pruneStale(this.settings.registry.staleGraceSeconds).catch(() => undefined), PRUNE_INTERVAL_MS),
    ];
    void this.reconcile();
  }

  private async end(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.discovery.stop();
    this.stateLog.stop();
    const stopping = [...this.watchers.values()];
    this.watchers.clear();
    await Promise.all(stopping.map((w) => w.stop()));
  }

  /** Starts, restarts and stops watchers to match the configuration. */
  private async reconcile(): Promise<void> {
    if (this.reconciling || !this.leases.isHeld(REGISTRY_WATCHERS_LEASE)) return;
    this.reconciling = true;
    try {
      const revision = await this.config.revision();
      const discoveryRevision = this.discovery.revision;
      if (revision === this.revision && discoveryRevision === this.discoveryRevision) return;
      const discovered = this.discovery.entry();
      const entries = [...(await this.config.entriesWithCredentials()), ...(discovered ? [discovered] : [])];
      const enabled = new Map(entries.filter((e) => e.enabled).map((e) => [e.name, e]));
      for (const [name, watcher] of this.watchers) {
        const wanted = enabled.get(name);
        if (wanted && isDeepStrictEqual(wanted, watcher.entry)) continue;
        this.watchers.delete(name);
        await watcher.stop();
      }
      // Resources of registries no longer watched go: removed from the configuration or disabled.
      // The DNS-SD registry's wait for discovery's first answer on this replica (a lease just taken over).
      for (const name of await this.view.registriesWithCopies())
        if (!enabled.has(name) && (name !== DISCOVERED_REGISTRY_NAME || this.discovery.settled)) await this.view.removeRegistry(name);
      for (const entry of entries) {
        if (!entry.enabled) void this.saveState(entry.name, { state: 'disabled' });
        else if (!this.watchers.has(entry.name)) this.watch(entry);
      }
      await this.stateLog.keepOnly(entries.map((e) => e.name));
      this.revision = revision;
      this.discoveryRevision = discoveryRevision;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not apply the registry configuration; retrying');
    } finally {
      this.reconciling = false;
    }
  }

  private watch(entry: RegistryEntry): void {
    const state: SavedState = {
      state: 'connecting',
      endpoint: null,
      api_version: null,
      synced_types: [],
      polled_types: [],
      last_event_at: null,
      last_error: null,
    };
    let lastEventSaved = 0;
    let analyzed = false;
    // The publisher saves them one after another, so an older state never overwrites a newer one.
    const hooks: WatcherHooks = {
      apply: (reported, removed) => this.view.apply(entry.name, reported, removed),
      sweep: (type, ids) => this.view.sweep(entry.name, type, ids),
      unreachable: () => this.view.registryUnreachable(entry.name),
      state: (update) => {
        const { event, ...changes } = update;
        if (changes.state === 'connected' && !analyzed) {
          analyzed = true;
          void this.view.analyze().catch(() => undefined);
        }
        if (event) state.last_event_at = new Date();
        Object.assign(state, changes);
        // Events can come by the thousand: their time is saved at most once a second.
        if (event && Object.keys(changes).length === 0 && Date.now() - lastEventSaved < 1_000) return;
        lastEventSaved = Date.now();
        const snapshot = { ...state };
        void this.saveState(entry.name, snapshot);
      },
    };
    const watcher = this.newWatcher(entry, hooks, this.timing);
    this.watchers.set(entry.name, watcher);
    watcher.start();
  }

  private saveState(name: string, row: Partial<SavedState>): Promise<void> {
    return this.stateLog.save(name, {
      state: row.state ?? 'connecting',
      endpoint: row.endpoint ?? null,
      api_version: row.api_version ?? null,
      synced_types: row.synced_types ?? [],
      polled_types: row.polled_types ?? [],
      last_event_at: row.last_event_at ?? null,
      last_error: row.last_error ?? null,
    });
  }
}
