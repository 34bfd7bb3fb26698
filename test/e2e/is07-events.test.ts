import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PostgresServer } from '#database';
import { Facility, NmosSchemas } from '../../apps/simulator/src/index.js';
import type { ApiClient } from '../support/api-client.js';
import { TEST_ADMIN, TEST_JWT_SECRET } from '../support/controller.js';
import { ControllerProcess } from '../support/controller-process.js';
import { EventSchemas } from '../support/event-schemas.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/free-port.js';
import { metricValue } from '../support/metrics.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';
import { TestBroker } from '../support/test-broker.js';

const PREFIX = 'go-nmos/flows/events';

interface EventSenderView {
  sender_id: string;
  following: boolean;
  reason: string | null;
  topic: string | null;
  connection_status_topic: string | null;
  broker: { host: string | null; port: number | null } | null;
  connected: boolean | null;
  state: { event_type: string; payload: { value: unknown }; creation_timestamp: string } | null;
}

/**
 * IS-07 senders over MQTT (simulated devices publishing to the facility's broker) followed by two
 * controller replicas through the Events module's microservice transport: each state is recorded
 * once whichever replica hears it first, a bad message changes nothing, a last will is seen.
 */
describe('IS-07 event and tally senders over MQTT', () => {
  let dir: string;
  let pg: PostgresServer;
  let broker: TestBroker;
  let facility: Facility;
  const replicas: ControllerProcess[] = [];
  const admins: ApiClient[] = [];
  const schemas = new EventSchemas();
  const nmosSchemas = new NmosSchemas();

  const senders = () => facility.nodes.flatMap((node) => node.model.eventSenders.map((sender) => ({ node, sender })));
  const view = async (api: ApiClient, id: string) => (await api.get(`/api/event-senders/${id}`)).body as EventSenderView;
  const is07Events = async (id: string) =>
    ((await admins[0].get('/api/events?after=0&limit=1000')).body as Array<Record<string, unknown> & { type: string; subject: { id: string } }>).filter(
      (e) => e.type.startsWith('is07.') && e.subject.id === id,
    );

  beforeAll(async () => {
    dir = await scratchDir('is07');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    broker = new TestBroker(await freePort(), `${PREFIX}/is07/#`);
    await broker.start();
    facility = await Facility.start({ registries: 1, nodes: 2, senders: 1, receivers: 1, eventSenders: 2, eventsBroker: broker.url, heartbeatIntervalMs: 500 });
    const env = {
      DATABASE_URL: urlOf(pg.port, 'app'),
      MQTT_BROKER_URL: broker.url,
      JWT_SECRET: TEST_JWT_SECRET,
      ADMIN_USERNAME: TEST_ADMIN.username,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      IS07_REFRESH_INTERVAL: '1',
      ACTIVE_CHECK_INTERVAL: '0',
    };
    for (let i = 0; i < 2; i++) replicas.push(await (await ControllerProcess.spawn(env)).ready());
    for (const replica of replicas) admins.push(await replica.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password));
    expect((await admins[0].put('/api/registry/config', [{ name: 'R0', query_url: facility.registries[0].url, enabled: true }])).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await facility?.stop();
    await broker?.kill();
    await pg?.stop();
    await removeDir(dir);
  });

  it('the simulated IS-07 senders are IS-04 and IS-05 as the schemas say', () => {
    for (const { node, sender } of senders()) {
      expect(nmosSchemas.problems('is-04', 'sender.json', sender.resource)).toEqual([]);
      expect(nmosSchemas.problems('is-04', 'flow.json', sender.flow)).toEqual([]);
      expect(nmosSchemas.problems('is-04', 'source.json', sender.source)).toEqual([]);
      const active = node.connection.active('senders', sender.resource.id) as { transport_params: unknown[] };
      expect(nmosSchemas.problems('is-05', 'sender_transport_params_mqtt.json', active.transport_params[0])).toEqual([]);
    }
  });

  it('follows every IS-07 sender of the merged view on every replica, with its topics from /active and its retained state', async () => {
    const port = Number(new URL(broker.url).port);
    await eventually(async () => {
      for (const api of admins) {
        const list = (await api.get('/api/event-senders')).body as EventSenderView[];
        expect(list.map((s) => s.sender_id).sort()).toEqual(
          senders()
            .map((s) => s.sender.resource.id)
            .sort(),
        );
        for (const { sender } of senders()) {
          expect(list.find((s) => s.sender_id === sender.resource.id)).toMatchObject({
            following: true,
            reason: null,
            broker: { host: '127.0.0.1', port },
            topic: sender.topic,
            connection_status_topic: sender.statusTopic,
            connected: true,
            state: { event_type: 'boolean', payload: { value: false } },
          });
        }
      }
    }, 30_000);
    expect((await admins[0].get('/api/event-senders/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await admins[0].get('/api/event-senders/not-a-uuid')).status).toBe(400);
  });

  it('records a new state once, with one event, though both replicas heard it', async () => {
    const [{ node, sender }] = senders();
    const id = sender.resource.id;
    const published = await node.eventPublishers.get(id)!.set(true);
    const creation = (published.timing as { creation_timestamp: string }).creation_timestamp;
    await eventually(async () => {
      for (const api of admins) expect((await view(api, id)).state).toMatchObject({ payload: { value: true }, creation_timestamp: creation });
    }, 10_000);
    // Both replicas have handled it by now: their counters add up to one recorded and one unchanged.
    await eventually(async () => {
      const counts = await Promise.all(replicas.map(async (r) => (await r.api.get('/metrics')).body as string));
      const sum = (outcome: string) =>
        counts.reduce((n, text) => n + (metricValue(text, 'nmos_control_is07_messages_total', { kind: 'state', outcome }) ?? 0), 0);
      expect(sum('recorded') + sum('unchanged')).toBeGreaterThanOrEqual(2 * senders().length + 2);
    }, 10_000);
    const changes = (await is07Events(id)).filter((e) => e.type === 'is07.state.changed' && e.creation_timestamp === creation);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ sender_id: id, flow_id: sender.flow.id, source_id: sender.source.id, event_type: 'boolean', payload: { value: true } });
    expect(schemas.problems(changes[0])).toEqual([]);
    await eventually(() => {
      const onMqtt = broker.received.filter((m) => m.topic === `${PREFIX}/is07/${id}` && m.payload?.creation_timestamp === creation);
      expect(onMqtt).toHaveLength(1);
      expect(onMqtt[0].retain).toBe(true);
    }, 10_000);
  });

  it('ignores a message that is not JSON, of the wrong value type or of another flow, changing nothing', async () => {
    const [{ node, sender }] = senders();
    const id = sender.resource.id;
    const publisher = node.eventPublishers.get(id)!;
    const before = await view(admins[0], id);
    const eventsBefore = (await is07Events(id)).length;
    const good = publisher.message();
    await publisher.publishRaw('not json');
    await publisher.publishRaw(JSON.stringify({ ...good, payload: { value: 'yes' } }));
    await publisher.publishRaw(JSON.stringify({ ...good, identity: { source_id: sender.source.id, flow_id: sender.resource.id } }));
    await publisher.publishRaw(JSON.stringify({ ...good, timing: { creation_timestamp: 'yesterday' } }));
    await eventually(async () => {
      const text = (await replicas[0].api.get('/metrics')).body as string;
      expect(metricValue(text, 'nmos_control_is07_messages_total', { kind: 'state', outcome: 'invalid' })).toBe(3);
    }, 10_000);
    expect(await view(admins[0], id)).toEqual(before);
    expect(await is07Events(id)).toHaveLength(eventsBefore);
  });

  it('sees a sender drop off the broker through its last will', async () => {
    const [, { node, sender }] = senders();
    const id = sender.resource.id;
    node.eventPublishers.get(id)!.crash();
    await eventually(async () => expect((await view(admins[1], id)).connected).toBe(false), 15_000);
    const changes = (await is07Events(id)).filter((e) => e.type === 'is07.connection.changed');
    expect(changes.map((e) => e.active)).toEqual([true, false]);
    for (const change of changes) expect(schemas.problems(change)).toEqual([]);
  });

  it('does not follow a sender that publishes to a broker this controller is not connected to, and says so', async () => {
    const [{ node, sender }] = senders();
    const id = sender.resource.id;
    const patch = await fetch(`${node.connectionApiUrl}/single/senders/${id}/staged`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ transport_params: [{ destination_host: '192.0.2.200', destination_port: 1883 }], activation: { mode: 'activate_immediate' } }),
    });
    expect(patch.status).toBe(200);
    await eventually(async () => {
      for (const api of admins)
        expect(await view(api, id)).toMatchObject({ following: false, reason: 'other_broker', broker: { host: '192.0.2.200', port: 1883 } });
    }, 15_000);
  });
});
