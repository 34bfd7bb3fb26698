import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { WebSocketServer } from 'ws';
import type { PostgresServer } from '#database';
import { EventsService } from '#events';
import { Facility } from '../../apps/simulator/src/index.js';
import type { ApiClient } from '../support/api-client.js';
import { startController, TEST_ADMIN, type RunningController } from '../support/controller.js';
import { eventually } from '../support/eventually.js';
import { newUser } from '../factories/user.factory.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';
import { FacilityEndpoints, waitForFacility } from '../support/routing-fixtures.js';

const PREFIX = 'hostile/events';

/**
 * The findings of the hostile review of `main` that need the whole product: schedules after their
 * creator lost the right, secrets in registry URLs and error texts, tokens kept to their origin, audit
 * events by role, overrides and ownership, what the anonymous probe shows, the embedded broker's ACL.
 */
describe('hostile review findings', () => {
  let dir: string;
  let pg: PostgresServer;
  let facility: Facility;
  let endpoints: FacilityEndpoints;
  let controller: RunningController;
  let admin: ApiClient;
  let operator: ApiClient;
  let otherOperator: ApiClient;
  let viewer: ApiClient;
  const taken = new Set<string>();
  const servers: Array<{ close(): void }> = [];

  const login = async (role: 'viewer' | 'operator') => {
    const user = newUser(role);
    const created = await admin.post('/api/users', user);
    expect(created.status).toBe(201);
    return { id: created.body.id as string, client: await controller.api.loginAs(user.username, user.password) };
  };

  beforeAll(async () => {
    dir = await scratchDir('hostile-review');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    facility = await Facility.start({ registries: 1, nodes: 2, senders: 2, receivers: 6 });
    endpoints = new FacilityEndpoints(facility);
    controller = await startController({
      DATABASE_URL: urlOf(pg.port, 'app'),
      DATA_DIR: join(dir, 'data'),
      LEASE_TTL_SECONDS: '3',
      ACTIVE_CHECK_INTERVAL: '0',
      MQTT_TOPIC_PREFIX: PREFIX,
      // The product's default: the anonymous probe shows statuses only.
      HEALTH_DETAIL: '',
    });
    admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    [operator, otherOperator, viewer] = [(await login('operator')).client, (await login('operator')).client, (await login('viewer')).client];
    expect((await admin.put('/api/registry/config', [{ name: 'R0', query_url: facility.registries[0].url, enabled: true }])).status).toBe(200);
    await waitForFacility(admin, facility);
  });

  afterAll(async () => {
    for (const server of servers) server.close();
    await controller?.close();
    await facility?.stop();
    await pg?.stop();
    await removeDir(dir);
  });

  const scheduleOf = async (client: ApiClient, receiverId: string, senderId: string) => {
    const name = `salvo-${Math.random().toString(36).slice(2, 8)}`;
    expect((await client.put(`/api/salvos/saved/${name}`, { connections: [{ receiver_id: receiverId, sender_id: senderId }] })).status).toBe(200);
    const schedule = await client.post('/api/schedules', { salvo: name, fire_at: new Date(Date.now() + 1_500).toISOString() });
    expect(schedule.status).toBe(201);
    return schedule.body.id as string;
  };

  it("fails a schedule whose creator's token was revoked or whose creator was demoted, with the reason, audited, and touches no device", async () => {
    const sender = endpoints.sender('video', 1);
    const byToken = endpoints.receiver('video', 1, taken);
    const byDemoted = endpoints.receiver('video', 1, taken);
    const token = await admin.post('/api/tokens', { name: 'playout-automation' });
    const automation = controller.api.as(token.body.token);
    const demoted = await login('operator');

    const tokenSchedule = await scheduleOf(automation, byToken.id, sender.id);
    const demotedSchedule = await scheduleOf(demoted.client, byDemoted.id, sender.id);
    expect((await admin.delete(`/api/tokens/${token.body.id}`)).status).toBe(204);
    expect((await admin.patch(`/api/users/${demoted.id}`, { role: 'viewer' })).status).toBe(200);

    for (const [id, reason] of [
      [tokenSchedule, /API token "playout-automation"\) no longer exists or was revoked/],
      [demotedSchedule, /is now viewer, which may not route/],
    ] as const) {
      await eventually(async () => expect((await admin.get(`/api/schedules/${id}`)).body.state).toBe('failed'), 15_000);
      expect((await admin.get(`/api/schedules/${id}`)).body.result.error).toMatch(reason);
    }
    for (const receiver of [byToken, byDemoted]) expect(FacilityEndpoints.requestsFor(receiver.node, receiver.id, 'PATCH')).toEqual([]);
    const refused = (await admin.get('/api/audit?action=schedule.refused')).body.items as Array<Record<string, any>>;
    expect(refused.map((a) => a.request.id).sort()).toEqual([tokenSchedule, demotedSchedule].sort());
    expect(refused.every((a) => a.outcome === 'failed' && typeof a.error.reason === 'string')).toBe(true);
  });

  it('refuses a user and password in a registry URL, naming the field', async () => {
    const answer = await admin.post('/api/registry/config', { name: 'with-credentials', query_url: 'http://user:secret-pw@127.0.0.1:9/x-nmos/query' });
    expect(answer.status).toBe(400);
    expect(answer.body.fields).toEqual([{ field: '[0] "with-credentials".query_url', message: 'must not contain a user or password (use auth for a bearer token)' }]);
    expect(JSON.stringify((await admin.get('/api/registry/config')).body)).not.toContain('secret-pw');
  });

  it('shows the kind of a registry failure, never what the URL answered', async () => {
    const html = await listen(
      createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<html>internal-secret-page</html>')),
    );
    expect((await admin.post('/api/registry/config', { name: 'not-a-registry', query_url: `http://127.0.0.1:${html}` })).status).toBe(201);
    await eventually(async () => {
      const status = ((await viewer.get('/api/registry/status')).body as Array<Record<string, any>>).find((r) => r.name === 'not-a-registry');
      expect(status?.last_error).toMatch(/the answer is not JSON \(HTTP 200, text\/html\)/);
    }, 10_000);
    for (const shown of [await viewer.get('/api/registry/status'), await viewer.get('/api/health/components'), await controller.api.get('/api/health/detail')])
      expect(JSON.stringify(shown.body)).not.toContain('internal-secret-page');
    expect((await admin.delete('/api/registry/config/not-a-registry')).status).toBe(204);
  });

  it("sends a registry's bearer token only to the origin it was entered for", async () => {
    const seen: Array<{ where: string; authorization?: string }> = [];
    const note = (where: string, headers: IncomingHttpHeaders) => seen.push({ where, authorization: headers.authorization });
    // The websocket the registry hands out is on another origin (another port).
    const websocketHost = createServer();
    const elsewhere = await listen(websocketHost);
    new WebSocketServer({ server: websocketHost }).on('connection', (_socket, request) => note('websocket', request.headers));
    const registry = await listen(
      createServer((request, response) => {
        note('registry', request.headers);
        if (request.method === 'POST') response.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ ws_href: `ws://127.0.0.1:${elsewhere}/ws` }));
        else response.writeHead(200, { 'content-type': 'application/json' }).end('[]');
      }),
    );
    const url = `http://127.0.0.1:${registry}/x-nmos/query/v1.3`;
    expect((await admin.post('/api/registry/config', { name: 'token-origin', query_url: url, auth: { type: 'bearer', token: 'registry-secret' } })).status).toBe(201);
    await eventually(async () => expect(seen.some((s) => s.where === 'websocket')).toBe(true), 10_000);
    expect(seen.filter((s) => s.where === 'registry').every((s) => s.authorization === 'Bearer registry-secret')).toBe(true);
    expect(seen.filter((s) => s.where === 'websocket').map((s) => s.authorization)).toEqual(seen.filter((s) => s.where === 'websocket').map(() => undefined));

    // Moving the entry to another host keeps no token: it must be entered again for that host.
    const moved = await admin.patch('/api/registry/config/token-origin', { query_url: `http://127.0.0.1:${elsewhere}/x-nmos/query/v1.3` });
    expect(moved.status).toBe(400);
    expect(moved.body.fields[0]).toMatchObject({ field: expect.stringMatching(/"token-origin"\.auth\.token$/), message: expect.stringContaining('is required again') });
    const samePlace = await admin.patch('/api/registry/config/token-origin', { timeout_ms: 2_000 });
    expect(samePlace.status).toBe(200);
    expect((await admin.delete('/api/registry/config/token-origin')).status).toBe(204);
  });

  it('shows user administration events only to admins on /api/events', async () => {
    await eventually(async () => {
      const all = (await admin.get('/api/events?after=0&limit=1000')).body as Array<{ type: string }>;
      expect(all.some((e) => e.type.startsWith('user.'))).toBe(true);
    }, 10_000);
    const seenByViewer = (await viewer.get('/api/events?after=0&limit=1000')).body as Array<{ type: string }>;
    expect(seenByViewer.length).toBeGreaterThan(0);
    expect(seenByViewer.filter((e) => e.type.startsWith('user.') || e.type.startsWith('registry.config.'))).toEqual([]);
    const seenByOperator = (await operator.get('/api/events?after=0&limit=1000')).body as Array<{ type: string }>;
    expect(seenByOperator.filter((e) => e.type.startsWith('registry.config.'))).toEqual([]);
  });

  it("needs an admin's reason to replace another's lock, and audits the lock replaced", async () => {
    const receiver = endpoints.receiver('audio', 1, taken);
    expect((await operator.put(`/api/connections/${receiver.id}/lock`, { reason: 'on air' })).status).toBe(200);
    expect((await otherOperator.put(`/api/connections/${receiver.id}/lock`, { reason: 'mine now' })).status).toBe(423);
    const silent = await admin.put(`/api/connections/${receiver.id}/lock`, { reason: 'admin lock' });
    expect(silent.status).toBe(423);
    expect(silent.body.error).toBe('receiver_locked');
    expect((await admin.put(`/api/connections/${receiver.id}/lock`, { reason: 'admin lock' }, { 'x-override-reason': 'studio handover' })).status).toBe(200);
    const [latest] = (await admin.get(`/api/audit?receiver_id=${receiver.id}&action=lock.set`)).body.items as Array<Record<string, any>>;
    expect(latest).toMatchObject({ override_reason: 'studio handover', request: { reason: 'admin lock', replaced: { reason: 'on air' } } });
    expect((await admin.delete(`/api/connections/${receiver.id}/lock`)).status).toBe(204);
  });

  it("keeps saved salvos and schedules their owner's: others get 423, an admin needs a reason", async () => {
    const sender = endpoints.sender('video', 1);
    const receiver = endpoints.receiver('video', 1, taken);
    const salvo = { connections: [{ receiver_id: receiver.id, sender_id: sender.id }] };
    expect((await operator.put('/api/salvos/saved/owned-show', salvo)).status).toBe(200);
    for (const attempt of [
      await otherOperator.put('/api/salvos/saved/owned-show', salvo),
      await otherOperator.post('/api/salvos/saved/owned-show/fire'),
      await otherOperator.delete('/api/salvos/saved/owned-show'),
      await otherOperator.post('/api/schedules', { salvo: 'owned-show', fire_at: new Date(Date.now() + 600_000).toISOString() }),
      await admin.delete('/api/salvos/saved/owned-show'),
    ]) {
      expect(attempt.status).toBe(423);
      expect(attempt.body.error).toBe('salvo_owned');
    }
    expect(FacilityEndpoints.requestsFor(receiver.node, receiver.id)).toEqual([]);

    const schedule = await operator.post('/api/schedules', { salvo: 'owned-show', fire_at: new Date(Date.now() + 600_000).toISOString() });
    expect(schedule.status).toBe(201);
    expect((await otherOperator.delete(`/api/schedules/${schedule.body.id}`)).status).toBe(423);
    expect((await admin.delete(`/api/schedules/${schedule.body.id}`)).status).toBe(423);
    expect((await admin.delete(`/api/schedules/${schedule.body.id}`, { 'x-override-reason': 'show cancelled' })).body.state).toBe('cancelled');
    expect((await admin.delete('/api/salvos/saved/owned-show', { 'x-override-reason': 'show cancelled' })).status).toBe(204);
    const audits = (await admin.get('/api/audit?action=salvo.deleted')).body.items as Array<Record<string, any>>;
    expect(audits[0]).toMatchObject({ override_reason: 'show cancelled', request: { name: 'owned-show', removed: { created_by: { kind: 'user' } } } });
  });

  it('keeps the anonymous readiness probe to statuses; the detail needs a token', async () => {
    const anonymous = await controller.api.get('/api/health/detail');
    expect(anonymous.status).toBe(200);
    for (const component of Object.values(anonymous.body.details as Record<string, object>)) expect(Object.keys(component)).toEqual(['status']);
    expect(Object.keys(anonymous.body.details).sort()).toEqual(['database', 'events', 'leases', 'registries']);
    expect(JSON.stringify(anonymous.body)).not.toMatch(/127\.0\.0\.1|mqtt:|postgres/);
    expect((await controller.api.get('/api/health/components')).status).toBe(401);
    const detail = await viewer.get('/api/health/components');
    expect(detail.status).toBe(200);
    expect(detail.body.details.database.primary).toBeDefined();
  });

  it('refuses anonymous clients on the embedded broker, and lets only the controller publish under the prefix', async () => {
    const events = controller.app.get(EventsService);
    const url = events.embeddedBrokerUrl!;
    const account = events.embeddedBrokerSubscriber!;
    expect(account.username).toBe('subscriber');
    await expect(mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5_000 })).rejects.toThrow(/Bad username or password|Not authorized/);
    await expect(mqtt.connectAsync(url, { reconnectPeriod: 0, username: 'subscriber', password: 'guess' })).rejects.toThrow(/Bad username or password/);

    const spoofer = await mqtt.connectAsync(url, { reconnectPeriod: 0, ...account });
    // The broker drops a client that publishes where it may not: the publish never completes.
    await expect(
      Promise.race([
        spoofer.publishAsync(`${PREFIX}/receiver/spoofed`, JSON.stringify({ sender_id: 'evil' }), { qos: 1, retain: true }),
        new Promise((_, reject) => spoofer.once('close', () => reject(new Error('closed by the broker')))),
      ]),
    ).rejects.toThrow(/closed by the broker/);
    await spoofer.endAsync(true);

    // A subscriber reads the controller's own retained state, and nothing spoofed.
    const subscriber = await mqtt.connectAsync(url, { reconnectPeriod: 0, ...account });
    const topics: string[] = [];
    subscriber.on('message', (topic) => topics.push(topic));
    await subscriber.subscribeAsync(`${PREFIX}/#`, { qos: 1 });
    await eventually(async () => expect(topics).toContain(`${PREFIX}/registry/R0`), 10_000);
    expect(topics).not.toContain(`${PREFIX}/receiver/spoofed`);
    await subscriber.endAsync(true);
  });

  /** Starts an HTTP server on a free loopback port, closed after the suite. */
  async function listen(server: Server): Promise<number> {
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }
});
