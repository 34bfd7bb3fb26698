import { Logger, type Provider } from '@nestjs/common';
import WebSocket from 'ws';
import { sleep } from '#common';
import { ChangeBatch } from '../domain/change-batch.js';
import { grainItems, isSyncItem, toReported, type GrainItem } from '../domain/grain.js';
import { NMOS_TYPES, type NmosType, type ReportedResource } from '../domain/nmos-resource.js';
import type { RegistryEntry } from '../domain/registry-entry.js';
import type { ResourceKey } from './merged-view.repository.js';
import { QueryApiClient } from './query-api.client.js';
import type { RegistryConnectionState } from './registry-state.repository.js';

/**
 * Grains waiting to be applied beyond which a websocket stops being read until they are: the snapshot
 * comes unpaced (max_update_rate_ms 0) and this bounds what it can pile up in memory meanwhile.
 */
const INBOX_HIGH_WATER = 5_000;

/** What a watcher does with what it learns (the supervisor writes it to the merged view and the state table). */
export interface WatcherHooks {
  apply(reported: ReportedResource[], removed: ResourceKey[]): Promise<void>;
  sweep(type: NmosType, reportedIds: string[]): Promise<void>;
  unreachable(): Promise<void>;
  state(update: {
    state?: RegistryConnectionState;
    endpoint?: string;
    api_version?: string;
    synced_types?: string[];
    polled_types?: string[];
    last_error?: string | null;
    event?: true;
  }): void;
}

export interface WatcherTiming {
  /** No message or pong for this long: the websocket is dead, reconnect. */
  watchdogMs: number;
  /** Registries without websockets are walked this often. */
  pollIntervalMs: number;
  /** Sync grains arrive back to back: this much silence ends the snapshot. */
  syncQuietMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
}

/** A registry's watcher as the watchers service sees it: started once, stopped once. */
export interface WatcherHandle {
  readonly entry: RegistryEntry;
  start(): void;
  stop(): Promise<void>;
}

/** Makes a registry's watcher; a provider (REGISTRY_WATCHER_FACTORY), so tests replace the real one. */
export type RegistryWatcherFactory = (entry: RegistryEntry, hooks: WatcherHooks, timing: WatcherTiming) => WatcherHandle;
export const REGISTRY_WATCHER_FACTORY = Symbol('REGISTRY_WATCHER_FACTORY');

/** What a watcher asks of a registry's Query API (one endpoint): QueryApiClient, or a test's stand-in. */
export type QueryApi = Pick<QueryApiClient, 'resolveBase' | 'subscribe' | 'walk' | 'headersFor'>;
/** Makes the Query API client of one endpoint; a provider (QUERY_API_CLIENT_FACTORY), so tests replace it. */
export type QueryApiClientFactory = (entry: RegistryEntry, endpoint: string) => QueryApi;
export const QUERY_API_CLIENT_FACTORY = Symbol('QUERY_API_CLIENT_FACTORY');

/** The providers that build watchers: the real Query API client and watcher, each replaceable by a test. */
export const REGISTRY_WATCHER_PROVIDERS: Provider[] = [
  { provide: QUERY_API_CLIENT_FACTORY, useValue: ((entry, endpoint) => new QueryApiClient(entry, endpoint)) satisfies QueryApiClientFactory },
  {
    provide: REGISTRY_WATCHER_FACTORY,
    inject: [QUERY_API_CLIENT_FACTORY],
    useFactory:
      (newClient: QueryApiClientFactory): RegistryWatcherFactory =>
      (entry, hooks, timing) =>
        new RegistryWatcher(entry, hooks, timing, newClient),
  },
];

/**
 * Follows one registry: a websocket subscription per resource type (the sync grain is the snapshot,
 * then changes), or REST paging where websockets are not offered. A failure of any stream ends the
 * session; the next one tries the next endpoint after a jittered backoff and starts with a fresh
 * snapshot, whose completion sweeps what the registry no longer reports.
 */
export class RegistryWatcher implements WatcherHandle {
  private readonly logger: Logger;
  private readonly abort = new AbortController();
  private readonly sockets = new Set<WebSocket>();
  private stopped = false;
  private running?: Promise<void>;
  private lastProblemLogged = 0;

  constructor(
    readonly entry: RegistryEntry,
    private readonly hooks: WatcherHooks,
    private readonly timing: WatcherTiming,
    private readonly newClient: QueryApiClientFactory,
  ) {
    this.logger = new Logger(`RegistryWatcher ${entry.name}`);
  }

