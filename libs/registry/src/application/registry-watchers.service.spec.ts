import { afterEach, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { AppConfig } from '#config';
import { LeaseService } from '#database';
import type { RegistryEntry } from '../domain/registry-entry.js';
import { REGISTRY_WATCHER_FACTORY, type RegistryWatcherFactory } from '../infra/registry-watcher.js';
import { MergedViewService } from './merged-view.service.js';
import { RegistryConfigService } from './registry-config.service.js';
import { RegistryDiscoveryService } from './registry-discovery.service.js';
import { RegistryStatePublisher } from './registry-state-publisher.js';
import { RegistryWatchersService } from './registry-watchers.service.js';

/** Until `check` holds (the service reconciles on its own timer), at most five seconds. */
async function eventuallyTrue(check: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 5_000; !check();) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const entry = (name: string, url = `http://${name.toLowerCase()}.example/x-nmos/query/v1.3`, enabled = true): RegistryEntry => ({
  name,
  query_url: url,
  enabled,
  endpoints: [],
  priority: 0,
  timeout_ms: 1_000,
  auth: null,
});

/**
 * RegistryWatchersService as Nest builds it, with the watcher factory overridden: which watchers run
 * as the configuration changes, and which registries' copies go, without a registry or a database.
 */
describe('registry watchers follow the configuration (DI-level)', () => {
  let module: TestingModule;
  afterEach(async () => module?.close());

  async function watchers(initial: RegistryEntry[]) {
    const config = { revision: 1, entries: initial };
    const log: string[] = [];
    const removed: string[] = [];
    const factory: RegistryWatcherFactory = (e) => ({
      entry: e,
      start: () => void log.push(`start ${e.name} ${e.query_url}`),
      stop: async () => void log.push(`stop ${e.name}`),
    });
    module = await Test.createTestingModule({
      providers: [
        RegistryWatchersService,
        { provide: LeaseService, useValue: { participate: (_name: string, listener: { acquired(): void }) => listener.acquired(), isHeld: () => true } },
        { provide: RegistryConfigService, useValue: { revision: async () => config.revision, entriesWithCredentials: async () => config.entries } },
        { provide: RegistryDiscoveryService, useValue: { revision: 0, settled: true, entry: () => null, start: () => undefined, stop: async () => undefined } },
        {
          provide: MergedViewService,
          useValue: {
            registriesWithCopies: async () => ['R0', 'R1', 'old'].filter((n) => !removed.includes(n)),
            removeRegistry: async (name: string) => void removed.push(name),
            pruneStale: async () => 0,
          },
        },
        {
          provide: RegistryStatePublisher,
          useValue: { reset: () => undefined, stop: () => undefined, save: async () => undefined, keepOnly: async () => undefined },
        },
        { provide: AppConfig, useValue: { registry: { watchdogSeconds: 15, pollIntervalMs: 2_000, staleGraceSeconds: 60 } } },
        { provide: REGISTRY_WATCHER_FACTORY, useValue: factory },
      ],
    }).compile();
    const service = module.get(RegistryWatchersService);
    service.onApplicationBootstrap();
    const change = (entries: RegistryEntry[]) => {
      config.entries = entries;
      config.revision++;
    };
    return { service, log, removed, change };
  }

  it('starts one watcher per enabled registry, and removes the copies of registries no longer configured', async () => {
    const { log, removed } = await watchers([entry('R0'), entry('R1', undefined, false)]);
    await eventuallyTrue(() => log.length === 1);
    expect(log).toEqual(['start R0 http://r0.example/x-nmos/query/v1.3']);
    await eventuallyTrue(() => removed.length === 2);
    expect(removed.sort()).toEqual(['R1', 'old']);
  });

  it('restarts only the watcher whose entry changed, and stops the one removed', async () => {
    const { log, removed, change } = await watchers([entry('R0'), entry('R1')]);
    await eventuallyTrue(() => log.length === 2);
    change([entry('R0'), entry('R1', 'http://r1-new.example/x-nmos/query/v1.3')]);
    await eventuallyTrue(() => log.length === 4);
    expect(log.slice(2)).toEqual(['stop R1', 'start R1 http://r1-new.example/x-nmos/query/v1.3']);
    change([entry('R1', 'http://r1-new.example/x-nmos/query/v1.3')]);
    await eventuallyTrue(() => log.length === 5);
    expect(log[4]).toBe('stop R0');
    await eventuallyTrue(() => removed.includes('R0'));
  });

  it('stops every watcher when the lease goes (application shutdown)', async () => {
    const { service, log } = await watchers([entry('R0'), entry('R1')]);
    await eventuallyTrue(() => log.length === 2);
    await service.beforeApplicationShutdown();
    expect(log.slice(2).sort()).toEqual(['stop R0', 'stop R1']);
  });
});
