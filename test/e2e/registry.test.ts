import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PostgresServer } from '#database';
import { EventsService } from '#events';
import { Facility, taiNow } from '../../apps/simulator/src/index.js';
import type { ApiClient } from '../support/api-client.js';
import { startController, TEST_ADMIN, type RunningController } from '../support/controller.js';
import { EventSchemas } from '../support/event-schemas.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/free-port.js';
import { metricValue } from '../support/metrics.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the registry module against the simulated facility', () => {
  let dir: string;
  let pg: PostgresServer;
  let facility: Facility;
  let controller: RunningController;
  let admin: ApiClient;
  const allSenders = () => new Set(facility.nodes.flatMap((n) => n.model.senders.map((s) => s.resource.id)));
  const merged = async (type: string, query = '') =>
    (await admin.get(`/api/nmos/${type}?limit=1000${query}`)).body as Array<{
      id: string;
      stale: boolean;
      registries: string[];
      version: string;
      resource: any;
    }>;
  const statusOf = async (name: string) =>
    ((await admin.get('/api/registry/status')).body as Array<{ name: string; state: string }>).find((r) => r.name === name);

  beforeAll(async () => {
    dir = await scratchDir('registry-e2e');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    facility = await Facility.start({
      registries: 2,
      nodes: 6,
      senders: 3,
      receivers: 2,
      multiRegistryShare: 0.5,
      heartbeatIntervalMs: 200,
      heartbeatExpiryMs: 12_000,
    });
    controller = await startController({
      DATABASE_URL: urlOf(pg.port, 'app'),
      REGISTRY_STALE_GRACE: '3',
      REGISTRY_WATCHDOG_SECONDS: '2',
      LEASE_TTL_SECONDS: '3',
    });
    admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    const saved = await admin.put(
      '/api/registry/config',
      facility.registries.map((r) => ({ name: `R${r.options.index}`, query_url: r.url, enabled: true })),
    );
    expect(saved.status).toBe(200);
    await eventually(async () => {
      expect((await statusOf('R0'))?.state).toBe('connected');
      expect((await statusOf('R1'))?.state).toBe('connected');
    }, 15_000);
  });

  afterAll(async () => {
    await controller?.close();
    await facility?.stop();
    await pg?.stop();
    await removeDir(dir);
  });

  it('serves the union of both registries, once each, with provenance', async () => {
    const senders = await merged('senders');
    expect(senders.map((s) => s.id).sort()).toEqual([...allSenders()].sort());
    const twice = facility.nodes.find((n) => n.options.registries.length === 2)!;
    const once = facility.nodes.find((n) => n.options.registries.length === 1)!;
    const node = (await admin.get(`/api/nmos/nodes/${twice.id}`)).body;
    expect(node.registries).toEqual(['R0', 'R1']);
    expect(node.copies.map((c: { registry: string }) => c.registry)).toEqual(['R0', 'R1']);
    expect((await admin.get(`/api/nmos/nodes/${once.id}`)).body.registries).toEqual([`R${once.options.registries[0].options.index}`]);
    const status = (await admin.get('/api/registry/status')).body;
    expect(status[0]).toMatchObject({ name: 'R0', state: 'connected', api_version: 'v1.3', sync: { complete: true }, updates: 'websocket', polled_types: [] });
    expect(status[0].resources.senders).toBeGreaterThan(0);
  });

  it('takes the newest version when registries disagree', async () => {
    const twice = facility.nodes.find((n) => n.options.registries.length === 2)!;
    const sender = twice.model.senders[0].resource;
    const newer = { ...structuredClone(sender), label: 'only R1 knows this', version: taiNow() };
    facility.registries[1].register('senders', newer);
    await eventually(async () => expect((await admin.get(`/api/nmos/senders/${sender.id}`)).body.resource.label).toBe('only R1 knows this'), 5_000);
    const copies = (await admin.get(`/api/nmos/senders/${sender.id}`)).body.copies;
    expect(copies.map((c: { version: string }) => c.version)).toContain(sender.version);
  });

  it('shows a sender added or removed on the facility within 2 s', async () => {
    const node = facility.nodes[2];
    const added = node.addSender();
    await eventually(async () => expect((await merged('senders')).map((s) => s.id)).toContain(added.id), 2_000, 50);
    node.removeSender(added.id);
    await eventually(async () => expect((await merged('senders')).map((s) => s.id)).not.toContain(added.id), 2_000, 50);
  });

  it('serves pages again from its cache, but never one missing a removal whose event was published', async () => {
    const events = controller.app.get(EventsService);
    const { default: mqtt } = await import('mqtt');
    const subscriber = await mqtt.connectAsync(events.embeddedBrokerUrl!, { ...events.embeddedBrokerSubscriber!, protocolVersion: 4 });
    const removals: string[] = [];
    subscriber.on('message', (_topic, payload) => {
      const event = JSON.parse(payload.toString()) as { type: string; subject: { id: string } };
      if (event.type === 'nmos.resource.removed') removals.push(event.subject.id);
    });
    const lookups = async (listing: string) =>
      metricValue((await controller.api.get('/metrics')).body as string, 'nmos_control_view_cache_lookups_total', { listing, result: 'hit' }) ?? 0;
    const listings = {
      api: async () => ((await admin.get('/api/nmos/senders?limit=1000')).body as Array<{ id: string }>).map((s) => s.id),
      query_api: async () => ((await admin.get('/x-nmos/query/v1.3/senders?paging.limit=1000')).body as Array<{ id: string }>).map((s) => s.id),
    };
    try {
      await subscriber.subscribeAsync('go-nmos/flows/events/nmos/senders/+', { qos: 1 });
      for (const [listing, read] of Object.entries(listings)) {
        const node = facility.nodes[3];
        const added = node.addSender();
        await eventually(async () => expect(await read()).toContain(added.id), 5_000, 50);
        // Read again once nothing changes (its other registry may report it a moment later): from the cache.
        await eventually(async () => {
          const hitsBefore = await lookups(listing);
          expect(await read()).toContain(added.id);
          expect(await lookups(listing)).toBeGreaterThan(hitsBefore);
        }, 5_000);

        node.removeSender(added.id);
        await eventually(() => expect(removals).toContain(added.id), 5_000, 5);
        // The first read after the removal event is heard already lacks the sender.
        expect(await read()).not.toContain(added.id);
      }
    } finally {
      await subscriber.endAsync();
    }
  });

  it('filters, searches, sorts and pages the merged view with a cursor and a total', async () => {
    const video = await merged('senders', '&flow_id=' + facility.nodes[0].model.senders[0].flow.id);
    expect(video.map((s) => s.id)).toEqual([facility.nodes[0].model.senders[0].resource.id]);
    const search = await merged('nodes', '&q=node-003');
    expect(search.map((n) => n.resource.label)).toEqual(['sim-node-003']);
    expect((await merged('nodes', '&registry=R1')).every((n) => n.registries.includes('R1'))).toBe(true);
    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 20; page++) {
      const answer = await admin.get(`/api/nmos/receivers?limit=5&sort=-label${cursor ? `&cursor=${cursor}` : ''}`);
      expect(Number(answer.headers.get('x-total-count'))).toBe(facility.nodes.length * 2);
      seen.push(...answer.body.map((r: { id: string }) => r.id));
      cursor = answer.headers.get('x-next-cursor') ?? '';
      if (!cursor) break;
    }
    expect(new Set(seen).size).toBe(facility.nodes.length * 2);
    expect((await admin.get('/api/nmos/receivers?limit=5000')).status).toBe(400);
    expect((await admin.get('/api/nmos/widgets')).status).toBe(404);
  });

  it('serves the merged facility as an IS-04 Query API with its paging headers', async () => {
    const page = await admin.get('/x-nmos/query/v1.3/senders?paging.limit=4');
    expect(page.status).toBe(200);
    expect(page.body).toHaveLength(4);
    expect(page.headers.get('x-paging-limit')).toBe('4');
    expect(page.headers.get('link')).toContain('rel="next"');
    const walk: string[] = [];
    let next: string | undefined = '/x-nmos/query/v1.3/senders?paging.order=update&paging.since=0:0&paging.limit=4';
    while (next) {
      const answer = await admin.get(next.replace(/^https?:\/\/[^/]+/, ''));
      if (answer.body.length === 0) break;
      walk.push(...answer.body.map((s: { id: string }) => s.id));
      next = /<([^>]+)>; rel="next"/.exec(answer.headers.get('link') ?? '')?.[1];
    }
    expect(walk.sort()).toEqual([...allSenders()].sort());
    const id = walk[0];
    expect((await admin.get(`/x-nmos/query/v1.3/senders/${id}`)).body.id).toBe(id);
    expect((await admin.get('/x-nmos/query/v1.3/senders/00000000-0000-4000-8000-000000000000')).body).toMatchObject({ code: 404, error: 'Not Found' });
    expect((await controller.api.get('/x-nmos/query/v1.3/senders')).status).toBe(401);
  });

  it('keeps an unreachable registry’s resources stale for the grace period, then drops what no one else reports', async () => {
    const onlyInR0 = facility.nodes.filter((n) => n.options.registries.length === 1 && n.options.registries[0].options.index === 0).map((n) => n.id);
    const inBoth = facility.nodes.filter((n) => n.options.registries.length === 2).map((n) => n.id);
    expect(onlyInR0.length).toBeGreaterThan(0);
    await facility.registries[0].setReachability('refuse');
    try {
      await eventually(async () => expect((await statusOf('R0'))?.state).toBe('down'), 10_000);
      const during = await merged('nodes');
      for (const id of onlyInR0) expect(during.find((n) => n.id === id)?.stale).toBe(true);
      for (const id of inBoth) expect(during.find((n) => n.id === id)?.stale).toBe(false);
      const health = await controller.api.get('/api/health/detail');
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('degraded');
      await eventually(async () => {
        const after = (await merged('nodes')).map((n) => n.id);
        for (const id of onlyInR0) expect(after).not.toContain(id);
        for (const id of inBoth) expect(after).toContain(id);
      }, 10_000);
    } finally {
      await facility.registries[0].setReachability('up');
    }
    await eventually(async () => expect((await merged('nodes')).map((n) => n.id).sort()).toEqual(facility.nodes.map((n) => n.id).sort()), 15_000);
    await eventually(async () => expect((await statusOf('R0'))?.state).toBe('connected'), 10_000);
  });

  it('keeps a restarted registry’s resources (stale) while it refills, without removing them', async () => {
    const before = (await merged('senders')).map((s) => s.id).sort();
    facility.registries[1].restart();
    await sleep(300);
    expect((await merged('senders')).map((s) => s.id).sort()).toEqual(before);
    await eventually(async () => expect((await merged('senders', '&stale=true')).length).toBe(0), 10_000);
    expect((await merged('senders')).map((s) => s.id).sort()).toEqual(before);
  });

  it('resyncs when a websocket stalls without closing (watchdog)', async () => {
    facility.registries[0].setWebsocketsSilent(true);
    const added = facility.nodes.find((n) => n.options.registries.length === 1 && n.options.registries[0].options.index === 0)!.addSender();
    await sleep(500);
    expect((await merged('senders')).map((s) => s.id)).not.toContain(added.id);
    // The stuck sockets stay stuck: only the watchdog's reconnect and fresh snapshot bring the change.
    await eventually(async () => expect((await merged('senders')).map((s) => s.id)).toContain(added.id), 10_000);
    facility.registries[0].setWebsocketsSilent(false);
  });

  it('resyncs a registry whose content did not change without writing a row or publishing an event', async () => {
    const snapshot = async () => ({
      copies: await pg.query<{ k: string; x: string }>("SELECT type || '/' || id AS k, xmin::text AS x FROM nmos_resource_copies WHERE registry = 'R0' ORDER BY 1", [], 'app'),
      merged: await pg.query<{ k: string; x: string }>("SELECT type || '/' || id AS k, xmin::text AS x FROM nmos_resources ORDER BY 1", [], 'app'),
      events: (await pg.query<{ n: string }>("SELECT count(*) AS n FROM events WHERE type LIKE 'nmos.resource.%'", [], 'app'))[0].n,
    });
    const sessions = async () => Number((await pg.query<{ n: string }>("SELECT count(*) AS n FROM events WHERE topic = 'registry/R0'", [], 'app'))[0].n);
    // Settled: every copy written and its effective row recomputed.
    await eventually(async () => expect((await statusOf('R0'))?.state).toBe('connected'), 10_000);
    const before = await snapshot();
    expect(before.copies.length).toBeGreaterThan(10);
    const statesBefore = await sessions();

    // The websockets go quiet: the watchdog ends the session, and the next one takes a full snapshot.
    facility.registries[0].setWebsocketsSilent(true);
    await eventually(async () => expect(await sessions()).toBeGreaterThanOrEqual(statesBefore + 2), 15_000);
    facility.registries[0].setWebsocketsSilent(false);
    await eventually(async () => expect((await statusOf('R0'))?.state).toBe('connected'), 15_000);

    expect(await snapshot()).toEqual(before);
  });

  it('applies a configuration change within 5 s: a disabled registry’s own resources go, and come back when enabled', async () => {
    const onlyInR0 = facility.nodes.filter((n) => n.options.registries.every((r) => r.options.index === 0)).map((n) => n.id);
    expect(onlyInR0.length).toBeGreaterThan(0);
    await admin.patch('/api/registry/config/R0', { enabled: false });
    const changedAt = Date.now();
    await eventually(async () => {
      const ids = (await merged('nodes')).map((n) => n.id);
      for (const id of onlyInR0) expect(ids).not.toContain(id);
    }, 5_000);
    expect(Date.now() - changedAt).toBeLessThan(5_000);
    expect((await statusOf('R0'))?.state).toBe('disabled');
    await admin.patch('/api/registry/config/R0', { enabled: true });
    await eventually(async () => expect((await merged('nodes')).map((n) => n.id)).toEqual(expect.arrayContaining(onlyInR0)), 5_000);
    await eventually(async () => expect((await statusOf('R0'))?.state).toBe('connected'), 10_000);
  });

  it('publishes only events that validate against their documented schemas', async () => {
    const user = await admin.post('/api/users', { username: 'schema-check', password: 'password-123', role: 'viewer' });
    await admin.patch(`/api/users/${user.body.id}`, { role: 'operator' });
    await admin.delete(`/api/users/${user.body.id}`);
    const schemas = new EventSchemas();
    await eventually(async () => {
      const all = (await admin.get('/api/events?after=0&limit=1000')).body as Array<{ type: string } & Record<string, unknown>>;
      const types = new Set(all.map((e) => e.type));
      for (const type of ['nmos.resource.added', 'registry.state.changed', 'registry.config.created', 'user.created', 'user.updated', 'user.deleted'])
        expect(types).toContain(type);
      for (const event of all) expect({ type: event.type, problems: schemas.problems(event) }).toEqual({ type: event.type, problems: [] });
      expect(JSON.stringify(all)).not.toContain('password-123');
    }, 10_000);
  });

  it('records every effective change as an event, published in order with a gap-free sequence', async () => {
    const added = facility.nodes[0].addSender();
    await eventually(async () => {
      const events = (await admin.get('/api/events?after=0&limit=1000')).body as Array<{
        seq: number;
        type: string;
        subject: { id: string };
        resource: { id: string };
      }>;
      expect(events.find((e) => e.type === 'nmos.resource.added' && e.subject.id === added.id)?.resource.id).toBe(added.id);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    }, 5_000);
  });

  it('fails over to the next endpoint of the same registry', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    await admin.patch('/api/registry/config/R1', { query_url: dead, endpoints: [facility.registries[1].url] });
    await eventually(
      async () =>
        expect((await admin.get('/api/registry/status')).body.find((r: { name: string }) => r.name === 'R1')).toMatchObject({
          state: 'connected',
          endpoint: facility.registries[1].url,
        }),
      15_000,
    );
    await admin.patch('/api/registry/config/R1', { query_url: facility.registries[1].url, endpoints: [] });
  });
});

