import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PostgresServer } from '#database';
import { Facility } from '../../apps/simulator/src/index.js';
import type { ApiClient } from '../support/api-client.js';
import { startController, TEST_ADMIN, type RunningController } from '../support/controller.js';
import { eventually } from '../support/eventually.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';
import { FacilityEndpoints, waitForFacility } from '../support/routing-fixtures.js';

const requestsFor = FacilityEndpoints.requestsFor;

/**
 * The flow inventory beside the merged view of a simulated facility: flows made from its senders
 * (ids, labels, API URLs, both SDP legs), a sender changed outside the controller shows as a difference
 * that `sync` applies (not while the flow is locked), and a manual flow linked to a sender.
 */
describe('flows linked to NMOS senders', () => {
  let dir: string;
  let pg: PostgresServer;
  let facility: Facility;
  let endpoints: FacilityEndpoints;
  let controller: RunningController;
  let admin: ApiClient;
  let operator: ApiClient;

  beforeAll(async () => {
    dir = await scratchDir('flows-nmos');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    facility = await Facility.start({ registries: 1, nodes: 2, senders: 3, receivers: 4, redundantShare: 0.5 });
    endpoints = new FacilityEndpoints(facility);
    controller = await startController({ DATABASE_URL: urlOf(pg.port, 'app'), ACTIVE_CHECK_INTERVAL: '0' });
    admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    expect((await admin.post('/api/users', { username: 'flow-operator', password: 'operator-password-1', role: 'operator' })).status).toBe(201);
    operator = await controller.api.loginAs('flow-operator', 'operator-password-1');
    expect((await admin.put('/api/registry/config', [{ name: 'R0', query_url: facility.registries[0].url, enabled: true }])).status).toBe(200);
    await waitForFacility(admin, facility);
  });

  afterAll(async () => {
    await controller?.close();
    await facility?.stop();
    await pg?.stop();
    await removeDir(dir);
  });

  it('lists unlinked senders and makes flows from them with NMOS ids, labels, API URLs and both SDP legs', async () => {
    const senders = endpoints.senders();
    expect(((await admin.get('/api/flows/nmos/unlinked')).body as Array<{ id: string }>).map((s) => s.id).sort()).toEqual(senders.map((s) => s.id).sort());
    const missing = await admin.post('/api/flows/nmos/snapshot', { sender_ids: ['00000000-0000-4000-8000-000000000000'] });
    expect(missing.status).toBe(404);

    const snapshot = await admin.post('/api/flows/nmos/snapshot', {});
    expect(snapshot.status).toBe(200);
    expect(snapshot.body.created).toHaveLength(senders.length);
    expect(snapshot.body.sdp_errors).toEqual([]);
    for (const sender of senders) {
      const flow = snapshot.body.created.find((f: { nmos_sender_id: string }) => f.nmos_sender_id === sender.id);
      const resource = (await admin.get(`/api/nmos/senders/${sender.id}`)).body.resource;
      expect(flow).toMatchObject({
        display_name: resource.label,
        flow_id: resource.flow_id,
        nmos_flow_id: resource.flow_id,
        nmos_device_id: resource.device_id,
        nmos_node_id: sender.node.model.node.id,
        is05_base_url: expect.stringMatching(/\/x-nmos\/connection\/v1\.1$/),
        is05_version: 'v1.1',
        is04_version: 'v1.3',
        sdp_url: resource.manifest_href,
        data_source: 'nmos',
        multicast_addr_a: sender.multicast[0],
        multicast_addr_b: sender.multicast[1] ?? null,
      });
      if (sender.kind === 'video') expect(flow).toMatchObject({ st2110_format: 'ST2110-20', format_summary: '1080i50' });
    }
    expect((await admin.get('/api/flows/nmos/unlinked')).body).toEqual([]);
    expect((await admin.post('/api/flows/nmos/snapshot', {})).body.created).toEqual([]);
  });

  it('shows a sender changed outside the controller as a difference, and syncs it unless the flow is locked', async () => {
    const sender = endpoints.sender('video', 1);
    const flow = (await admin.get(`/api/flows?nmos_sender_id=${sender.id}`)).body[0];
    expect((await admin.get(`/api/flows/${flow.id}/nmos/diff`)).body.changes).toEqual({});

    // The device's own Connection API moves the sender to another group.
    const device = (await admin.get(`/api/nmos/devices/${flow.nmos_device_id}`)).body.resource;
    const patched = await fetch(`${device.controls[0].href}/single/senders/${sender.id}/staged`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ transport_params: [{ destination_ip: '239.77.0.1', destination_port: 5010 }], activation: { mode: 'activate_immediate' } }),
    });
    expect(patched.status).toBe(200);
    const diff = (await admin.get(`/api/flows/${flow.id}/nmos/diff`)).body;
    expect(diff.in_merged_view).toBe(true);
    expect(diff.changes).toMatchObject({ multicast_addr_a: { from: sender.multicast[0], to: '239.77.0.1' }, group_port_a: { from: 5004, to: 5010 } });

    expect((await admin.post(`/api/flows/${flow.id}/lock`, { locked: true, reason: 'show' })).status).toBe(200);
    expect((await admin.post(`/api/flows/${flow.id}/nmos/sync`)).status).toBe(423);
    const bulk = (await admin.post('/api/flows/nmos/sync')).body;
    expect(bulk.refused).toEqual([expect.objectContaining({ id: flow.id, error: 'flow_locked' })]);
    expect((await admin.get(`/api/flows/${flow.id}`)).body.multicast_addr_a).toBe(sender.multicast[0]);

    expect((await admin.post(`/api/flows/${flow.id}/lock`, { locked: false })).status).toBe(200);
    const synced = await admin.post(`/api/flows/${flow.id}/nmos/sync`);
    expect(synced.status).toBe(200);
    expect(synced.body).toMatchObject({ multicast_addr_a: '239.77.0.1', group_port_a: 5010, display_name: flow.display_name });
    expect((await admin.get(`/api/flows/${flow.id}/nmos/diff`)).body.changes).toEqual({});
    const audit = (await admin.get(`/api/flows/${flow.id}/audit`)).body;
    expect(audit[0]).toMatchObject({ action: 'synced', diff: { multicast_addr_a: { from: sender.multicast[0], to: '239.77.0.1' } } });
    // Nothing new: a second sync writes nothing.
    const version = synced.body.version;
    expect((await admin.post('/api/flows/nmos/sync')).body).toMatchObject({ synced: [], refused: [] });
    expect((await admin.get(`/api/flows/${flow.id}`)).body.version).toBe(version);
  });

  it('refuses a take whose sender shares its group and port with another flow (409, nothing sent), unless an engineer overrides with a reason (audited)', async () => {
    const sender = endpoints.sender('video', 1);
    const receiver = endpoints.receiver('video', 1, new Set());
    const own = (await admin.get(`/api/flows?nmos_sender_id=${sender.id}`)).body[0];
    const rogue = (await admin.post('/api/flows', { display_name: 'Rogue encoder', multicast_addr_a: own.multicast_addr_a, group_port_a: own.group_port_a }))
      .body;

    const refused = await operator.post('/api/connections', { receiver_id: receiver.id, sender_id: sender.id });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('multicast_collision');
    expect(refused.body.message).toContain('Rogue encoder');
    expect(refused.body.collisions).toEqual([
      expect.objectContaining({ leg: 'a', multicast_addr: own.multicast_addr_a, flow: expect.objectContaining({ id: rogue.id }) }),
    ]);
    expect(requestsFor(receiver.node, receiver.id, 'PATCH')).toEqual([]);
    // An operator may not override; an admin may, with a reason.
    expect((await operator.post('/api/connections', { receiver_id: receiver.id, sender_id: sender.id }, { 'x-override-reason': 'rehearsal' })).status).toBe(
      409,
    );
    const taken = await admin.post('/api/connections', { receiver_id: receiver.id, sender_id: sender.id }, { 'x-override-reason': 'rogue encoder is off air' });
    expect(taken.status).toBe(200);
    expect(taken.body.overrides).toEqual([expect.objectContaining({ kind: 'collision', reason: 'rogue encoder is off air' })]);
    const audit = (await admin.get(`/api/audit?receiver_id=${receiver.id}&limit=5`)).body;
    const rows = audit.items ?? audit;
    expect(rows[0]).toMatchObject({ outcome: 'succeeded', override_reason: expect.stringContaining('collision') });
    expect(rows.some((r: { outcome: string; error?: { code?: string } }) => r.outcome === 'refused')).toBe(true);
    // Without the other flow, the same take needs no override.
    expect((await admin.delete(`/api/flows/${rogue.id}`)).status).toBe(204);
    expect((await operator.post('/api/connections', { receiver_id: receiver.id, sender_id: sender.id })).status).toBe(200);
  });

  it('gives a two-leg sender groups from the plan through IS-05, verified on its /active and recorded on its flow; a collision or a lock leaves the device and the plan as they were', async () => {
    const sender = endpoints.senders().find((s) => s.legs === 2)!;
    const senderActive = () =>
      sender.node.connection.active('senders', sender.id) as unknown as { transport_params: Array<{ destination_ip: string; destination_port: number }> };
    const red = (await admin.post('/api/address-buckets', { name: 'senders red', cidr: '239.150.0.0/24', leg: 'a', port: 5020 })).body;
    const blue = (await admin.post('/api/address-buckets', { name: 'senders blue', cidr: '239.151.0.0/24', leg: 'b', port: 5020 })).body;
    await admin.post('/api/flows', { display_name: 'Existing stream', multicast_addr_a: '239.150.0.0', group_port_a: 5020 });
    expect((await operator.post(`/api/senders/${sender.id}/addresses`, { bucket_id: red.id })).status).toBe(403);

    const assigned = await admin.post(`/api/senders/${sender.id}/addresses`, { bucket_id: red.id, bucket_id_b: blue.id });
    expect(assigned.status).toBe(200);
    expect(assigned.body.legs).toEqual([
      { leg: 'a', multicast_addr: '239.150.0.1', group_port: 5020 },
      { leg: 'b', multicast_addr: '239.151.0.0', group_port: 5020 },
    ]);
    expect(senderActive().transport_params.map((p) => [p.destination_ip, p.destination_port])).toEqual([
      ['239.150.0.1', 5020],
      ['239.151.0.0', 5020],
    ]);
    const flow = (await admin.get(`/api/flows?nmos_sender_id=${sender.id}`)).body[0];
    expect(flow).toMatchObject({ multicast_addr_a: '239.150.0.1', group_port_a: 5020, multicast_addr_b: '239.151.0.0', group_port_b: 5020 });
    expect(flow.sdp_cache).toContain('c=IN IP4 239.150.0.1/32');
    expect(assigned.body.reservations.map((r: { flow_row_id: string }) => r.flow_row_id)).toEqual([flow.id, flow.id]);

    // Leg A given on a group another flow has: refused before the device is touched; leg B's allocation is released.
    const collided = await admin.post(`/api/senders/${sender.id}/addresses`, { multicast_addr_a: '239.150.0.0', port: 5020, bucket_id_b: blue.id });
    expect(collided.status).toBe(409);
    expect(collided.body.error).toBe('multicast_collision');
    expect(senderActive().transport_params[0].destination_ip).toBe('239.150.0.1');
    expect((await admin.get(`/api/address-buckets/${blue.id}`)).body.usage.reserved).toBe(1);

    expect((await admin.post(`/api/flows/${flow.id}/lock`, { locked: true, reason: 'on air' })).status).toBe(200);
    const locked = await admin.post(`/api/senders/${sender.id}/addresses`, { bucket_id: red.id, bucket_id_b: blue.id });
    expect(locked.status).toBe(423);
    expect(senderActive().transport_params[0].destination_ip).toBe('239.150.0.1');
    expect((await admin.get(`/api/address-buckets/${red.id}`)).body.usage.reserved).toBe(1);
  });

  it('links a flow typed by hand to a sender and fills it from NMOS, keeping its name', async () => {
    const sender = endpoints.sender('audio', 1);
    const existing = (await admin.get(`/api/flows?nmos_sender_id=${sender.id}`)).body[0];
    expect((await admin.delete(`/api/flows/${existing.id}?hard=true`)).status).toBe(204);
    const manual = (await admin.post('/api/flows', { display_name: 'Commentary mix', note: 'typed by hand' })).body;
    const linked = await admin.post(`/api/flows/${manual.id}/nmos/link`, { sender_id: sender.id });
    expect(linked.status).toBe(200);
    expect(linked.body).toMatchObject({
      display_name: 'Commentary mix',
      note: 'typed by hand',
      nmos_sender_id: sender.id,
      multicast_addr_a: sender.multicast[0],
      st2110_format: 'ST2110-30',
      format_summary: 'L24/48k/2',
    });
    await eventually(async () => expect((await admin.get('/api/flows/nmos/unlinked')).body).toEqual([]));
  });
  it('reports collisions across the merged view too: a sender no flow describes, read from its SDP, against the inventory', async () => {
    const sender = endpoints.sender('audio', 1);
    const flow = (await admin.get(`/api/flows?nmos_sender_id=${sender.id}`)).body[0];
    expect((await admin.delete(`/api/flows/${flow.id}?hard=true`)).status).toBe(204);
    const clone = (await admin.post('/api/flows', { display_name: 'Clone', multicast_addr_a: flow.multicast_addr_a, group_port_a: flow.group_port_a })).body;

    const onGroup = (report: { collisions: Array<{ leg: string; multicast_addr: string }> }) =>
      report.collisions.filter((c) => c.leg === 'a' && c.multicast_addr === flow.multicast_addr_a);
    expect(onGroup((await admin.get('/api/checker/collisions')).body)).toEqual([]);
    const merged = (await admin.get('/api/checker/collisions?merged_view=true')).body;
    expect(merged.merged_view).toEqual({ unlinked_senders: 1, sdp_errors: [] });
    const [row] = onGroup(merged) as unknown as Array<{ severity: string; flows: Array<{ id: string | null; sender_id?: string }> }>;
    expect(row.severity).toBe('error');
    expect(row.flows.map((f) => f.sender_id ?? f.id).sort()).toEqual([clone.id, sender.id].sort());
    expect((await admin.get('/api/checker/collisions?merged_view=yes')).status).toBe(400);
  });
});
