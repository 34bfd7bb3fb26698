import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PostgresServer } from '#database';
import { Facility } from '../../apps/simulator/src/index.js';
import { TEST_ADMIN, TEST_JWT_SECRET } from '../support/controller.js';
import { ControllerProcess } from '../support/controller-process.js';
import { metricValue } from '../support/metrics.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/free-port.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';
import { TestBroker } from '../support/test-broker.js';

const PREFIX = 'go-nmos/flows/events';

/** Two replicas; the one relaying events is killed with SIGKILL in the middle of a burst. */
describe('the event relay across replicas', () => {
  let dir: string;
  let pg: PostgresServer;
  let broker: TestBroker;
  let facility: Facility;
  const replicas: ControllerProcess[] = [];

  beforeAll(async () => {
    dir = await scratchDir('relay-takeover');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    broker = new TestBroker(await freePort(), `${PREFIX}/#`);
    await broker.start();
    facility = await Facility.start({ registries: 1, nodes: 4, senders: 2, receivers: 1 });
    const env = {
      DATABASE_URL: urlOf(pg.port, 'app'),
      MQTT_BROKER_URL: broker.url,
      JWT_SECRET: TEST_JWT_SECRET,
      ADMIN_USERNAME: TEST_ADMIN.username,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      LEASE_TTL_SECONDS: '3',
    };
    for (let i = 0; i < 2; i++) replicas.push(await (await ControllerProcess.spawn(env)).ready());
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await facility?.stop();
    await broker?.kill();
    await pg?.stop();
    await removeDir(dir);
  });

  it('carries on from the first unacknowledged event on the other replica: nothing lost, order kept', async () => {
    const [a, b] = replicas;
    const admin = await a.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.put('/api/registry/config', [{ name: 'R', query_url: facility.registries[0].queryUrl, enabled: true }]);
    await eventually(() => expect(broker.received.length).toBeGreaterThan(10), 15_000);

    const relayOf = async (replica: ControllerProcess) => {
      const leases = (await replica.api.get('/api/health/detail')).body.details.leases;
      return { instance: leases.instance as string, holder: leases.holders.find((h: { name: string }) => h.name === 'event-relay')?.holder as string };
    };
    const holder = (await relayOf(a)).holder;
    const [victim, survivor] = holder === (await relayOf(a)).instance ? [a, b] : [b, a];

    const survivorMetrics = async () => (await survivor.api.get('/metrics')).body as string;
    expect(metricValue(await survivorMetrics(), 'nmos_control_lease_held', { lease: 'event-relay' })).toBe(0);
    expect(metricValue((await victim.api.get('/metrics')).body as string, 'nmos_control_lease_held', { lease: 'event-relay' })).toBe(1);

    // A burst of changes, and the relaying replica dies in the middle of it.
    const added: string[] = [];
    for (let i = 0; i < 40; i++) added.push(facility.nodes[i % 4].addSender().id);
    await new Promise((r) => setTimeout(r, 150));
    victim.signal('SIGKILL');
    await victim.exited;
    for (let i = 0; i < 20; i++) added.push(facility.nodes[i % 4].addSender().id);

    const survivorAdmin = survivor.api.as((await survivor.api.post('/api/login', TEST_ADMIN)).body.token);
    await eventually(async () => {
      const published = new Set(
        broker.received.filter((m) => m.payload.type === 'nmos.resource.added' && m.payload.resource_type === 'senders').map((m) => m.payload.resource_id),
      );
      for (const id of added) expect(published).toContain(id);
    }, 30_000);
    // The takeover in the survivor's series: it holds the relay now, took it once, and published the rest.
    // (The broker hands a message to subscribers before its PUBACK reaches the relay, which counts then.)
    await eventually(async () => {
      const after = await survivorMetrics();
      expect(metricValue(after, 'nmos_control_lease_held', { lease: 'event-relay' })).toBe(1);
      expect(metricValue(after, 'nmos_control_lease_acquired_total', { lease: 'event-relay' })).toBe(1);
      expect(metricValue(after, 'nmos_control_events_published_total')).toBeGreaterThan(0);
    });
    // Every event the database holds was published, in sequence order, without a gap.
    const stored = (await survivorAdmin.get('/api/events?after=0&limit=1000')).body as Array<{ seq: number; id: string }>;
    const events = broker.received.filter((m) => typeof m.payload.seq === 'number');
    const published = new Map(events.map((m) => [m.payload.id, m.payload.seq]));
    for (const event of stored) expect(published.get(event.id)).toBe(event.seq);
    expect(stored.map((e) => e.seq)).toEqual(stored.map((_, i) => i + 1));
    const firstSeen = [...new Map(events.map((m) => [m.payload.seq, m.payload.seq])).keys()];
    expect(firstSeen).toEqual([...firstSeen].sort((x, y) => x - y));
  });
});