describe('a registry without websockets and a paging limit of 2', () => {
  it('is synced completely by REST paging', async () => {
    const dir = await scratchDir('registry-paging');
    const pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    const facility = await Facility.start({ registries: 1, nodes: 3, senders: 3, receivers: 3, websockets: false, pagingLimit: 2 });
    const controller = await startController({ DATABASE_URL: urlOf(pg.port, 'app'), REGISTRY_POLL_INTERVAL_MS: '300' });
    try {
      const admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
      await admin.put('/api/registry/config', [{ name: 'REST only', query_url: facility.registries[0].queryUrl, enabled: true }]);
      await eventually(async () => {
        const senders = (await admin.get('/api/nmos/senders?limit=1000')).body.map((s: { id: string }) => s.id).sort();
        expect(senders).toEqual(facility.nodes.flatMap((n) => n.model.senders.map((s) => s.resource.id)).sort());
      }, 15_000);
      // An operator sees that this registry is only polled (changes arrive every REGISTRY_POLL_INTERVAL_MS).
      expect((await admin.get('/api/registry/status')).body[0]).toMatchObject({
        updates: 'polling',
        polled_types: expect.arrayContaining(['senders', 'nodes']),
      });
      const removed = facility.nodes[0].model.senders[0].resource.id;
      facility.nodes[0].removeSender(removed);
      await eventually(
        async () => expect((await admin.get('/api/nmos/senders?limit=1000&stale=false')).body.map((s: { id: string }) => s.id)).not.toContain(removed),
        10_000,
      );
    } finally {
      await controller.close();
      await facility.stop();
      await pg.stop();
      await removeDir(dir);
    }
  });
});

