import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import type { PostgresServer } from '#database';
import type { ApiClient } from '../support/api-client.js';
import { TEST_ADMIN, TEST_JWT_SECRET } from '../support/controller.js';
import { ControllerProcess } from '../support/controller-process.js';
import { EventSchemas } from '../support/event-schemas.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/free-port.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const SECRET = 'hook-signing-secret-0123';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Alert hooks on two replicas of one database: each alert reaches each hook once (not once per replica),
 * then once resolved; failed deliveries are retried with backoff and logged; a primary outage is
 * notified by the replica that was deciding alerts, and recorded once the primary is back.
 */
describe('alert hooks', () => {
  let dir: string;
  let pg: PostgresServer;
  // Separate processes: each replica has its own instance id, as in production (in-process apps share one).
  let replicas: ControllerProcess[] = [];
  let admin: ApiClient;
  let receiver: WebhookReceiver;
  let genericId: string;

  beforeAll(async () => {
    dir = await scratchDir('alerts');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    receiver = await WebhookReceiver.start();
    const env = {
      DATABASE_URL: urlOf(pg.port, 'app', 'connect_timeout=2'),
      LEASE_TTL_SECONDS: '3',
      ALERT_INTERVAL_MS: '300',
      ALERT_FOR_SECONDS: '0',
      ALERT_DELIVERY_ATTEMPTS: '3',
      ALERT_DELIVERY_TIMEOUT_MS: '2000',
      ACTIVE_CHECK_INTERVAL: '0',
      JWT_SECRET: TEST_JWT_SECRET,
      ADMIN_USERNAME: TEST_ADMIN.username,
      ADMIN_PASSWORD: TEST_ADMIN.password,
    };
    for (let i = 0; i < 2; i++) replicas.push(await (await ControllerProcess.spawn(env)).ready());
    admin = await replicas[0].api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await receiver?.close();
    await pg?.stop();
    await removeDir(dir);
  });

  it('takes hooks from admins, checks them, and never shows a URL path or a secret back', async () => {
    const bad = await admin.post('/api/alerts/hooks', { name: 'x', url: 'ftp://example', alerts: ['registry_down', 'meteor_strike'], secret: 'short' });
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(['alerts.1', 'secret', 'url']);

    const generic = await admin.post('/api/alerts/hooks', { name: 'ops-webhook', url: `${receiver.url}/generic/token-in-path`, secret: SECRET });
    expect(generic.status).toBe(201);
    expect(generic.body).toMatchObject({ name: 'ops-webhook', url: `${receiver.url}/…`, format: 'generic', has_secret: true, alerts: [], enabled: true });
    expect(JSON.stringify(generic.body)).not.toContain(SECRET);
    genericId = generic.body.id;
    const slack = await admin.post('/api/alerts/hooks', { name: 'slack', url: `${receiver.url}/slack`, format: 'slack', alerts: ['registry_down'] });
    expect(slack.status).toBe(201);
    expect((await admin.post('/api/alerts/hooks', { name: 'OPS-webhook', url: receiver.url })).status).toBe(409);

    const listed = JSON.stringify((await admin.get('/api/alerts/hooks')).body);
    expect(listed).not.toContain('token-in-path');
    expect(listed).not.toContain(SECRET);
    const viewer = { username: 'alert-viewer', password: 'viewer-password-1', role: 'viewer' };
    expect((await admin.post('/api/users', viewer)).status).toBe(201);
    const asViewer = await replicas[1].api.loginAs(viewer.username, viewer.password);
    expect((await asViewer.get('/api/alerts/hooks')).status).toBe(403);
    expect((await asViewer.get('/api/alerts')).status).toBe(200);
  });

  it('lists every live replica with the leases it holds, from any of them', async () => {
    type Replica = { instance: string; self: boolean; reported_at: string; conditions: unknown[]; leases: string[] };
    const fromEach = async () => Promise.all(replicas.map(async (r) => (await r.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password)).get('/api/replicas')));
    await eventually(async () => {
      const [first, second] = await fromEach();
      expect(first.status).toBe(200);
      const [a, b] = [first.body as Replica[], second.body as Replica[]];
      expect(a).toHaveLength(2);
      expect(b.map((r) => r.instance)).toEqual(a.map((r) => r.instance));
      // Each answers as itself: a different one is `self` on each replica.
      expect(a.filter((r) => r.self)).toHaveLength(1);
      expect(a.find((r) => r.self)!.instance).not.toBe(b.find((r) => r.self)!.instance);
      // Every singleton job runs on one of them.
      const leases = a.flatMap((r) => r.leases);
      for (const lease of ['alerts', 'event-relay']) expect(leases.filter((l) => l === lease)).toHaveLength(1);
      for (const replica of a) expect(replica.conditions).toEqual([]);
    }, 15_000);
    expect((await replicas[0].api.get('/api/replicas')).status).toBe(401);
  });

  it('sends an alert once to each hook across both replicas, signed, then once resolved', async () => {
    const closed = await freePort();
    expect(
      (await admin.post('/api/registry/config', { name: 'gone', query_url: `http://127.0.0.1:${closed}/x-nmos/query/v1.3`, timeout_ms: 500 })).status,
    ).toBe(201);
    const firing = (path: string) => receiver.at(path).filter((r) => r.body?.status === 'firing' || r.body?.text?.includes('[FIRING]'));
    await eventually(() => {
      expect(firing('/generic/token-in-path')).toHaveLength(1);
      expect(firing('/slack')).toHaveLength(1);
    }, 30_000);
    // Several evaluations on the lease holder later, and with another replica running, still once.
    await sleep(2_000);
    expect(firing('/generic/token-in-path')).toHaveLength(1);
    expect(firing('/slack')).toHaveLength(1);

    const [sent] = firing('/generic/token-in-path');
    expect(sent.body).toMatchObject({
      product: 'nmos-control',
      key: 'registry_down:gone',
      alert: 'registry_down',
      subject: 'gone',
      severity: 'warning',
      status: 'firing',
      resolved_at: null,
    });
    expect(sent.headers['x-nmos-control-dedupe-key']).toBe(sent.body.dedupe_key);
    expect(sent.headers['x-nmos-control-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(sent.raw).digest('hex')}`);
    const [slack] = firing('/slack');
    expect(slack.body.text).toMatch(/^:large_orange_circle: \[FIRING\] registry gone is not connected/);
    expect(slack.headers['x-nmos-control-signature']).toBeUndefined();
    expect((await admin.get('/api/alerts')).body).toEqual([expect.objectContaining({ key: 'registry_down:gone', state: 'firing' })]);

    expect((await admin.patch('/api/registry/config/gone', { enabled: false })).status).toBe(200);
    const resolved = (path: string) => receiver.at(path).filter((r) => r.body?.status === 'resolved' || r.body?.text?.includes('[RESOLVED]'));
    await eventually(() => {
      expect(resolved('/generic/token-in-path')).toHaveLength(1);
      expect(resolved('/slack')).toHaveLength(1);
    }, 30_000);
    await sleep(1_500);
    expect(resolved('/generic/token-in-path')).toHaveLength(1);
    expect(resolved('/generic/token-in-path')[0].body).toMatchObject({
      key: 'registry_down:gone',
      started_at: sent.body.started_at,
      resolved_at: expect.any(String),
    });
    expect((await admin.get('/api/alerts')).body[0]).toMatchObject({ key: 'registry_down:gone', state: 'resolved' });

    const events = ((await admin.get('/api/events?after=0&limit=1000')).body as Array<{ type: string }>).filter((e) => e.type.startsWith('alert.'));
    expect(events.map((e) => e.type)).toEqual(['alert.fired', 'alert.resolved']);
    const schemas = new EventSchemas();
    for (const event of events) expect(schemas.problems(event)).toEqual([]);
  });

  it('retries a failing hook with backoff under one dedupe key, gives up after ALERT_DELIVERY_ATTEMPTS, and logs every delivery', async () => {
    receiver.answer('/generic/token-in-path', 500, 503);
    const queued = await admin.post(`/api/alerts/hooks/${genericId}/test`);
    expect(queued.status).toBe(202);
    const tests = () => receiver.at('/generic/token-in-path').filter((r) => r.body?.status === 'test');
    await eventually(() => expect(tests()).toHaveLength(3), 20_000);
    expect(new Set(tests().map((r) => r.body.dedupe_key))).toEqual(new Set([queued.body.dedupe_key]));
    await eventually(async () => {
      const [delivery] = (await admin.get(`/api/alerts/deliveries?hook_id=${genericId}&limit=1`)).body;
      expect(delivery).toMatchObject({ status: 'test', state: 'delivered', attempts: 3, last_status: 200, last_error: null });
    });

    const broken = await admin.post('/api/alerts/hooks', { name: 'broken', url: `${receiver.url}/broken` });
    receiver.answer('/broken', 500, 500, 500, 500);
    await admin.post(`/api/alerts/hooks/${broken.body.id}/test`);
    await eventually(async () => {
      const [delivery] = (await admin.get(`/api/alerts/deliveries?hook_id=${broken.body.id}`)).body;
      expect(delivery).toMatchObject({ state: 'failed', attempts: 3, last_status: 500, last_error: 'answered 500' });
    }, 20_000);
    expect(receiver.at('/broken')).toHaveLength(3);
    expect((await admin.delete(`/api/alerts/hooks/${broken.body.id}`)).status).toBe(204);
    expect((await admin.get('/api/alerts/deliveries?hook_id=nope')).status).toBe(400);
  });

  it('notifies a primary outage once, from the replica deciding alerts, then resolved, and records it afterwards', async () => {
    const outage = (status: string) => receiver.at('/generic/token-in-path').filter((r) => r.body?.alert === 'primary_unreachable' && r.body.status === status);
    await pg.stop('immediate');
    try {
      await eventually(() => expect(outage('firing')).toHaveLength(1), 30_000);
    } finally {
      await pg.start();
    }
    await eventually(() => expect(outage('resolved')).toHaveLength(1), 30_000);
    await sleep(1_500);
    expect(outage('firing')).toHaveLength(1);
    expect(outage('resolved')).toHaveLength(1);
    const [fired] = outage('firing');
    expect(fired.body).toMatchObject({ severity: 'critical', key: `primary_unreachable:${fired.body.instance}` });
    await eventually(async () => {
      const deliveries = (await admin.get(`/api/alerts/deliveries?hook_id=${genericId}`)).body as Array<{ alert_key: string; status: string; state: string }>;
      expect(
        deliveries
          .filter((d) => d.alert_key === fired.body.key)
          .map((d) => [d.status, d.state])
          .sort(),
      ).toEqual([
        ['firing', 'delivered'],
        ['resolved', 'delivered'],
      ]);
    }, 30_000);
  });
});