  start(): void {
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    for (const socket of this.sockets) socket.terminate();
    await this.running;
  }

  private async run(): Promise<void> {
    const endpoints = [this.entry.query_url, ...this.entry.endpoints];
    let failures = 0;
    let markedDown = false;
    // Stay on an endpoint that worked; move to the next one of the same registry when it fails.
    let index = 0;
    while (!this.stopped) {
      const endpoint = endpoints[index % endpoints.length];
      this.hooks.state({ state: 'connecting', endpoint });
      let connected = false;
      try {
        await this.session(endpoint, () => {
          connected = true;
          failures = 0;
          markedDown = false;
        });
      } catch (err) {
        if (this.stopped) break;
        const message = (err as Error).message;
        this.logger.warn({ endpoint, err: message }, 'registry session ended');
        this.hooks.state({ last_error: message, state: connected ? 'degraded' : 'connecting' });
        if (!connected) {
          failures++;
          index++;
        }
        // Every endpoint failed in a row: the registry is unreachable, its resources turn stale.
        if (!markedDown && failures >= endpoints.length) {
          markedDown = true;
          // Stale first, then 'down': whoever sees the state sees the resources marked.
          await this.hooks.unreachable().catch((e) => this.logger.warn({ err: (e as Error).message }, 'could not mark resources stale'));
          this.hooks.state({ state: 'down' });
        }
      }
      if (this.stopped) break;
      const backoff = Math.min(this.timing.backoffMaxMs, this.timing.backoffMinMs * 2 ** Math.min(failures, 6));
      await sleep(backoff / 2 + Math.random() * (backoff / 2), this.abort.signal);
    }
  }

  /** Resolves never while healthy; rejects when any stream fails (or resolves when stopped). */
  private async session(endpoint: string, onConnected: () => void): Promise<void> {
    const client = this.newClient(this.entry, endpoint);
    const { base, version } = await client.resolveBase();
    const synced = new Set<NmosType>();
    this.hooks.state({ state: 'syncing', endpoint, api_version: version, synced_types: [], last_error: null });
    const markSynced = (type: NmosType) => {
      synced.add(type);
      this.hooks.state({ synced_types: [...synced], ...(synced.size === NMOS_TYPES.length ? { state: 'connected' as const } : {}) });
      if (synced.size === NMOS_TYPES.length) onConnected();
    };
    const hrefs = await Promise.all(NMOS_TYPES.map((type) => client.subscribe(base, type)));
    // Said in the status: polling sees changes only every REGISTRY_POLL_INTERVAL_MS.
    this.hooks.state({ polled_types: NMOS_TYPES.filter((_, i) => !hrefs[i]) });
    // Everything of this session ends together: when one stream fails, or when the watcher stops.
    const session = new AbortController();
    const endSession = () => session.abort();
    this.abort.signal.addEventListener('abort', endSession, { once: true });
    const ended = new Promise<void>((resolve) => session.signal.addEventListener('abort', () => resolve(), { once: true }));
    const streams = NMOS_TYPES.map((type, i) =>
      hrefs[i]
        ? this.websocketStream(type, hrefs[i]!, client.headersFor(hrefs[i]!), markSynced)
        : this.pollStream(client, base, type, markSynced, session.signal),
    );
    try {
      await Promise.race([...streams, ended]);
    } finally {
      session.abort();
      this.abort.signal.removeEventListener('abort', endSession);
      for (const socket of this.sockets) socket.terminate();
      this.sockets.clear();
    }
  }

  /** What the merged view can take; the rest is logged, naming the field (at most once a minute per registry). */
  private usable(type: NmosType, items: unknown[]): ReportedResource[] {
    const usable: ReportedResource[] = [];
    for (const item of items) {
      const result = toReported(type, item);
      if (result.ok) usable.push(result.resource);
      else if (Date.now() - this.lastProblemLogged > 60_000) {
        this.lastProblemLogged = Date.now();
        this.logger.warn({ problem: result.problem }, 'ignored a resource the registry reported');
      }
    }
    return usable;
  }

  private async pollStream(client: QueryApi, base: string, type: NmosType, onSynced: (type: NmosType) => void, session: AbortSignal): Promise<void> {
    while (!session.aborted) {
      const items = await client.walk(base, type);
      if (session.aborted) return;
      const reported = this.usable(type, items);
      await this.hooks.apply(reported, []);
      await this.hooks.sweep(
        type,
        reported.map((r) => r.id),
      );
      onSynced(type);
      await sleep(this.timing.pollIntervalMs, session);
    }
  }

