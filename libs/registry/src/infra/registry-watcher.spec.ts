import { afterEach, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { NMOS_TYPES, type NmosType, type ReportedResource } from '../domain/nmos-resource.js';
import type { RegistryEntry } from '../domain/registry-entry.js';
import {
  QUERY_API_CLIENT_FACTORY,
  REGISTRY_WATCHER_FACTORY,
  REGISTRY_WATCHER_PROVIDERS,
  type QueryApi,
  type QueryApiClientFactory,
  type RegistryWatcherFactory,
  type WatcherHooks,
} from './registry-watcher.js';

const TIMING = { watchdogMs: 1_000, pollIntervalMs: 50, syncQuietMs: 50, backoffMinMs: 10, backoffMaxMs: 20 };
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const entry: RegistryEntry = {
  name: 'R0',
  query_url: 'http://first.example/x-nmos/query/v1.3',
  endpoints: ['http://second.example/x-nmos/query/v1.3'],
  enabled: true,
  priority: 0,
  timeout_ms: 1_000,
  auth: null,
};

async function until(check: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 5_000; !check();) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** What a watcher told its supervisor, in order. */
function recordingHooks() {
  const seen = { applied: [] as ReportedResource[][], swept: [] as Array<[NmosType, string[]]>, unreachable: 0, states: [] as Array<Record<string, unknown>> };
  const hooks: WatcherHooks = {
    apply: async (reported) => void seen.applied.push(reported),
    sweep: async (type, ids) => void seen.swept.push([type, ids]),
    unreachable: async () => void seen.unreachable++,
    state: (update) => void seen.states.push(update),
  };
  return { seen, hooks };
}

/**
 * The registry watcher as the registry module's providers build it, with the Query API client factory
 * overridden: its sync logic (REST walks, sweeps, states, endpoint failover) without a registry.
 */
describe('a registry watcher (DI-level, Query API client replaced)', () => {
  let module: TestingModule;
  let stop: () => Promise<void> = async () => undefined;
  afterEach(async () => {
    await stop();
    await module?.close();
  });

  async function watcherWith(newClient: QueryApiClientFactory, hooks: WatcherHooks) {
    module = await Test.createTestingModule({ providers: REGISTRY_WATCHER_PROVIDERS }).overrideProvider(QUERY_API_CLIENT_FACTORY).useValue(newClient).compile();
    const watcher = module.get<RegistryWatcherFactory>(REGISTRY_WATCHER_FACTORY)(entry, hooks, TIMING);
    watcher.start();
    stop = () => watcher.stop();
  }

  it('walks a registry without websockets: applies what it can use, sweeps what it no longer reports, connected once every type is synced', async () => {
    const senders: Array<Record<string, unknown>> = [
      { id: uuid(1), version: '100:0', label: 'cam 1' },
      { id: 'not-a-uuid', version: '100:0' },
      { id: uuid(2), version: 'yesterday' },
    ];
    const walked: string[] = [];
    const client: QueryApi = {
      resolveBase: async () => ({ base: `${entry.query_url}`, version: 'v1.3' }),
      subscribe: async () => undefined,
      walk: async (_base, type) => {
        walked.push(type);
        return type === 'senders' ? senders : [];
      },
      headersFor: () => ({}),
    };
    const { seen, hooks } = recordingHooks();
    await watcherWith(() => client, hooks);

    await until(() => seen.states.some((s) => s.state === 'connected'));
    expect(seen.states[0]).toEqual({ state: 'connecting', endpoint: entry.query_url });
    expect(seen.states).toContainEqual({ polled_types: [...NMOS_TYPES] });
    // Only the usable sender is applied; the two broken entries are left out, not fatal.
    expect(seen.applied.flat()).toEqual([{ type: 'senders', id: uuid(1), version: '100:0', data: senders[0] }]);
    expect(seen.swept).toContainEqual(['senders', [uuid(1)]]);
    // A later walk no longer lists it: the sweep reports none (the merged view turns it stale).
    senders.splice(0, 1);
    await until(() => seen.swept.some(([type, ids]) => type === 'senders' && ids.length === 0));
    expect(walked.filter((t) => t === 'senders').length).toBeGreaterThanOrEqual(2);
    expect(seen.unreachable).toBe(0);
  });

  it('moves to the next endpoint when one fails, and marks the registry down (its resources stale) once every endpoint has failed', async () => {
    const asked: string[] = [];
    let secondUp = false;
    const newClient: QueryApiClientFactory = (_entry, endpoint) => ({
      resolveBase: async () => {
        asked.push(endpoint);
        if (endpoint === entry.query_url || !secondUp) throw new Error(`${endpoint}: connection refused`);
        return { base: endpoint, version: 'v1.3' };
      },
      subscribe: async () => undefined,
      walk: async () => [],
      headersFor: () => ({}),
    });
    const { seen, hooks } = recordingHooks();
    await watcherWith(newClient, hooks);

    await until(() => seen.states.some((s) => s.state === 'down'));
    expect(asked.slice(0, 2)).toEqual([entry.query_url, entry.endpoints[0]]);
    expect(seen.unreachable).toBe(1);
    expect(seen.states).toContainEqual({ last_error: `${entry.query_url}: connection refused`, state: 'connecting' });
    // The second endpoint comes back: the watcher syncs through it, and marks nothing stale again.
    secondUp = true;
    await until(() => seen.states.some((s) => s.state === 'connected'));
    expect(asked.at(-1)).toBe(entry.endpoints[0]);
    expect(seen.unreachable).toBe(1);
  });
});
