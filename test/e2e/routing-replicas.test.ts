import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PostgresServer } from '#database';
import { Facility } from '../../apps/simulator/src/index.js';
import type { ApiClient } from '../support/api-client.js';
import { TEST_ADMIN, TEST_JWT_SECRET } from '../support/controller.js';
import { ControllerProcess } from '../support/controller-process.js';
import { eventually } from '../support/eventually.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';
import { FacilityEndpoints, waitForFacility } from '../support/routing-fixtures.js';

const SCHEDULER_LEASE = 'routing-scheduler';

/** Routing with two controller processes on one database: claims, schedules and idempotency across replicas. */
describe('routing across replicas', () => {
  let dir: string;
  let pg: PostgresServer;
  let facility: Facility;
  let endpoints: FacilityEndpoints;
  const replicas: ControllerProcess[] = [];
  const admins: ApiClient[] = [];
  const taken = new Set<string>();

  beforeAll(async () => {
    dir = await scratchDir('routing-replicas');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    // Each device answer takes a little while, so takes from the two replicas overlap in time.
    facility = await Facility.start({ registries: 1, nodes: 3, senders: 4, receivers: 6, redundantShare: 0, latencyMs: 15 });
    endpoints = new FacilityEndpoints(facility);
    const env = {
      DATABASE_URL: urlOf(pg.port, 'app'),
      JWT_SECRET: TEST_JWT_SECRET,
      ADMIN_USERNAME: TEST_ADMIN.username,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      LEASE_TTL_SECONDS: '3',
      RECEIVER_LOCK_WAIT_MS: '20000',
      ACTIVE_CHECK_INTERVAL: '0',
    };
    for (let i = 0; i < 2; i++) replicas.push(await (await ControllerProcess.spawn(env)).ready());
    for (const replica of replicas) admins.push(await replica.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password));
    await admins[0].put('/api/registry/config', [{ name: 'R', query_url: facility.registries[0].url, enabled: true }]);
    for (const admin of admins) await waitForFacility(admin, facility);
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await facility?.stop();
    await pg?.stop();
    await removeDir(dir);
  });

  it('never has two takes in flight on one receiver: racing replicas take turns', async () => {
    const video = endpoints.senders().filter((s) => s.kind === 'video');
    const receiver = endpoints.receiver('video', 1, taken);
    receiver.node.requests.length = 0;
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) => admins[i % 2].post('/api/connections', { receiver_id: receiver.id, sender_id: video[i % video.length].id })),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    // Each take is constraints, PATCH, /active; interleaved takes would show two of a kind in a row.
    const steps = FacilityEndpoints.requestsFor(receiver.node, receiver.id).map((r) => r.path.split('/').pop());
    expect(steps).toEqual(Array.from({ length: 16 }, () => ['constraints', 'staged', 'active']).flat());
    const audit = (await admins[1].get(`/api/audit?receiver_id=${receiver.id}&action=connection.take`)).body.items as Array<{
      replica: string;
      duration_ms: number;
    }>;
    expect(audit).toHaveLength(16);
    expect(new Set(audit.map((a) => a.replica)).size).toBe(2);
  });

  it('replays an idempotent take on the other replica without a second PATCH', async () => {
    const sender = endpoints.sender('video', 1);
    const receiver = endpoints.receiver('video', 1, taken);
    receiver.node.requests.length = 0;
    const body = { receiver_id: receiver.id, sender_id: sender.id };
    const first = await admins[0].post('/api/connections', body, { 'idempotency-key': 'replica-retry-1' });
    const retry = await admins[1].post('/api/connections', body, { 'idempotency-key': 'replica-retry-1' });
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(FacilityEndpoints.requestsFor(receiver.node, receiver.id, 'PATCH')).toHaveLength(1);
  });

  it('fires a controller-side schedule once with two replicas, and once more after its holder is killed', async () => {
    const sender = endpoints.sender('video', 1);
    const [first, second] = [endpoints.receiver('video', 1, taken), endpoints.receiver('video', 1, taken)];
    for (const r of [first, second]) r.node.requests.length = 0;
    const fireOnce = await admins[0].post('/api/schedules', {
      connections: [{ receiver_id: first.id, sender_id: sender.id }],
      fire_at: new Date(Date.now() + 1_500).toISOString(),
    });
    expect(fireOnce.status).toBe(201);
    await eventually(async () => expect((await admins[1].get(`/api/schedules/${fireOnce.body.id}`)).body.state).toBe('fired'), 15_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(FacilityEndpoints.requestsFor(first.node, first.id, 'POST')).toHaveLength(1);

    // The holder dies before the next schedule's time: the survivor takes the lease and fires it, late but once.
    const holderOf = async (replica: ControllerProcess) => {
      const leases = (await replica.api.get('/api/health/detail')).body.details.leases;
      return { instance: leases.instance as string, holder: leases.holders.find((h: { name: string }) => h.name === SCHEDULER_LEASE)?.holder as string };
    };
    const a = await holderOf(replicas[0]);
    const [victim, survivor] = a.holder === a.instance ? [replicas[0], replicas[1]] : [replicas[1], replicas[0]];
    const survivorAdmin = admins[replicas.indexOf(survivor)];
    const late = await survivorAdmin.post('/api/schedules', {
      connections: [{ receiver_id: second.id, sender_id: sender.id }],
      fire_at: new Date(Date.now() + 500).toISOString(),
    });
    expect(late.status).toBe(201);
    victim.signal('SIGKILL');
    await victim.exited;
    await eventually(async () => expect((await survivorAdmin.get(`/api/schedules/${late.body.id}`)).body).toMatchObject({ state: 'fired' }), 20_000);
    expect(FacilityEndpoints.requestsFor(second.node, second.id, 'POST')).toHaveLength(1);
    expect(second.node.connection.active('receivers', second.id)).toMatchObject({ sender_id: sender.id, master_enable: true });
  });
});
