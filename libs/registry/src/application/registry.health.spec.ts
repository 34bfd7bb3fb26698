import { describe, expect, it } from '@jest/globals';
import type { HealthIndicatorService } from '@nestjs/terminus';
import { AlertConditions, type HealthContributors } from '#health';
import { RegistryHealth } from './registry.health.js';
import type { RegistryHealthState, RegistryStatusService } from './registry-status.service.js';

function probeOver(states: () => Promise<RegistryHealthState[]>, conditions = new AlertConditions()) {
  let probe: () => Promise<any> = async () => undefined;
  const contributors = { register: (_name: string, fn: () => Promise<any>) => (probe = fn) } as unknown as HealthContributors;
  const indicators = {
    check: () => ({ up: (details: object) => ({ status: 'up', ...details }), degraded: (details: object) => ({ status: 'degraded', ...details }) }),
  } as unknown as HealthIndicatorService;
  new RegistryHealth(indicators, contributors, { connectionStates: states } as unknown as RegistryStatusService, conditions).onModuleInit();
  return () => probe();
}

describe('the registries readiness contributor', () => {
  it('reads the registries’ states once a second however often it is probed', async () => {
    let reads = 0;
    const probe = probeOver(async () => {
      reads++;
      return [{ name: 'R0', state: 'connected', endpoint: 'http://r0', last_error: null }];
    });
    const answers = await Promise.all(Array.from({ length: 20 }, () => probe()));
    expect(reads).toBe(1);
    expect(answers[19]).toMatchObject({ status: 'up', registries: [{ name: 'R0', state: 'connected' }] });
  });

  it('says degraded, never unready, when a registry is down or the state cannot be read in time', async () => {
    expect(await probeOver(async () => [{ name: 'R0', state: 'down', endpoint: null, last_error: 'refused' }])()).toMatchObject({ status: 'degraded' });
    const hanging = probeOver(() => new Promise(() => undefined));
    expect(await hanging()).toMatchObject({ status: 'degraded', message: expect.stringContaining('no answer within') });
  });

  it('holds registry_down for each registry down or still connecting (a retrying watcher alternates), from the same shared read', async () => {
    const conditions = new AlertConditions();
    let reads = 0;
    const probe = probeOver(async () => {
      reads++;
      return [
        { name: 'R0', state: 'down', endpoint: null, last_error: 'refused' },
        { name: 'R1', state: 'connected', endpoint: 'http://r1', last_error: null },
        { name: 'R2', state: 'connecting', endpoint: null, last_error: null },
        { name: 'R3', state: 'disabled', endpoint: null, last_error: null },
      ];
    }, conditions);
    await probe();
    expect(await conditions.holding('cluster')).toEqual([
      { alert: 'registry_down', severity: 'warning', subject: 'R0', summary: 'registry R0 is not connected: refused' },
      { alert: 'registry_down', severity: 'warning', subject: 'R2', summary: 'registry R2 is not connected' },
    ]);
    expect(await conditions.holding('replica')).toEqual([]);
    expect(reads).toBe(1);
  });
});
