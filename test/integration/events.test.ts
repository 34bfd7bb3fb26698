import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DatabaseService, type PostgresServer } from '#database';
import { EventsService, MqttTopicsServer, type MqttTopicContext } from '#events';
import type { ApiClient } from '../support/api-client.js';
import { startController, TEST_ADMIN, TEST_JWT_SECRET, type RunningController } from '../support/controller.js';
import { ControllerProcess } from '../support/controller-process.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/free-port.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';
import { EventSchemas } from '../support/event-schemas.js';
import { TestBroker } from '../support/test-broker.js';
import { recordTestEvents } from '../support/test-events.js';

const PREFIX = 'go-nmos/flows/events';

describe('events through the outbox to a real MQTT broker', () => {
  let dir: string;
  let postgres: PostgresServer;
  let broker: TestBroker;
  let controller: RunningController;
  let admin: ApiClient;
  let db: DatabaseService;
  let events: EventsService;
  const recordBurst = (count: number, label: string) => recordTestEvents(controller.app, label, count);
  const burst = (label: string) => broker.received.filter((m) => m.payload.label === label);
  const expectInOrder = (seqs: number[]) => {
    const unique = [...new Set(seqs)];
    expect(unique).toEqual([...unique].sort((a, b) => a - b));
    for (let i = 1; i < unique.length; i++) expect(unique[i]).toBe(unique[i - 1] + 1);
  };

  beforeAll(async () => {
    dir = await scratchDir('events');
    postgres = await startPrimary(dir);
    await createDatabase(postgres, 'app');
    broker = new TestBroker(await freePort(), `${PREFIX}/#`);
    // The broker is not running yet: the app starts and serves all the same.
    controller = await startController({ DATABASE_URL: urlOf(postgres.port, 'app'), MQTT_BROKER_URL: broker.url });
    admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    db = controller.app.get(DatabaseService);
    events = controller.app.get(EventsService);
  });

  afterAll(async () => {
    await controller?.close();
    await broker?.kill();
    await postgres?.stop();
    await removeDir(dir);
  });

  it('starts and serves with the broker unreachable, degraded but ready', async () => {
    const health = await controller.api.get('/api/health/detail');
    expect(health.status).toBe(200);
    expect(health.body.details.events).toMatchObject({ status: 'degraded', broker: null });
  });

  it('delivers 1,000 events recorded during the outage, in order, once the broker appears', async () => {
    await recordBurst(1000, 'outage');
    await broker.start();
    await eventually(() => expect(new Set(burst('outage').map((m) => m.payload.id)).size).toBe(1000), 30_000);
    const received = burst('outage');
    expect(received.map((m) => m.payload.n).filter((n, i, all) => all.indexOf(n) === i)).toEqual([...Array(1000).keys()]);
    expectInOrder(received.map((m) => m.payload.seq));
    // Duplicates (at-least-once) only ever repeat an id with the same content.
    const byId = new Map<string, string>();
    for (const m of received) {
      const seen = byId.get(m.payload.id);
      if (seen) expect(JSON.stringify(m.payload)).toBe(seen);
      byId.set(m.payload.id, JSON.stringify(m.payload));
    }
    await eventually(async () => expect((await controller.api.get('/api/health/detail')).body.details.events.status).toBe('up'), 10_000);
  });

  it('loses nothing when the broker dies mid-burst and comes back', async () => {
    const recording = recordBurst(600, 'crash');
    await eventually(() => expect(burst('crash').length).toBeGreaterThan(50), 10_000, 10);
    await broker.kill();
    await recording;
    await broker.start();
    // Generous: with the whole suite running on two shared cores, the broker's restart and the catch-up can be slow.
    await eventually(() => expect(new Set(burst('crash').map((m) => m.payload.n)).size).toBe(600), 60_000);
    expectInOrder(burst('crash').map((m) => m.payload.seq));
  });

  it('wakes the relay with a NOTIFY on events_outbox when a recording transaction commits, not before', async () => {
    const listener = new pg.Client({ connectionString: urlOf(postgres.port, 'app') });
    await listener.connect();
    try {
      const heard: number[] = [];
      listener.on('notification', (n) => n.channel === 'events_outbox' && heard.push(Date.now()));
      await listener.query('LISTEN events_outbox');
      let committedAt = 0;
      await db.write(async (sql) => {
        for (let n = 0; n < 3; n++)
          await events.record(sql, {
            type: 'test.burst',
            subject: { kind: 'burst', id: `notify-${n}` },
            topic: 'test/notify',
            retained: false,
            payload: { n },
          });
        await new Promise((r) => setTimeout(r, 200));
        expect(heard).toEqual([]); // uncommitted: nothing yet
        committedAt = Date.now();
      });
      // One notification for the transaction, however many events it recorded.
      await eventually(() => expect(heard).toHaveLength(1), 5_000, 10);
      expect(heard[0]).toBeGreaterThanOrEqual(committedAt);
      await new Promise((r) => setTimeout(r, 200));
      expect(heard).toHaveLength(1);
    } finally {
      await listener.end();
    }
  });

  it('publishes nothing for a transaction that rolled back', async () => {
    await expect(
      db.write(async (sql) => {
        await events.record(sql, {
          type: 'test.burst',
          subject: { kind: 'burst', id: 'never' },
          topic: 'test/rollback',
          retained: false,
          payload: { label: 'rollback' },
        });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await recordBurst(1, 'after-rollback');
    await eventually(() => expect(burst('after-rollback')).toHaveLength(1), 10_000);
    expect(burst('rollback')).toEqual([]);
    expect(await postgres.query("SELECT 1 FROM events WHERE topic = 'test/rollback'", [], 'app')).toEqual([]);
  });

  it('lets a subscriber that saw a gap fill it from /api/events, with the same payloads as on MQTT', async () => {
    const onMqtt = new Map(burst('outage').map((m) => [m.payload.seq, m.payload]));
    const from = Math.min(...onMqtt.keys()) + 100;
    const caught = (await admin.get(`/api/events?after=${from}&limit=50`)).body as Array<{ seq: number }>;
    expect(caught.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => from + 1 + i));
    for (const event of caught) expect(event).toEqual(onMqtt.get(event.seq));
    expect((await admin.get('/api/events?after=-1')).status).toBe(400);
    expect((await controller.api.get('/api/events')).status).toBe(401);
  });

  it('gives third-party topics to a microservice handler as raw JSON (a `data` key is not taken for a Nest packet)', async () => {
    const heard: Array<[string, unknown]> = [];
    const topics = controller.app.get(MqttTopicsServer);
    // As @EventPattern('test.tally') in a controller would register it.
    topics.addHandler('test.tally', async (message: unknown, context: MqttTopicContext) => void heard.push([context.getTopic(), message]), true);
    await topics.route('tally/+/state', 'test.tally');
    const { default: mqtt } = await import('mqtt');
    const panel = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
    try {
      await panel.publishAsync('tally/cam1/state', JSON.stringify({ data: { red: true }, pattern: 'not-nest' }), { qos: 1 });
      await panel.publishAsync('tally/cam1/other', JSON.stringify({ ignored: true }), { qos: 1 });
      await panel.publishAsync('tally/cam2/state', 'not json', { qos: 1 });
      await eventually(() => expect(heard).toEqual([['tally/cam1/state', { data: { red: true }, pattern: 'not-nest' }]]), 5_000);
    } finally {
      await panel.endAsync();
    }
  });

  it('connects each replica with a client id of its own and a retained presence', async () => {
    // Another process, as a replica is: the instance id is per process.
    const second = await (
      await ControllerProcess.spawn({
        DATABASE_URL: urlOf(postgres.port, 'app'),
        MQTT_BROKER_URL: broker.url,
        JWT_SECRET: TEST_JWT_SECRET,
        ADMIN_USERNAME: TEST_ADMIN.username,
        ADMIN_PASSWORD: TEST_ADMIN.password,
      })
    ).ready();
    try {
      await eventually(() => expect(new Set(broker.clientIds).size).toBeGreaterThanOrEqual(2), 10_000);
      const presences = broker.received.filter((m) => m.topic.startsWith(`${PREFIX}/presence/`) && m.payload.state === 'online');
      expect(presences.every((m) => m.retain)).toBe(true);
      for (const presence of presences) expect(new EventSchemas().problems(presence.payload, 'presence.schema.json')).toEqual([]);
      expect(new Set(presences.map((m) => m.payload.instance)).size).toBeGreaterThanOrEqual(2);
    } finally {
      await second.stop();
    }
  });
});

describe('a broker pair', () => {
  it('fails over to the second broker and republishes the replay window there', async () => {
    const dir = await scratchDir('events-pair');
    const postgres = await startPrimary(dir);
    await createDatabase(postgres, 'app');
    const first = new TestBroker(await freePort(), `${PREFIX}/#`);
    const second = new TestBroker(await freePort(), `${PREFIX}/#`);
    await first.start();
    await second.start();
    const controller = await startController({
      DATABASE_URL: urlOf(postgres.port, 'app'),
      MQTT_BROKER_URL: `${first.url},${second.url}`,
      MQTT_REPLAY_WINDOW: '30s',
    });
    try {
      const record = (label: string, count: number) => recordTestEvents(controller.app, label, count);
      await record('before', 50);
      await eventually(() => expect(first.received.filter((m) => m.payload.label === 'before')).toHaveLength(50), 10_000);
      // The first broker acknowledged them; as if its bridge were down, the second never got them.
      expect(second.received.filter((m) => m.payload.label === 'before')).toEqual([]);
      await first.kill();
      await record('after', 10);
      await eventually(() => {
        const onSecond = second.received.filter((m) => m.topic.startsWith(`${PREFIX}/test/`));
        expect(new Set(onSecond.filter((m) => m.payload.label === 'before').map((m) => m.payload.n)).size).toBe(50);
        expect(new Set(onSecond.filter((m) => m.payload.label === 'after').map((m) => m.payload.n)).size).toBe(10);
      }, 20_000);
      // Replayed events keep their ids and sequence numbers, so subscribers drop duplicates by id.
      const replayed = second.received.find((m) => m.payload.label === 'before' && m.payload.n === 0)!.payload;
      const original = first.received.find((m) => m.payload.label === 'before' && m.payload.n === 0)!.payload;
      expect(replayed).toEqual(original);
    } finally {
      await controller.close();
      await second.kill();
      await postgres.stop();
      await removeDir(dir);
    }
  });
});

describe('event retention', () => {
  it('prunes sent events older than EVENT_RETENTION, never unsent ones', async () => {
    const dir = await scratchDir('events-retention');
    const postgres = await startPrimary(dir);
    await createDatabase(postgres, 'app');
    const broker = new TestBroker(await freePort(), `${PREFIX}/#`);
    await broker.start();
    const controller = await startController({ DATABASE_URL: urlOf(postgres.port, 'app'), MQTT_BROKER_URL: broker.url, EVENT_RETENTION: '2s' });
    try {
      const db = controller.app.get(DatabaseService);
      const events = controller.app.get(EventsService);
      await db.write((sql) =>
        events.record(sql, {
          type: 'test.burst',
          subject: { kind: 'burst', id: 'old' },
          topic: 'test/retention',
          retained: false,
          payload: { label: 'retention' },
        }),
      );
      await eventually(() => expect(broker.received.filter((m) => m.payload.label === 'retention')).toHaveLength(1), 10_000);
      await eventually(async () => expect(await postgres.query("SELECT 1 FROM events WHERE topic = 'test/retention'", [], 'app')).toEqual([]), 10_000);
      // An event the broker never acknowledged is kept, however old.
      await broker.kill();
      await db.write((sql) =>
        events.record(sql, {
          type: 'test.burst',
          subject: { kind: 'burst', id: 'unsent' },
          topic: 'test/unsent',
          retained: false,
          payload: { label: 'unsent' },
        }),
      );
      await new Promise((r) => setTimeout(r, 3_500));
      expect(await postgres.query("SELECT 1 FROM events WHERE topic = 'test/unsent'", [], 'app')).toHaveLength(1);
    } finally {
      await controller.close();
      await broker.kill();
      await postgres.stop();
      await removeDir(dir);
    }
  });
});
