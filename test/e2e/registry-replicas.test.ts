import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PostgresServer } from '#database';
import { Facility } from '../../apps/simulator/src/index.js';
import type { ApiClient } from '../support/api-client.js';
import { TEST_ADMIN, TEST_JWT_SECRET } from '../support/controller.js';
import { ControllerProcess } from '../support/controller-process.js';
import { eventually } from '../support/eventually.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';

const LEASE = 'registry-watchers';

/** Two controller processes on one database: one watches the registries, both serve the same view. */
describe('registry watching across replicas', () => {
  let dir: string;
  let pg: PostgresServer;
  let facility: Facility;
  const replicas: ControllerProcess[] = [];
  const ids = async (api: ApiClient) => ((await api.get('/api/nmos/senders?limit=1000')).body as Array<{ id: string }>).map((s) => s.id).sort();
  const holder = async (replica: ControllerProcess) => {
    const detail = (await replica.api.get('/api/health/detail')).body.details.leases;
    return { instance: detail.instance as string, holder: detail.holders.find((h: { name: string }) => h.name === LEASE)?.holder as string | null };
  };

  beforeAll(async () => {
    dir = await scratchDir('registry-replicas');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    facility = await Facility.start({ registries: 2, nodes: 4, senders: 3, receivers: 2, heartbeatIntervalMs: 500 });
    const env = {
      DATABASE_URL: urlOf(pg.port, 'app'),
      JWT_SECRET: TEST_JWT_SECRET,
      ADMIN_USERNAME: TEST_ADMIN.username,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      LEASE_TTL_SECONDS: '4',
    };
    for (let i = 0; i < 2; i++) replicas.push(await (await ControllerProcess.spawn(env)).ready());
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await facility?.stop();
    await pg?.stop();
    await removeDir(dir);
  });

  it('lets one replica watch, serves the same view on both, and carries on after the watcher is killed', async () => {
    const [a, b] = replicas;
    const adminA = await a.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    const adminB = b.api.as((await b.api.post('/api/login', TEST_ADMIN)).body.token);
    await adminA.put(
      '/api/registry/config',
      facility.registries.map((r) => ({ name: `R${r.options.index}`, query_url: r.queryUrl, enabled: true })),
    );
    const expected = facility.nodes.flatMap((n) => n.model.senders.map((s) => s.resource.id)).sort();
    await eventually(async () => expect(await ids(adminA)).toEqual(expected), 15_000);
    expect(await ids(adminB)).toEqual(expected);

    const { holder: watcher } = await holder(a);
    const [victim, survivor, survivorAdmin] = watcher === (await holder(a)).instance ? [a, b, adminB] : [b, a, adminA];
    expect([(await holder(a)).instance, (await holder(b)).instance]).toContain(watcher);
    victim.signal('SIGKILL');
    await victim.exited;
    const killedAt = Date.now();
    await eventually(async () => expect((await holder(survivor)).holder).toBe((await holder(survivor)).instance), 15_000, 200);
    expect(Date.now() - killedAt).toBeLessThan(10_000);

    // The survivor watches: a change on the facility reaches the view, which stayed complete throughout.
    expect(await ids(survivorAdmin)).toEqual(expected);
    const added = facility.nodes[1].addSender();
    await eventually(async () => expect(await ids(survivorAdmin)).toContain(added.id), 10_000);
    await eventually(
      async () => expect((await survivorAdmin.get('/api/registry/status')).body.map((r: { state: string }) => r.state)).toEqual(['connected', 'connected']),
      10_000,
    );
  });
});
