import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import mqtt from 'mqtt';
import type { PostgresServer } from '#database';
import type { ApiClient } from '../support/api-client.js';
import { TEST_ADMIN, TEST_JWT_SECRET } from '../support/controller.js';
import { ControllerProcess } from '../support/controller-process.js';
import { EventSchemas } from '../support/event-schemas.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/free-port.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';
import { TestBroker } from '../support/test-broker.js';

const PREFIX = 'flows-test';
const CAPTURE_SDP = readFileSync('../shared/nmos/captures/nmos-cpp/sender-2022-7.sdp', 'utf8');

/**
 * The flow inventory and address plan on two controller processes sharing one PostgreSQL and one
 * broker: CRUD, versions and locks on every write path, import all or nothing, export → import
 * identity, SDP fetch with both legs, concurrent allocations from both replicas, collisions, and the
 * flow events on MQTT with their retained state.
 */
describe('flows and the address plan', () => {
  let dir: string;
  let pg: PostgresServer;
  let broker: TestBroker;
  let sdpServer: Server;
  let sdpUrl: string;
  const replicas: ControllerProcess[] = [];
  let admin: ApiClient;
  let engineer: ApiClient;
  let viewer: ApiClient;
  const schemas = new EventSchemas();

  beforeAll(async () => {
    dir = await scratchDir('flows');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    broker = new TestBroker(await freePort(), `${PREFIX}/#`);
    await broker.start();
    sdpServer = createServer((request, response) => {
      if (request.url === '/broken.sdp') response.writeHead(200).end('not an sdp');
      else response.writeHead(200, { 'content-type': 'application/sdp' }).end(CAPTURE_SDP);
    });
    await new Promise<void>((resolve) => sdpServer.listen(0, '127.0.0.1', resolve));
    const address = sdpServer.address();
    sdpUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const env = {
      DATABASE_URL: urlOf(pg.port, 'app'),
      MQTT_BROKER_URL: broker.url,
      MQTT_TOPIC_PREFIX: PREFIX,
      ACTIVE_CHECK_INTERVAL: '0',
      JWT_SECRET: TEST_JWT_SECRET,
      ADMIN_USERNAME: TEST_ADMIN.username,
      ADMIN_PASSWORD: TEST_ADMIN.password,
    };
    for (let i = 0; i < 2; i++) replicas.push(await (await ControllerProcess.spawn(env)).ready());
    admin = await replicas[0].api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    for (const role of ['engineer', 'viewer']) {
      expect((await admin.post('/api/users', { username: `flow-${role}`, password: `${role}-password-1`, role })).status).toBe(201);
    }
    engineer = await replicas[1].api.loginAs('flow-engineer', 'engineer-password-1');
    viewer = await replicas[0].api.loginAs('flow-viewer', 'viewer-password-1');
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await broker?.kill();
    await new Promise((resolve) => sdpServer?.close(resolve));
    await pg?.stop();
    await removeDir(dir);
  });

  it('creates, reads, pages and searches flows with both legs and the GO-NMOS names', async () => {
    const bad = await engineer.post('/api/flows', { display_name: '', multicast_addr_a: '10.0.0.1', group_port_b: 70000, colour: 'red' });
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(['colour', 'display_name', 'group_port_b', 'multicast_addr_a']);
    expect((await viewer.post('/api/flows', { display_name: 'not allowed' })).status).toBe(403);

    const created = await engineer.post('/api/flows', {
      display_name: 'CAM 1 video',
      multicast_ip: '239.10.0.1',
      port: 5004,
      source_ip: '10.1.0.1',
      multicast_addr_b: '239.10.0.1',
      group_port_b: 5004,
      alias_1: 'Studio A camera one',
      media_type: 'video/raw',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      multicast_addr_a: '239.10.0.1',
      group_port_a: 5004,
      source_addr_a: '10.1.0.1',
      multicast_ip: '239.10.0.1',
      version: 1,
      locked: false,
    });
    expect(created.headers.get('etag')).toBe('"1"');
    const duplicate = await engineer.post('/api/flows', { display_name: 'again', flow_id: created.body.flow_id });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ error: 'flow_exists', existing_id: created.body.id });

    for (let i = 2; i <= 6; i++)
      expect((await engineer.post('/api/flows', { display_name: `CAM ${i} video`, multicast_addr_a: `239.10.0.${i}`, group_port_a: 5004 })).status).toBe(201);
    const page = await viewer.get('/api/flows?limit=2&offset=1&sort_by=display_name');
    expect(page.status).toBe(200);
    expect(page.headers.get('x-total-count')).toBe('6');
    expect(page.body.map((f: { display_name: string }) => f.display_name)).toEqual(['CAM 2 video', 'CAM 3 video']);
    expect((await viewer.get('/api/flows?limit=2&sort_by=display_name&sort_order=desc')).body.map((f: { display_name: string }) => f.display_name)).toEqual([
      'CAM 6 video',
      'CAM 5 video',
    ]);
    expect((await viewer.get('/api/flows?limit=501')).body.fields).toEqual([{ field: 'limit', message: 'must be 1-500' }]);
    expect((await viewer.get('/api/flows?sort_by=password')).status).toBe(400);
    const search = await viewer.get('/api/flows/search?q=camera%20one');
    expect(search.body.map((f: { id: string }) => f.id)).toEqual([created.body.id]);
    expect((await viewer.get('/api/flows/search?q=239.10.0.4')).body).toHaveLength(1);
    expect((await viewer.get('/api/flows/summary')).body).toMatchObject({ total: 6, redundant: 1, locked: 0 });
  });

  it('answers a retried create with the same Idempotency-Key once, on either replica, without a second flow or a 409', async () => {
    const elsewhere = await replicas[0].api.loginAs('flow-engineer', 'engineer-password-1');
    const body = { display_name: 'retried create', multicast_addr_a: '239.10.9.1', group_port_a: 5004 };
    const key = { 'idempotency-key': 'create-retried-1' };
    const first = await engineer.post('/api/flows', body, key);
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const retried = await elsewhere.post('/api/flows', body, key);
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(retried.body).toEqual(first.body);
    expect((await engineer.post('/api/flows', { ...body, display_name: 'another body' }, key)).body.error).toBe('idempotency_key_reused');
    // A bad body is refused before the key is claimed: the same key then works for a good one.
    const bad = await engineer.post('/api/flows', { display_name: '' }, { 'idempotency-key': 'create-bad-first' });
    expect(bad.body.error).toBe('invalid_flow');
    expect(
      (await engineer.post('/api/flows', { display_name: 'good after bad', multicast_addr_a: '239.10.9.2' }, { 'idempotency-key': 'create-bad-first' })).status,
    ).toBe(201);
    expect((await viewer.get('/api/flows/search?q=retried%20create')).body).toHaveLength(1);
  });

  it('refuses a stale version (412) and every write to a locked flow (423), and audits who did what', async () => {
    const flow = (await engineer.get('/api/flows/search?q=CAM%202')).body[0];
    const changed = await engineer.patch(`/api/flows/${flow.id}`, { note: 'patched once' }, { 'if-match': '"1"' });
    expect(changed.status).toBe(200);
    expect(changed.body.version).toBe(2);
    const stale = await admin.patch(`/api/flows/${flow.id}`, { note: 'lost update' }, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ error: 'version_mismatch', current_version: 2 });
    expect((await admin.patch(`/api/flows/${flow.id}`, { note: 'with body version', version: 1 })).status).toBe(412);

    expect((await engineer.post(`/api/flows/${flow.id}/lock`, { locked: true, reason: 'on air' })).status).toBe(200);
    const writes = [
      engineer.patch(`/api/flows/${flow.id}`, { note: 'while locked' }),
      engineer.delete(`/api/flows/${flow.id}`),
      admin.delete(`/api/flows/${flow.id}?hard=true`),
      engineer.post(`/api/flows/${flow.id}/fetch-sdp`),
      engineer.post('/api/flows/import', { flows: [{ id: flow.id, flow_id: flow.flow_id, display_name: 'renamed by import' }] }),
    ];
    for (const answer of await Promise.all(writes)) {
      expect(answer.status).toBe(423);
      expect(answer.body.error).toBe('flow_locked');
    }
    const locked = (await viewer.get(`/api/flows/${flow.id}`)).body;
    expect(locked).toMatchObject({ locked: true, locked_reason: 'on air', note: 'patched once', display_name: 'CAM 2 video' });
    expect((await engineer.post(`/api/flows/${flow.id}/lock`, { locked: false })).status).toBe(200);

    const audit = (await viewer.get(`/api/flows/${flow.id}/audit`)).body;
    expect(audit.map((a: { action: string }) => a.action)).toEqual(['unlocked', 'locked', 'updated', 'created']);
    expect(audit[2]).toMatchObject({ actor: { name: 'flow-engineer' }, diff: { note: { from: null, to: 'patched once' } } });
    expect(audit[1].reason).toBe('on air');
  });

  it('soft-deletes for engineers and purges for admins only', async () => {
    const flow = (await engineer.get('/api/flows/search?q=CAM%206')).body[0];
    expect((await engineer.delete(`/api/flows/${flow.id}?hard=true`)).status).toBe(403);
    expect((await engineer.delete(`/api/flows/${flow.id}`)).status).toBe(204);
    expect((await viewer.get(`/api/flows/${flow.id}`)).status).toBe(404);
    expect((await viewer.get('/api/flows?include_deleted=true&q=CAM%206')).body[0]).toMatchObject({ id: flow.id, deleted_by: { name: 'flow-engineer' } });
    // Its NMOS id is free again.
    expect((await engineer.post('/api/flows', { display_name: 'CAM 6 again', flow_id: flow.flow_id })).status).toBe(201);
    expect((await admin.delete(`/api/flows/${flow.id}?hard=true`)).status).toBe(204);
    expect((await viewer.get('/api/flows?include_deleted=true&q=CAM%206%20video')).body).toEqual([]);
  });

  it('fills both legs and the format from the SDP, and refuses a broken one without changing the flow', async () => {
    const flow = (await engineer.post('/api/flows', { display_name: 'nmos-cpp node A video', sdp_url: `${sdpUrl}/sender.sdp` })).body;
    const fetched = await engineer.post(`/api/flows/${flow.id}/fetch-sdp`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({
      multicast_addr_a: '232.30.155.89',
      source_addr_a: '192.0.2.2',
      group_port_a: 5004,
      multicast_addr_b: '232.130.123.115',
      source_addr_b: '192.0.2.2',
      st2110_format: 'ST2110-20',
      format_summary: '1080i50',
      sdp_cache: CAPTURE_SDP,
      version: 2,
    });
    await engineer.patch(`/api/flows/${flow.id}`, { sdp_url: `${sdpUrl}/broken.sdp` });
    const broken = await engineer.post(`/api/flows/${flow.id}/fetch-sdp`);
    expect(broken.status).toBe(502);
    expect(broken.body.error).toBe('invalid_sdp');
    expect((await viewer.get(`/api/flows/${flow.id}`)).body).toMatchObject({ multicast_addr_a: '232.30.155.89', version: 3 });
  });

  it('imports all or nothing, naming the bad row and field; export → import is the identity', async () => {
    const before = (await viewer.get('/api/flows/export')).body;
    const bad = await engineer.post('/api/flows/import', {
      flows: [
        { display_name: 'good row', multicast_addr_a: '239.20.0.1' },
        { display_name: 'bad row', multicast_addr_a: '239.20.0.300' },
        { display_name: 'dup', flow_id: before.flows[0].flow_id },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual([{ field: 'flows.1.multicast_addr_a', message: 'must be an IPv4 multicast address (224.0.0.0/4)' }]);
    const taken = await engineer.post('/api/flows/import', {
      flows: [{ display_name: 'good row' }, { display_name: 'dup', flow_id: before.flows[0].flow_id }],
    });
    expect(taken.status).toBe(409);
    expect(taken.body.fields[0].field).toBe('flows.1.flow_id');
    expect((await viewer.get('/api/flows/export')).body.flows).toEqual(before.flows);

    // A soft-deleted flow comes back from the document, under its own id.
    expect((await engineer.delete(`/api/flows/${before.flows[0].id}`)).status).toBe(204);
    expect((await engineer.post('/api/flows/import', before)).body).toEqual({ created: 1, updated: 0, unchanged: before.flows.length - 1 });
    expect((await viewer.get('/api/flows/export')).body.flows).toEqual(before.flows);

    // The same document back changes nothing; into an empty inventory it rebuilds the same flows.
    expect((await engineer.post('/api/flows/import', before)).body).toEqual({ created: 0, updated: 0, unchanged: before.flows.length });
    for (const flow of before.flows) expect((await admin.delete(`/api/flows/${flow.id}?hard=true`)).status).toBe(204);
    expect((await viewer.get('/api/flows')).body).toEqual([]);
    expect((await engineer.post('/api/flows/import', before)).body).toEqual({ created: before.flows.length, updated: 0, unchanged: 0 });
    expect((await viewer.get('/api/flows/export')).body.flows).toEqual(before.flows);
  });

  it('plans addresses: overlap refused, usage, and 1,000 concurrent allocations on two replicas never share a group', async () => {
    const parent = await engineer.post('/api/address-buckets', { name: 'video red', cidr: '239.100.0.0/16', leg: 'a' });
    expect(parent.status).toBe(201);
    const overlap = await engineer.post('/api/address-buckets', { name: 'clash', first_addr: '239.100.255.0', last_addr: '239.101.0.10', leg: 'any' });
    expect(overlap.status).toBe(409);
    expect(overlap.body).toMatchObject({ error: 'bucket_overlap', overlaps: parent.body.id });
    // The B network may reuse the same groups.
    expect((await engineer.post('/api/address-buckets', { name: 'video blue', cidr: '239.100.0.0/16', leg: 'b' })).status).toBe(201);
    expect((await engineer.post('/api/address-buckets', { name: 'bad', cidr: '239.100.0.1/16' })).body.fields[0].field).toBe('cidr');
    const child = await engineer.post('/api/address-buckets', {
      name: 'studio A',
      parent_id: parent.body.id,
      first_addr: '239.100.1.0',
      last_addr: '239.100.4.255',
      leg: 'a',
      port: 5006,
    });
    expect(child.status).toBe(201);
    expect(child.body.usage).toEqual({ size: 1024, reserved: 0, in_inventory: 0, free: 1024 });
    const outside = await engineer.post('/api/address-buckets', { name: 'outside', parent_id: parent.body.id, cidr: '239.200.0.0/24', leg: 'a' });
    expect(outside.status).toBe(400);

    // A flow already on the first group: the plan skips it.
    expect((await engineer.post('/api/flows', { display_name: 'squatter', multicast_addr_a: '239.100.1.0', group_port_a: 5006 })).status).toBe(201);
    const clients = [engineer, await replicas[0].api.loginAs('flow-engineer', 'engineer-password-1')];
    // 1,000 allocations, 25 at a time on each replica (as many as a busy plant's automation sends).
    const answers: Array<{ status: number; body: any }> = [];
    await Promise.all(
      Array.from({ length: 50 }, async (_, worker) => {
        for (let i = worker; i < 1000; i += 50)
          answers.push(await clients[worker % 2].post(`/api/address-buckets/${child.body.id}/allocate`, { note: `alloc ${i}` }));
      }),
    );
    expect(answers.filter((a) => a.status !== 200 && a.status !== 201)).toEqual([]);
    const groups = answers.map((a) => a.body[0].addr as string);
    expect(new Set(groups).size).toBe(1000);
    expect(groups).not.toContain('239.100.1.0');
    expect(groups.every((g) => g.startsWith('239.100.'))).toBe(true);
    const usage = (await viewer.get(`/api/address-buckets/${child.body.id}`)).body.usage;
    expect(usage).toEqual({ size: 1024, reserved: 1000, in_inventory: 1, free: 23 });
    const full = await engineer.post(`/api/address-buckets/${child.body.id}/allocate`, { count: 24 });
    expect(full.status).toBe(409);
    expect(full.body).toMatchObject({ error: 'bucket_full', free: 23 });
    expect((await engineer.delete(`/api/address-buckets/${child.body.id}`)).status).toBe(409);
  });

  it('reports collisions per network, keeping source-specific groups apart, and checks a proposed group', async () => {
    const add = (body: object) => engineer.post('/api/flows', body);
    await add({ display_name: 'collide 1', multicast_addr_a: '239.50.0.1', group_port_a: 5004 });
    await add({ display_name: 'collide 2', multicast_addr_a: '239.50.0.1', group_port_a: 5004 });
    await add({ display_name: 'other port', multicast_addr_a: '239.50.0.2', group_port_a: 5004 });
    await add({ display_name: 'other port 2', multicast_addr_a: '239.50.0.2', group_port_a: 5008 });
    await add({ display_name: 'ssm 1', multicast_addr_a: '232.50.0.1', group_port_a: 5004, source_addr_a: '10.0.0.1' });
    await add({ display_name: 'ssm 2', multicast_addr_a: '232.50.0.1', group_port_a: 5004, source_addr_a: '10.0.0.2' });
    await add({ display_name: 'red only', multicast_addr_a: '239.50.0.3', group_port_a: 5004 });
    await add({ display_name: 'blue only', multicast_addr_b: '239.50.0.3', group_port_b: 5004 });

    const report = (await viewer.get('/api/checker/collisions')).body.collisions;
    const mine = report.filter((c: { multicast_addr: string }) => c.multicast_addr.startsWith('239.50.') || c.multicast_addr.startsWith('232.50.'));
    expect(mine.map((c: { multicast_addr: string; severity: string }) => [c.multicast_addr, c.severity])).toEqual([
      ['239.50.0.1', 'error'],
      ['239.50.0.2', 'warning'],
    ]);
    expect(mine[0].flows.map((f: { display_name: string }) => f.display_name).sort()).toEqual(['collide 1', 'collide 2']);

    const check = (await viewer.get('/api/checker/check?multicast_addr=239.100.1.0&leg=a&port=5006')).body;
    expect(check.free).toBe(false);
    expect(check.conflicts).toEqual([expect.objectContaining({ display_name: 'squatter', severity: 'error' })]);
    expect(check.alternatives.length).toBeGreaterThan(0);
    for (const alternative of check.alternatives) {
      expect((await viewer.get(`/api/checker/check?multicast_addr=${alternative.multicast_addr}&leg=a`)).body.free).toBe(true);
    }
    expect((await viewer.get('/api/checker/check?multicast_addr=232.50.0.1&source_addr=10.0.0.3')).body.free).toBe(true);
    expect((await viewer.get('/api/checker/check?multicast_addr=239.50.0.3&leg=b')).body.conflicts).toHaveLength(1);
    expect((await viewer.get('/api/checker/check?multicast_addr=10.0.0.1')).body.fields[0].field).toBe('multicast_addr');
  });

  it('publishes flow events in GO-NMOS shape on flow/<flow_id> (retained; cleared on delete) and all, valid against their schema', async () => {
    const flow = (await engineer.post('/api/flows', { display_name: 'events flow', multicast_addr_a: '239.60.0.1' })).body;
    await engineer.patch(`/api/flows/${flow.id}`, { display_name: 'events flow renamed' });
    const topic = `${PREFIX}/flow/${flow.flow_id}`;
    await eventually(() => {
      const types = broker.received.filter((m) => m.topic === topic).map((m) => m.payload?.type);
      expect(types).toEqual(['flow.created', 'flow.updated']);
    });
    const updated = broker.received.find((m) => m.topic === topic && m.payload?.type === 'flow.updated')!;
    expect(updated.retain).toBe(true);
    expect(updated.payload).toMatchObject({
      event: 'updated',
      flow_id: flow.flow_id,
      flow: { display_name: 'events flow renamed' },
      diff: { display_name: { from: 'events flow', to: 'events flow renamed' } },
      actor: { name: 'flow-engineer' },
    });
    const onAll = broker.received.filter((m) => m.topic === `${PREFIX}/all` && m.payload?.flow_id === flow.flow_id);
    expect(onAll.map((m) => [m.payload.event, m.retain])).toEqual([
      ['created', false],
      ['updated', false],
    ]);
    for (const message of [...broker.received.filter((m) => m.topic === topic), ...onAll]) expect(schemas.problems(message.payload)).toEqual([]);
    expect(await retainedOn(broker.url, topic)).toMatchObject({ type: 'flow.updated' });

    expect((await engineer.delete(`/api/flows/${flow.id}`)).status).toBe(204);
    await eventually(() =>
      expect(broker.received.filter((m) => m.topic === topic).map((m) => m.payload?.type ?? 'cleared')).toEqual([
        'flow.created',
        'flow.updated',
        'flow.deleted',
        'cleared',
      ]),
    );
    const deleted = broker.received.find((m) => m.topic === topic && m.payload?.type === 'flow.deleted')!;
    expect(deleted.retain).toBe(false);
    expect(schemas.problems(deleted.payload)).toEqual([]);
    expect(await retainedOn(broker.url, topic)).toBeUndefined();
  });
});

/** What a new subscriber gets on a topic at once: its retained message, or nothing. */
async function retainedOn(url: string, topic: string): Promise<Record<string, unknown> | undefined> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  try {
    const message = new Promise<Record<string, unknown> | undefined>((resolve) => {
      client.on('message', (_t, payload) => resolve(payload.length ? JSON.parse(payload.toString()) : undefined));
      setTimeout(() => resolve(undefined), 1_000).unref();
    });
    await client.subscribeAsync(topic, { qos: 1 });
    return await message;
  } finally {
    await client.endAsync(true);
  }
}
