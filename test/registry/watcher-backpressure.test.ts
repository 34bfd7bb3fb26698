import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Facility } from '../../apps/simulator/src/index.js';
import { RegistryWatcher, type WatcherHooks } from '../../libs/registry/src/infra/registry-watcher.js';
import { QueryApiClient } from '../../libs/registry/src/infra/query-api.client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The watcher asks for an unpaced snapshot and stops reading a websocket whose backlog is full until
 * it has written it. A slow merged view (here, 5 s a write) must neither lose grains nor look like a
 * dead registry: the registry's pongs wait unread while the socket is paused, and the watchdog (here
 * 2 s, still well above what a busy test machine stalls this process for) must not count that as silence.
 */
describe('a registry watcher behind a slow merged view', () => {
  let facility: Facility;

  beforeAll(async () => {
    // 6,000 senders: one snapshot of more grains than the watcher's backlog limit (5,000).
    facility = await Facility.start({ registries: 1, nodes: 200, senders: 30, receivers: 1 });
  });

  afterAll(async () => {
    await facility?.stop();
  });

  it('applies every grain of the snapshot in one session, paused rather than reconnected', async () => {
    const applied = new Map<string, Set<string>>();
    const states: string[] = [];
    const errors: string[] = [];
    let synced: string[] = [];
    const hooks: WatcherHooks = {
      apply: async (reported) => {
        await sleep(5_000);
        for (const r of reported) (applied.get(r.type) ?? applied.set(r.type, new Set()).get(r.type)!).add(r.id);
      },
      sweep: async () => undefined,
      unreachable: async () => undefined,
      state: (update) => {
        if (update.state) states.push(update.state);
        if (update.last_error) errors.push(update.last_error);
        if (update.synced_types) synced = update.synced_types;
      },
    };
    const watcher = new RegistryWatcher(
      { name: 'R0', query_url: facility.registries[0].queryUrl, endpoints: [], enabled: true, priority: 0, timeout_ms: 5_000, auth: null },
      hooks,
      { watchdogMs: 2_000, pollIntervalMs: 1_000, syncQuietMs: 300, backoffMinMs: 100, backoffMaxMs: 500 },
      (entry, endpoint) => new QueryApiClient(entry, endpoint),
    );
    watcher.start();
    try {
      const deadline = Date.now() + 90_000;
      while (synced.length < 6 && Date.now() < deadline) await sleep(100);
    } finally {
      await watcher.stop();
    }
    const senders = facility.nodes.flatMap((n) => n.model.senders.map((s) => s.resource.id));
    expect(senders.length).toBe(6_000);
    expect(applied.get('senders')?.size).toBe(6_000);
    expect(synced.sort()).toEqual(['devices', 'flows', 'nodes', 'receivers', 'senders', 'sources']);
    // One session: connecting once, never a watchdog timeout or a reconnection.
    expect(errors).toEqual([]);
    expect(states.filter((s) => s === 'connecting')).toHaveLength(1);
  });
});