describe('a registry that takes subscription paging.limit as nmos-cpp does (a number, at most 100 a message)', () => {
  it('is synced in few messages: the watcher asks for a numeric paging.limit', async () => {
    const dir = await scratchDir('registry-nmos-cpp');
    const pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    const facility = await Facility.start({ registries: 1, nodes: 30, senders: 5, receivers: 1 });
    const controller = await startController({ DATABASE_URL: urlOf(pg.port, 'app') });
    try {
      const admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
      await admin.put('/api/registry/config', [{ name: 'nmos-cpp-like', query_url: facility.registries[0].url, enabled: true }]);
      await eventually(async () => expect((await admin.get('/api/nmos/senders?limit=1000')).body).toHaveLength(150), 30_000);
      await eventually(async () => expect((await admin.get('/api/registry/status')).body[0].state).toBe('connected'), 10_000);
      // 150 senders: 2 messages at 100 a message; 15 at the registry's default of 10 (a string param is refused).
      expect(facility.registries[0].subscriptions.messagesSent('senders')).toBe(2);
    } finally {
      await controller.close();
      await facility.stop();
      await pg.stop();
      await removeDir(dir);
    }
  });
});

describe('a registry that refuses paging.limit in subscription params', () => {
  it('is still followed over websockets, subscribed without the param', async () => {
    const dir = await scratchDir('registry-strict');
    const pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    const facility = await Facility.start({ registries: 1, nodes: 2, wsMaxBatchSize: 0 });
    const controller = await startController({ DATABASE_URL: urlOf(pg.port, 'app') });
    try {
      const admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
      await admin.put('/api/registry/config', [{ name: 'Strict', query_url: facility.registries[0].url, enabled: true }]);
      await eventually(async () => expect((await admin.get('/api/registry/status')).body[0].state).toBe('connected'), 15_000);
      const subscriptions = facility.registries[0].subscriptions.list();
      expect(subscriptions.map((s) => s.resource_path).sort()).toEqual(['/devices', '/flows', '/nodes', '/receivers', '/senders', '/sources']);
      expect(subscriptions.every((s) => !('paging.limit' in s.params))).toBe(true);
      const added = facility.nodes[0].addSender();
      await eventually(async () => expect((await admin.get(`/api/nmos/senders/${added.id}`)).status).toBe(200), 5_000);
    } finally {
      await controller.close();
      await facility.stop();
      await pg.stop();
      await removeDir(dir);
    }
  });
});
