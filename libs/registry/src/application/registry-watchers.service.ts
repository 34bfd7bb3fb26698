import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { isDeepStrictEqual } from 'node:util';
import { AppConfig } from '#config';
import { DatabaseService, LeaseService } from '#database';
import { EventsService, topicSegment } from '#events';
import type { RegistryEntry } from '../domain/registry-entry.js';
import { RegistryStateRepository, type RegistryStateRow } from '../infra/registry-state.repository.js';
import { RegistryWatcher, type WatcherHooks, type WatcherTiming } from '../infra/registry-watcher.js';
import { MergedViewService } from './merged-view.service.js';
import { RegistryConfigService } from './registry-config.service.js';

export const REGISTRY_WATCHERS_LEASE = 'registry-watchers';

type SavedState = Omit<RegistryStateRow, 'name' | 'changed_at'>;
const CONFIG_POLL_MS = 1_000;
const PRUNE_INTERVAL_MS = 1_000;

/**
 * Singleton work: the replica holding the `registry-watchers` lease runs one watcher per enabled
 * registry, follows configuration changes (a revision polled every second), and prunes copies whose
 * grace period has ended. Losing the lease stops everything at once.
 */
@Injectable()
export class RegistryWatchersService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RegistryWatchersService.name);
  private readonly watchers = new Map<string, RegistryWatcher>();
  private readonly lastPublishedState = new Map<string, string>();
  private timers: NodeJS.Timeout[] = [];
  private revision = -1;
  private reconciling = false;
  private readonly timing: WatcherTiming;

  constructor(
    private readonly leases: LeaseService,
    private readonly config: RegistryConfigService,
    private readonly view: MergedViewService,
    private readonly db: DatabaseService,
    private readonly states: RegistryStateRepository,
    private readonly settings: AppConfig,
    private readonly events: EventsService,
  ) {
    this.timing = {
      watchdogMs: settings.registry.watchdogSeconds * 1000,
      pollIntervalMs: settings.registry.pollIntervalMs,
      syncQuietMs: 300,
      backoffMinMs: 250,
      backoffMaxMs: 10_000,
    };
  }

  get watching(): string[] {
    return [...this.watchers.keys()];
  }

  onApplicationBootstrap(): void {
    this.leases.participate(REGISTRY_WATCHERS_LEASE, { acquired: () => this.begin(), lost: () => this.end() });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.end();
  }

  private begin(): void {
    this.logger.log('watching registries on this replica');
    this.revision = -1;
    this.timers = [
      setInterval(() => void this.reconcile(), CONFIG_POLL_MS),
      setInterval(() => void this.view.pruneStale(this.settings.registry.staleGraceSeconds).catch(() => undefined), PRUNE_INTERVAL_MS),
    ];
    void this.reconcile();
  }

  private async end(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
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
      if (revision === this.revision) return;
      const entries = await this.config.entriesWithCredentials();
      const enabled = new Map(entries.filter((e) => e.enabled).map((e) => [e.name, e]));
      for (const [name, watcher] of this.watchers) {
        const wanted = enabled.get(name);
        if (wanted && isDeepStrictEqual(wanted, watcher.entry)) continue;
        this.watchers.delete(name);
        await watcher.stop();
      }
      // Resources of registries no longer watched go: removed from the configuration or disabled.
      for (const name of await this.view.registriesWithCopies()) if (!enabled.has(name)) await this.view.removeRegistry(name);
      for (const entry of entries) {
        if (!entry.enabled) await this.saveState(entry.name, { state: 'disabled' });
        else if (!this.watchers.has(entry.name)) this.watch(entry);
      }
      await this.db.write(async (sql) => {
        for (const row of await this.states.list(sql)) if (!entries.some((e) => e.name === row.name)) await this.states.remove(sql, row.name);
      });
      this.revision = revision;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not apply the registry configuration; retrying');
    } finally {
      this.reconciling = false;
    }
  }

  private watch(entry: RegistryEntry): void {
    const state: SavedState = { state: 'connecting', endpoint: null, api_version: null, synced_types: [], last_event_at: null, last_error: null };
    let lastEventSaved = 0;
    let analyzed = false;
    // Saved one after another, so an older state never overwrites a newer one.
    let saving: Promise<void> = Promise.resolve();
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
        saving = saving.then(() => this.saveState(entry.name, snapshot));
      },
    };
    const watcher = new RegistryWatcher(entry, hooks, this.timing);
    this.watchers.set(entry.name, watcher);
    watcher.start();
  }

  private async saveState(name: string, row: Partial<SavedState>): Promise<void> {
    const saved: SavedState = {
      state: row.state ?? 'connecting',
      endpoint: row.endpoint ?? null,
      api_version: row.api_version ?? null,
      synced_types: row.synced_types ?? [],
      last_event_at: row.last_event_at ?? null,
      last_error: row.last_error ?? null,
    };
    await this.db
      .write(async (sql) => {
        await this.states.save(sql, { name, ...saved });
        // Other systems hear of state changes (not of every event time), retained: the present state.
        if (this.lastPublishedState.get(name) !== saved.state) {
          this.lastPublishedState.set(name, saved.state);
          await this.events.record(sql, {
            type: 'registry.state.changed',
            subject: { kind: 'registry', id: name },
            topic: `registry/${topicSegment(name)}`,
            retained: true,
            payload: { registry: name, state: saved.state, endpoint: saved.endpoint, api_version: saved.api_version, last_error: saved.last_error },
          });
        }
      })
      .catch((err) => this.logger.debug({ err: (err as Error).message }, 'could not save registry state'));
  }
}