  private websocketStream(type: NmosType, href: string, headers: Record<string, string>, onSynced: (type: NmosType) => void): Promise<void> {
    return new Promise<void>((_, reject) => {
      const socket = new WebSocket(href, { headers, handshakeTimeout: this.entry.timeout_ms });
      this.sockets.add(socket);
      let syncing = true;
      const seen = new Set<string>();
      let lastHeard = Date.now();
      let quiet: NodeJS.Timeout | undefined;
      // Grains are applied strictly in the order they arrived.
      let chain: Promise<void> = Promise.resolve();
      const fail = (err: Error) => {
        clearInterval(watchdog);
        clearTimeout(quiet);
        socket.terminate();
        reject(err);
      };
      const enqueue = (work: () => Promise<void>) => {
        chain = chain.then(work).catch((err: Error) => fail(err));
      };
      const endSync = async () => {
        if (!syncing) return;
        syncing = false;
        clearTimeout(quiet);
        await this.hooks.sweep(type, [...seen]);
        onSynced(type);
      };
      const watchdog = setInterval(
        () => {
          // Paused by us (backpressure): the registry's messages and pongs wait unread, which says
          // nothing about the registry. The silence is counted again from the resume.
          if (socket.isPaused) {
            lastHeard = Date.now();
            return;
          }
          if (Date.now() - lastHeard > this.timing.watchdogMs) return fail(new Error(`${type}: no message or pong within ${this.timing.watchdogMs} ms`));
          if (socket.readyState === WebSocket.OPEN) socket.ping();
        },
        Math.max(100, Math.floor(this.timing.watchdogMs / 3)),
      );
      socket.on('pong', () => (lastHeard = Date.now()));
      socket.on('error', (err) => fail(err));
      socket.on('close', () => fail(new Error(`${type}: websocket closed`)));
      // Messages that arrive while the previous ones are being applied are applied together, in one
      // merged-view transaction: a registry that caps grains per message (nmos-cpp: 100) would
      // otherwise cost one transaction per hundred resources during a snapshot.
      let inbox: GrainItem[][] = [];
      let inboxItems = 0;
      let scheduled = false;
      const applyInbox = async () => {
        scheduled = false;
        const messages = inbox;
        inbox = [];
        inboxItems = 0;
        if (socket.isPaused) {
          socket.resume();
          lastHeard = Date.now();
        }
        const batch = new ChangeBatch(type);
        for (const items of messages) {
          if (syncing && items.some((item) => !isSyncItem(item))) {
            await batch.applyTo(this.hooks);
            await endSync();
          }
          for (const item of items) {
            if (item.post) {
              const [post] = this.usable(type, [item.post]);
              if (!post) continue;
              batch.report(post);
              if (syncing) seen.add(post.id);
            } else if (item.pre && typeof item.pre.id === 'string') batch.remove(item.pre.id);
          }
        }
        await batch.applyTo(this.hooks);
        if (!syncing) this.hooks.state({ event: true });
        if (syncing) armQuiet();
      };
      /**
       * The snapshot is over once the registry has sent nothing for syncQuietMs and nothing waits to be
       * applied. Counted from its last message, not from the end of an apply: a slow merged view resumes
       * the socket and applies for longer than that, and ending the sync then would sweep resources whose
       * grains are still on their way (removed, then added again a moment later).
       */
      const armQuiet = () => {
        clearTimeout(quiet);
        quiet = setTimeout(() => {
          if (scheduled || inboxItems > 0 || socket.isPaused || Date.now() - lastMessageAt < this.timing.syncQuietMs) return armQuiet();
          enqueue(endSync);
        }, this.timing.syncQuietMs);
      };
      let lastMessageAt = Date.now();
      socket.on('message', (raw) => {
        lastHeard = lastMessageAt = Date.now();
        try {
          const items = grainItems(raw.toString());
          inbox.push(items);
          inboxItems += items.length;
        } catch (err) {
          return fail(err as Error);
        }
        // Backpressure: a registry that sends its snapshot unpaced waits in its TCP window, not in our memory.
        if (inboxItems >= INBOX_HIGH_WATER && !socket.isPaused) socket.pause();
        if (!scheduled) {
          scheduled = true;
          enqueue(applyInbox);
        }
      });
    });
  }
}
