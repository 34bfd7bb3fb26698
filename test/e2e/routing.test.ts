import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { PostgresServer } from '#database';
import { Facility, NmosSchemas, formatTai, parseTai, taiNowNanos } from '../../apps/simulator/src/index.js';
import type { ApiClient } from '../support/api-client.js';
import { startController, TEST_ADMIN, type RunningController } from '../support/controller.js';
import { EventSchemas } from '../support/event-schemas.js';
import { eventually } from '../support/eventually.js';
import { newUser } from '../factories/user.factory.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';
import { FacilityEndpoints, waitForFacility } from '../support/routing-fixtures.js';

const requestsFor = FacilityEndpoints.requestsFor;

/** IS-05 routing against the simulated facility: what devices receive, what they do, what we answer. */
describe('routing (IS-05) against the simulated facility', () => {
  let dir: string;
  let pg: PostgresServer;
  let facility: Facility;
  let endpoints: FacilityEndpoints;
  let controller: RunningController;
  let admin: ApiClient;
  let operator: ApiClient;
  let otherOperator: ApiClient;
  let engineer: ApiClient;
  const taken = new Set<string>();
  const schemas = new NmosSchemas();

  const deviceActive = (node: { connection: { active: (side: 'receivers', id: string) => unknown } }, id: string) =>
    node.connection.active('receivers', id) as { sender_id: string | null; master_enable: boolean; transport_params: Array<Record<string, unknown>> };

  beforeAll(async () => {
    dir = await scratchDir('routing-e2e');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    facility = await Facility.start({ registries: 1, nodes: 6, senders: 6, receivers: 14, redundantShare: 0.4, heartbeatIntervalMs: 500 });
    endpoints = new FacilityEndpoints(facility);
    controller = await startController({
      DATABASE_URL: urlOf(pg.port, 'app'),
      DEVICE_TIMEOUT_MS: '1000',
      RECEIVER_LOCK_WAIT_MS: '3000',
      LEASE_TTL_SECONDS: '3',
      // These tests count every request a device receives: no periodic /active reads in between.
      ACTIVE_CHECK_INTERVAL: '0',
    });
    admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    const login = async (role: 'operator' | 'engineer') => {
      const user = newUser(role);
      expect((await admin.post('/api/users', user)).status).toBe(201);
      return controller.api.loginAs(user.username, user.password);
    };
    [operator, otherOperator, engineer] = [await login('operator'), await login('operator'), await login('engineer')];
    expect((await admin.put('/api/registry/config', [{ name: 'R0', query_url: facility.registries[0].url, enabled: true }])).status).toBe(200);
    await waitForFacility(admin, facility);
  });

  afterAll(async () => {
    await controller?.close();
    await facility?.stop();
    await pg?.stop();
    await removeDir(dir);
  });

  beforeEach(() => {
    for (const node of facility.nodes) node.requests.length = 0;
  });

  it('connects with exactly one PATCH carrying the SDP, valid against the IS-05 schema, and answers what /active shows', async () => {
    const sender = endpoints.sender('video', 1);
    const receiver = endpoints.receiver('video', 1, taken);
    const answer = await operator.post('/api/connections', { receiver_id: receiver.id, sender_id: sender.id });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      receiver_id: receiver.id,
      sender_id: sender.id,
      state: 'activated',
      active: { sender_id: sender.id, master_enable: true },
    });

    const patches = requestsFor(receiver.node, receiver.id, 'PATCH');
    expect(patches).toHaveLength(1);
    const patch = patches[0].body as Record<string, any>;
    expect(schemas.problems('is-05', 'receiver-stage-schema.json', patch)).toEqual([]);
    expect(patch).toMatchObject({ sender_id: sender.id, master_enable: true, activation: { mode: 'activate_immediate' } });
    expect(patch.transport_file).toEqual({ data: sender.node.connection.transportFile(sender.id), type: 'application/sdp' });
    expect(patch.transport_params).toEqual([{ rtp_enabled: true, multicast_ip: sender.multicast[0], source_ip: expect.any(String), destination_port: 5004 }]);
    // /active was read back after the PATCH, and it is what the device really does.
    expect(requestsFor(receiver.node, receiver.id, 'GET').map((r) => r.path.split('/').pop())).toEqual(['constraints', 'active']);
    expect(deviceActive(receiver.node, receiver.id)).toMatchObject({ sender_id: sender.id, master_enable: true });
    expect(answer.body.active).toEqual(deviceActive(receiver.node, receiver.id));
    const state = (await operator.get(`/api/connections/${receiver.id}`)).body;
    expect(state).toMatchObject({ receiver_id: receiver.id, sender_id: sender.id, master_enable: true });
    expect(state.verified).toMatchObject({ sender_id: sender.id, master_enable: true });
  });

  it('follows the ST 2022-7 leg rules: 2→2 both legs, 1→2 leg 2 disabled, 2→1 the leg asked for', async () => {
    const twoLeg = endpoints.sender('video', 2);
    const oneLeg = endpoints.sender('video', 1);

    const both = endpoints.receiver('video', 2, taken);
    expect((await operator.post('/api/connections', { receiver_id: both.id, sender_id: twoLeg.id })).status).toBe(200);
    expect(deviceActive(both.node, both.id).transport_params.map((l) => [l.multicast_ip, l.rtp_enabled])).toEqual([
      [twoLeg.multicast[0], true],
      [twoLeg.multicast[1], true],
    ]);

    const widened = endpoints.receiver('video', 2, taken);
    expect((await operator.post('/api/connections', { receiver_id: widened.id, sender_id: oneLeg.id })).status).toBe(200);
    const [patch] = requestsFor(widened.node, widened.id, 'PATCH');
    expect((patch.body as any).transport_params[1]).toEqual({ rtp_enabled: false });
    expect(deviceActive(widened.node, widened.id).transport_params.map((l) => l.rtp_enabled)).toEqual([true, false]);

    const narrowed = endpoints.receiver('video', 1, taken);
    const secondary = await operator.post('/api/connections', { receiver_id: narrowed.id, sender_id: twoLeg.id, legs: 'secondary' });
    expect(secondary.status).toBe(200);
    const [narrowPatch] = requestsFor(narrowed.node, narrowed.id, 'PATCH');
    const sdp = (narrowPatch.body as any).transport_file.data as string;
    expect(sdp.match(/^m=/gm)).toHaveLength(1);
    expect(sdp).toContain(twoLeg.multicast[1]);
    expect(sdp).not.toContain('a=group:DUP');
    expect(deviceActive(narrowed.node, narrowed.id).transport_params[0].multicast_ip).toBe(twoLeg.multicast[1]);
  });

  it('refuses unknown and incompatible pairs before touching any device (404, 409 with the reason)', async () => {
    const receiver = endpoints.receiver('video', 1, taken);
    const audio = endpoints.sender('audio', 1);
    const incompatible = await operator.post('/api/connections', { receiver_id: receiver.id, sender_id: audio.id });
    expect(incompatible.status).toBe(409);
    expect(incompatible.body).toMatchObject({ error: 'incompatible' });
    expect(incompatible.body.message).toMatch(/audio/);
    expect((await operator.post('/api/connections', { receiver_id: '00000000-0000-4000-8000-000000000000', sender_id: audio.id })).body.error).toBe(
      'receiver_not_found',
    );
    expect((await operator.post('/api/connections', { receiver_id: receiver.id, sender_id: 'nope' })).status).toBe(404);
    const invalid = await operator.post('/api/connections', {
      receiver_id: receiver.id,
      sender_id: audio.id,
      activation: { mode: 'activate_scheduled_absolute' },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.fields[0].field).toBe('activation.requested_time');
    expect(requestsFor(receiver.node, receiver.id)).toEqual([]);
    expect((await admin.get('/api/connections/' + receiver.id)).body.verified).toBeNull();
  });

  it('answers 502 with the device error when it refuses and 504 when it hangs, recording nothing as connected', async () => {
    const sender = endpoints.sender('video', 1);
    const refusing = endpoints.receiver('video', 1, taken);
    refusing.node.faults.receivers.set(refusing.id, 'reject');
    const refused = await operator.post('/api/connections', { receiver_id: refusing.id, sender_id: sender.id });
    expect(refused.status).toBe(502);
    expect(refused.body).toMatchObject({ error: 'device_refused', device: { status: 500, body: { code: 500 } } });
    expect(requestsFor(refusing.node, refusing.id, 'PATCH')).toHaveLength(1);
    refusing.node.faults.receivers.delete(refusing.id);

    const hanging = endpoints.receiver('video', 1, taken);
    hanging.node.faults.receivers.set(hanging.id, 'timeout');
    const timedOut = await operator.post('/api/connections', { receiver_id: hanging.id, sender_id: sender.id });
    expect(timedOut.status).toBe(504);
    expect(timedOut.body.error).toBe('device_timeout');
    hanging.node.faults.receivers.delete(hanging.id);

    for (const id of [refusing.id, hanging.id]) {
      const state = (await operator.get(`/api/connections/${id}`)).body;
      expect(state.verified).toBeNull();
      expect(state.sender_id).toBeNull();
    }
    const audit = (await operator.get(`/api/audit?receiver_id=${refusing.id}`)).body.items;
    expect(audit[0]).toMatchObject({ action: 'connection.take', outcome: 'failed', error: { error: 'device_refused' } });
  });

  it('disconnects with one PATCH (master_enable false, sender_id null), verified', async () => {
    const sender = endpoints.sender('video', 1);
    const receiver = endpoints.receiver('video', 1, taken);
    expect((await operator.post('/api/connections', { receiver_id: receiver.id, sender_id: sender.id })).status).toBe(200);
    receiver.node.requests.length = 0;
    const answer = await operator.delete(`/api/connections/${receiver.id}`);
    expect(answer.status).toBe(200);
    expect(answer.body.active).toMatchObject({ master_enable: false, sender_id: null });
    const patches = requestsFor(receiver.node, receiver.id, 'PATCH');
    expect(patches.map((p) => p.body)).toEqual([{ sender_id: null, master_enable: false, activation: { mode: 'activate_immediate' } }]);
    expect(schemas.problems('is-05', 'receiver-stage-schema.json', patches[0].body)).toEqual([]);
    expect(deviceActive(receiver.node, receiver.id).master_enable).toBe(false);
  });

  it('fires a salvo with one bulk POST per device, and falls back to single PATCHes where bulk is refused', async () => {
    const sender = endpoints.sender('video', 1);
    const freeVideo = (node: (typeof facility.nodes)[number]) => endpoints.receivers().filter((r) => r.node === node && r.kind === 'video' && !taken.has(r.id));
    const [a, b] = facility.nodes.filter((node) => freeVideo(node).length >= 2);
    const [onA, onB] = [freeVideo(a).slice(0, 2), freeVideo(b).slice(0, 2)];
    for (const r of [...onA, ...onB]) taken.add(r.id);
    b.faults.bulkRefusal = 405;
    const answer = await operator.post('/api/salvos', { connections: [...onA, ...onB].map((r) => ({ receiver_id: r.id, sender_id: sender.id })) });
    b.faults.bulkRefusal = null;
    expect(answer.body).toMatchObject({ outcome: 'succeeded' });
    expect(answer.status).toBe(200);
    expect(answer.body.items.map((i: { state: string }) => i.state)).toEqual(['activated', 'activated', 'activated', 'activated']);
    const bulkOnA = a.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/bulk/receivers'));
    expect(bulkOnA).toHaveLength(1);
    expect(schemas.problems('is-05', 'bulk-receiver-post-schema.json', bulkOnA[0].body)).toEqual([]);
    expect(a.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);
    expect(b.requests.filter((r) => r.method === 'PATCH')).toHaveLength(2);
    for (const r of [...onA, ...onB]) expect(deviceActive(r.node, r.id)).toMatchObject({ sender_id: sender.id, master_enable: true });
  });

  it('synchronises a salvo across devices: one absolute activation time for all, verified after it', async () => {
    const sender = endpoints.sender('video', 1);
    const freeVideo = (node: (typeof facility.nodes)[number]) => endpoints.receivers().filter((r) => r.node === node && r.kind === 'video' && !taken.has(r.id));
    const picked = facility.nodes
      .filter((node) => freeVideo(node).length > 0)
      .slice(0, 3)
      .map((node) => freeVideo(node)[0]);
    for (const r of picked) taken.add(r.id);
    const sentAt = taiNowNanos();
    const answer = await operator.post('/api/salvos', { connections: picked.map((r) => ({ receiver_id: r.id, sender_id: sender.id })), synchronised: true });
    expect(answer.status).toBe(200);
    expect(answer.body.items.map((i: { state: string }) => i.state)).toEqual(picked.map(() => 'activated'));
    const requested = parseTai(answer.body.activation.requested_time)!;
    expect(answer.body.activation.mode).toBe('activate_scheduled_absolute');
    expect(Number(requested - sentAt) / 1e6).toBeGreaterThanOrEqual(900);
    for (const r of picked) {
      const [bulk] = r.node.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/bulk/receivers'));
      expect((bulk.body as Array<{ params: { activation: unknown } }>)[0].params.activation).toEqual(answer.body.activation);
      const activatedAt = parseTai(String(r.node.model.receivers.find((m) => m.resource.id === r.id)!.resource.version))!;
      expect(Math.abs(Number(activatedAt - requested) / 1e6)).toBeLessThan(100);
    }
  });

  it('rolls a salvo back when one receiver fails: every receiver ends as it was', async () => {
    const first = endpoints.sender('video', 1);
    const second = endpoints.sender('video', 1, [first.id]);
    const receivers = [endpoints.receiver('video', 1, taken), endpoints.receiver('video', 1, taken), endpoints.receiver('video', 2, taken)];
    expect((await operator.post('/api/salvos', { connections: receivers.map((r) => ({ receiver_id: r.id, sender_id: first.id })) })).status).toBe(200);
    const before = receivers.map((r) => structuredClone(deviceActive(r.node, r.id)));
    const failing = receivers[1];
    failing.node.faults.receivers.set(failing.id, 'reject');
    const answer = await operator.post('/api/salvos', {
      connections: receivers.map((r) => ({ receiver_id: r.id, sender_id: second.id })),
      on_failure: 'rollback',
    });
    failing.node.faults.receivers.delete(failing.id);
    expect(answer.status).toBe(207);
    expect(answer.body.outcome).toBe('rolled_back');
    expect(answer.body.items.map((i: { state: string }) => i.state)).toEqual(['rolled_back', 'failed', 'rolled_back']);
    receivers.forEach((r, k) => {
      const now = deviceActive(r.node, r.id);
      expect({ sender_id: now.sender_id, master_enable: now.master_enable, transport_params: now.transport_params }).toEqual({
        sender_id: before[k].sender_id,
        master_enable: before[k].master_enable,
        transport_params: before[k].transport_params,
      });
    });
    const audit = (await operator.get(`/api/audit?salvo_id=${answer.body.salvo_id}&limit=100`)).body.items as Array<{ action: string }>;
    expect(audit.filter((e) => e.action === 'salvo.rollback')).toHaveLength(2);

    // With `continue`, the others stay switched and the answer says which one failed.
    failing.node.faults.receivers.set(failing.id, 'reject');
    const partial = await operator.post('/api/salvos', {
      connections: receivers.map((r) => ({ receiver_id: r.id, sender_id: second.id })),
      on_failure: 'continue',
    });
    failing.node.faults.receivers.delete(failing.id);
    expect(partial.status).toBe(207);
    expect(partial.body.outcome).toBe('partial');
    expect(deviceActive(receivers[0].node, receivers[0].id).sender_id).toBe(second.id);
    expect(deviceActive(failing.node, failing.id).sender_id).toBe(first.id);
  });

  it('schedules an absolute activation on the device that happens within 100 ms of its time, then verifies it', async () => {
    const sender = endpoints.sender('video', 1);
    const receiver = endpoints.receiver('video', 1, taken);
    const at = taiNowNanos() + 800_000_000n;
    const answer = await operator.post('/api/connections', {
      receiver_id: receiver.id,
      sender_id: sender.id,
      activation: { mode: 'activate_scheduled_absolute', requested_time: formatTai(at) },
    });
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ state: 'scheduled', schedule_id: expect.any(String) });
    const pending = (await operator.get('/api/connections/scheduled?state=pending')).body as Array<{ id: string }>;
    expect(pending.map((s) => s.id)).toContain(answer.body.schedule_id);
    // While it is pending, another take on the receiver is refused.
    const blocked = await operator.post('/api/connections', { receiver_id: receiver.id, sender_id: sender.id });
    expect(blocked.status).toBe(423);
    expect(blocked.body.error).toBe('scheduled_activation_pending');

    await eventually(() => expect(deviceActive(receiver.node, receiver.id).sender_id).toBe(sender.id), 5_000, 10);
    // The receiver's IS-04 version is stamped at the moment the device activated.
    const activatedAt = parseTai(String(receiver.node.model.receivers.find((r) => r.resource.id === receiver.id)!.resource.version))!;
    expect(Number(activatedAt - at) / 1e6).toBeGreaterThanOrEqual(0);
    expect(Number(activatedAt - at) / 1e6).toBeLessThan(100);
    await eventually(async () => {
      const all = (await operator.get('/api/connections/scheduled')).body as Array<{ id: string; state: string }>;
      expect(all.find((s) => s.id === answer.body.schedule_id)?.state).toBe('activated');
    }, 10_000);
  });

  it('cancels a device-side schedule with activation.mode null, and reports 423 when the device holds one it did not get from us', async () => {
    const sender = endpoints.sender('video', 1);
    const receiver = endpoints.receiver('video', 1, taken);
    const later = formatTai(taiNowNanos() + 60_000_000_000n);
    const scheduled = await operator.post('/api/connections', {
      receiver_id: receiver.id,
      sender_id: sender.id,
      activation: { mode: 'activate_scheduled_absolute', requested_time: later },
    });
    expect(scheduled.status).toBe(202);
    const cancelled = await operator.delete(`/api/connections/scheduled/${scheduled.body.schedule_id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.state).toBe('cancelled');
    expect(requestsFor(receiver.node, receiver.id, 'PATCH').at(-1)!.body).toEqual({ activation: { mode: null } });

    // Someone else scheduled an activation straight on the device.
    const api = receiver.node.connectionApiUrl;
    const direct = await fetch(`${api}/single/receivers/${receiver.id}/staged`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ activation: { mode: 'activate_scheduled_relative', requested_time: '60:0' } }),
    });
    expect(direct.status).toBe(202);
    const locked = await operator.post('/api/connections', { receiver_id: receiver.id, sender_id: sender.id });
    expect(locked.status).toBe(423);
    expect(locked.body.error).toBe('device_locked');
  });

  it('honours operator locks: others get 423, the owner and an admin override pass, every step audited', async () => {
    const sender = endpoints.sender('video', 1);
    const receiver = endpoints.receiver('video', 1, taken);
    expect((await operator.put(`/api/connections/${receiver.id}/lock`, { reason: 'on air: studio A' })).status).toBe(200);
    const refused = await otherOperator.post('/api/connections', { receiver_id: receiver.id, sender_id: sender.id });
    expect(refused.status).toBe(423);
    expect(refused.body).toMatchObject({ error: 'receiver_locked', lock: { reason: 'on air: studio A' } });
    expect((await otherOperator.delete(`/api/connections/${receiver.id}`)).status).toBe(423);
    expect(requestsFor(receiver.node, receiver.id)).toEqual([]);
    expect((await operator.post('/api/connections', { receiver_id: receiver.id, sender_id: sender.id })).status).toBe(200);
    // An engineer's reason is not enough for a lock; an admin's is.
    expect((await engineer.delete(`/api/connections/${receiver.id}`, { 'x-override-reason': 'fault' })).status).toBe(423);
    const overridden = await admin.delete(`/api/connections/${receiver.id}`, { 'x-override-reason': 'studio A feed is faulty' });
    expect(overridden.status).toBe(200);
    expect(overridden.body.overrides).toEqual([{ kind: 'lock', name: expect.any(String), reason: 'studio A feed is faulty' }]);
    expect((await otherOperator.delete(`/api/connections/${receiver.id}/lock`)).status).toBe(423);
    expect((await operator.delete(`/api/connections/${receiver.id}/lock`)).status).toBe(204);
    const audit = (await admin.get(`/api/audit?receiver_id=${receiver.id}`)).body.items as Array<Record<string, any>>;
    expect(audit.map((e) => [e.action, e.outcome])).toEqual([
      ['lock.removed', 'succeeded'],
      ['connection.disconnect', 'succeeded'],
      ['connection.disconnect', 'refused'],
      ['connection.take', 'succeeded'],
      ['connection.disconnect', 'refused'],
      ['connection.take', 'refused'],
      ['lock.set', 'succeeded'],
    ]);
    expect(audit[1]).toMatchObject({
      override_reason: expect.stringContaining('studio A feed is faulty'),
      actor: { name: TEST_ADMIN.username },
      request_id: expect.any(String),
    });
  });

  it('applies routing policies on every path, names the policy, and lets engineers override with a reason', async () => {
    const sender = endpoints.sender('video', 1);
    const receiver = endpoints.receiver('video', 1, taken);
    const policy = await engineer.post('/api/routing/policies', {
      name: 'no-test-feeds',
      effect: 'deny',
      sender: { id: sender.id },
      receiver: { label: `${receiver.node.model.node.label}/*` },
    });
    expect(policy.status).toBe(201);
    const refused = await operator.post('/api/connections', { receiver_id: receiver.id, sender_id: sender.id });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'policy_refused', policy: 'no-test-feeds' });
    const salvo = await operator.post('/api/salvos', { connections: [{ receiver_id: receiver.id, sender_id: sender.id }] });
    expect(salvo.body.items[0]).toMatchObject({ state: 'failed', error: { error: 'policy_refused', policy: 'no-test-feeds' } });
    expect(
      (
        await operator.post('/api/schedules', {
          connections: [{ receiver_id: receiver.id, sender_id: sender.id }],
          fire_at: new Date(Date.now() + 60_000).toISOString(),
        })
      ).status,
    ).toBe(403);
    expect((await operator.post('/api/connections', { receiver_id: receiver.id, sender_id: sender.id }, { 'x-override-reason': 'please' })).status).toBe(403);
    const overridden = await engineer.post('/api/connections', { receiver_id: receiver.id, sender_id: sender.id }, { 'x-override-reason': 'line-up test' });
    expect(overridden.status).toBe(200);
    expect(overridden.body.overrides).toEqual([{ kind: 'policy', name: 'no-test-feeds', reason: 'line-up test' }]);
    expect((await engineer.delete(`/api/routing/policies/${policy.body.id}`)).status).toBe(204);

    // Default deny: only what an allow policy names may be routed.
    expect((await engineer.put('/api/routing/default', { effect: 'deny' })).status).toBe(200);
    const other = endpoints.receiver('video', 1, taken);
    expect((await operator.post('/api/connections', { receiver_id: other.id, sender_id: sender.id })).body.policy).toBe('default-deny');
    const tag = 'urn:x-nmos:tag:grouphint/v1.0';
    expect(
      (await engineer.post('/api/routing/policies', { name: 'studio-video', effect: 'allow', receiver: { tag: { name: tag, value: '*:video*' } } })).status,
    ).toBe(201);
    expect((await operator.post('/api/connections', { receiver_id: other.id, sender_id: sender.id })).status).toBe(200);
    expect((await engineer.put('/api/routing/default', { effect: 'allow' })).status).toBe(200);

    const audit = (await admin.get(`/api/audit?receiver_id=${receiver.id}`)).body.items as Array<Record<string, any>>;
    expect(audit[0]).toMatchObject({
      action: 'connection.take',
      outcome: 'succeeded',
      override_reason: 'policy no-test-feeds: line-up test',
      actor: { role: 'engineer' },
    });
    expect(audit.filter((e) => e.outcome === 'refused').length).toBeGreaterThanOrEqual(2);
    const changes = (await admin.get('/api/audit?action=policy.created')).body.items;
    expect(changes.map((c: any) => c.request.name)).toEqual(expect.arrayContaining(['no-test-feeds', 'studio-video']));
    expect((await operator.post('/api/routing/policies', { name: 'x', effect: 'deny', sender: { id: 'a' } })).status).toBe(403);
  });

  it('shows a connection made outside the controller within 2 s, as state and as a receiver event', async () => {
    const sender = endpoints.sender('video', 1);
    const receiver = endpoints.receiver('video', 1, taken);
    const sdp = sender.node.connection.transportFile(sender.id)!;
    expect(receiver.node.connection.connectElsewhere(receiver.id, { id: sender.id, sdp })).toBe(true);
    await eventually(
      async () =>
        expect((await operator.get(`/api/connections/${receiver.id}`)).body).toMatchObject({ sender_id: sender.id, master_enable: true, source: 'registry' }),
      2_000,
      50,
    );
    expect((await operator.get(`/api/connections?sender_id=${sender.id}`)).body.map((c: any) => c.receiver_id)).toContain(receiver.id);
    expect(
      ((await operator.get('/api/tally')).body as Array<{ sender_id: string; receivers: string[] }>).find((t) => t.sender_id === sender.id)?.receivers,
    ).toContain(receiver.id);
    const eventSchemas = new EventSchemas();
    await eventually(async () => {
      const events = (await admin.get('/api/events?after=0&limit=1000')).body as Array<Record<string, any>>;
      const mine = events.filter((e) => e.type === 'receiver.state.changed' && e.subject.id === receiver.id);
      expect(mine.at(-1)).toMatchObject({ sender_id: sender.id, source: 'registry' });
      for (const event of mine) expect(eventSchemas.problems(event)).toEqual([]);
    }, 10_000);
  });

  it('acts once for an Idempotency-Key, replaying the first answer to a retry', async () => {
    const sender = endpoints.sender('video', 1);
    const receiver = endpoints.receiver('video', 1, taken);
    const body = { receiver_id: receiver.id, sender_id: sender.id };
    const first = await operator.post('/api/connections', body, { 'idempotency-key': 'take-42' });
    const retry = await operator.post('/api/connections', body, { 'idempotency-key': 'take-42' });
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(requestsFor(receiver.node, receiver.id, 'PATCH')).toHaveLength(1);
    const reused = await operator.post('/api/connections', { ...body, legs: 'primary' }, { 'idempotency-key': 'take-42' });
    expect(reused.status).toBe(409);
    expect(reused.body.error).toBe('idempotency_key_reused');
    // Keys belong to their caller: another operator's same key is a new request.
    expect((await otherOperator.post('/api/connections', body, { 'idempotency-key': 'take-42' })).headers.get('idempotent-replayed')).toBeNull();
  });

  it('claims no Idempotency-Key for a request it refuses as bad input: the corrected retry with the same key acts', async () => {
    const sender = endpoints.sender('video', 1);
    const receiver = endpoints.receiver('video', 1, taken);
    const body = { receiver_id: receiver.id, sender_id: sender.id };
    const key = { 'idempotency-key': 'take-bad-header-1' };
    const badHeader = await engineer.post('/api/connections', body, { ...key, 'x-override-reason': '   ' });
    expect(badHeader.status).toBe(400);
    expect(badHeader.body.error).toBe('invalid_override_reason');
    const badBody = await engineer.post('/api/connections', { ...body, legs: 'third' }, { 'idempotency-key': 'take-bad-body-1' });
    expect(badBody.status).toBe(400);
    expect(requestsFor(receiver.node, receiver.id, 'PATCH')).toHaveLength(0);
    const corrected = await engineer.post('/api/connections', body, key);
    expect(corrected.status).toBe(200);
    expect(corrected.headers.get('idempotent-replayed')).toBeNull();
    expect(requestsFor(receiver.node, receiver.id, 'PATCH')).toHaveLength(1);
    expect((await engineer.post('/api/connections', { ...body, legs: 'primary' }, { 'idempotency-key': 'take-bad-body-1' })).body.error).not.toBe(
      'idempotency_key_reused',
    );
  });

  it('resumes a retried Idempotency-Key by looking at the device first: no second PATCH when the first took effect', async () => {
    const [a, b] = endpoints.senders().filter((s) => s.kind === 'video' && s.legs === 1);
    const receiver = endpoints.receiver('video', 1, taken);
    const patches = () => requestsFor(receiver.node, receiver.id, 'PATCH').length;
    const connectOnDevice = (sender: typeof a) =>
      expect(receiver.node.connection.connectElsewhere(receiver.id, { id: sender.id, sdp: sender.node.connection.transportFile(sender.id)! })).toBe(true);

    // The device does not answer in time: 504, the outcome is unknown, and the key is released for a retry.
    receiver.node.faults.receivers.set(receiver.id, 'timeout');
    const timedOut = await operator.post('/api/connections', { receiver_id: receiver.id, sender_id: a.id }, { 'idempotency-key': 'resume-1' });
    expect(timedOut.status).toBe(504);
    receiver.node.faults.receivers.delete(receiver.id);
    const before = patches();
    // Meanwhile the device shows the take (as after a late PATCH, or a first attempt whose record was
    // lost in a failover): the retry finds it done and sends nothing.
    connectOnDevice(a);
    const resumed = await operator.post('/api/connections', { receiver_id: receiver.id, sender_id: a.id }, { 'idempotency-key': 'resume-1' });
    expect(resumed.status).toBe(200);
    expect(resumed.body.active).toMatchObject({ sender_id: a.id, master_enable: true });
    expect(patches()).toBe(before);
    const audit = (await admin.get(`/api/audit?receiver_id=${receiver.id}&action=connection.take`)).body.items;
    expect(audit[0]).toMatchObject({ outcome: 'succeeded', device_answer: { note: expect.stringContaining('no PATCH sent') } });

    // The first attempt did not take effect: the retry acts, once.
    receiver.node.faults.receivers.set(receiver.id, 'timeout');
    expect((await operator.post('/api/connections', { receiver_id: receiver.id, sender_id: b.id }, { 'idempotency-key': 'resume-2' })).status).toBe(504);
    receiver.node.faults.receivers.delete(receiver.id);
    const acted = await operator.post('/api/connections', { receiver_id: receiver.id, sender_id: b.id }, { 'idempotency-key': 'resume-2' });
    expect(acted.status).toBe(200);
    expect(patches()).toBe(before + 1);
    expect(deviceActive(receiver.node, receiver.id).sender_id).toBe(b.id);

    // A new key always acts, even when the device already shows the take.
    connectOnDevice(a);
    expect((await operator.post('/api/connections', { receiver_id: receiver.id, sender_id: a.id }, { 'idempotency-key': 'resume-3' })).status).toBe(200);
    expect(patches()).toBe(before + 2);
  });

  it('replays an idempotent salvo, disconnects within a salvo, and answers 409 when a receiver stays busy', async () => {
    const sender = endpoints.sender('video', 1);
    const [first, second] = [endpoints.receiver('video', 1, taken), endpoints.receiver('video', 2, taken)];
    const body = { connections: [first, second].map((r) => ({ receiver_id: r.id, sender_id: sender.id })) };
    const fired = await operator.post('/api/salvos', body, { 'idempotency-key': 'salvo-7' });
    const again = await operator.post('/api/salvos', body, { 'idempotency-key': 'salvo-7' });
    expect(fired.status).toBe(200);
    expect(again.body).toEqual(fired.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    for (const r of [first, second]) expect(requestsFor(r.node, r.id, 'POST')).toHaveLength(1);

    const off = await operator.post('/api/salvos', { connections: [{ receiver_id: second.id, sender_id: null }] });
    expect(off.body.items[0]).toMatchObject({ state: 'activated', active: { master_enable: false, sender_id: null } });
    expect(deviceActive(second.node, second.id).master_enable).toBe(false);

    // Another replica holds the receiver (a claim row that is not ours): the take waits RECEIVER_LOCK_WAIT_MS, then 409.
    await pg.query(
      `INSERT INTO receiver_inflight (receiver_id, token, holder, expires_at) VALUES ($1, 'elsewhere', 'other-replica', now() + interval '1 minute')`,
      [first.id],
      'app',
    );
    const busy = await operator.post('/api/connections', { receiver_id: first.id, sender_id: sender.id });
    expect(busy.status).toBe(409);
    expect(busy.body.error).toBe('receiver_busy');
    expect(busy.headers.get('retry-after')).toBe('1');
    await pg.query('DELETE FROM receiver_inflight WHERE token = $1', ['elsewhere'], 'app');
    expect((await operator.post('/api/connections', { receiver_id: first.id, sender_id: sender.id })).status).toBe(200);
  });

  it('honours a lock set while a take or a salvo waited for the receiver (checked under the claim)', async () => {
    const sender = endpoints.sender('video', 1);
    for (const via of ['take', 'salvo'] as const) {
      const receiver = endpoints.receiver('video', 1, taken);
      // Another replica is mid-take on the receiver: this take passes the first look, then waits for the claim.
      await pg.query(
        `INSERT INTO receiver_inflight (receiver_id, token, holder, expires_at) VALUES ($1, 'race', 'other-replica', now() + interval '1 minute')`,
        [receiver.id],
        'app',
      );
      const waiting =
        via === 'take'
          ? operator.post('/api/connections', { receiver_id: receiver.id, sender_id: sender.id })
          : operator.post('/api/salvos', { connections: [{ receiver_id: receiver.id, sender_id: sender.id }] });
      await new Promise((r) => setTimeout(r, 300));
      // Meanwhile its owner on the other replica locks it, and lets go of the receiver.
      expect((await otherOperator.put(`/api/connections/${receiver.id}/lock`, { reason: 'on air' })).status).toBe(200);
      await pg.query("DELETE FROM receiver_inflight WHERE token = 'race'", [], 'app');
      const answer = await waiting;
      if (via === 'take') {
        expect(answer.status).toBe(423);
      } else {
        expect(answer.body).toMatchObject({ outcome: 'failed', items: [{ state: 'failed', error: { error: 'receiver_locked' } }] });
      }
      expect(requestsFor(receiver.node, receiver.id, 'PATCH')).toHaveLength(0);
      expect(requestsFor(receiver.node, receiver.id, 'POST')).toHaveLength(0);
      expect((await otherOperator.delete(`/api/connections/${receiver.id}/lock`)).status).toBe(204);
    }
  });

  it('saves named salvos, fires them by name, and fires controller-side schedules once', async () => {
    const sender = endpoints.sender('video', 1);
    const receiver = endpoints.receiver('video', 1, taken);
    const saved = await operator.put('/api/salvos/saved/evening-news', { connections: [{ receiver_id: receiver.id, sender_id: sender.id }] });
    expect(saved.status).toBe(200);
    expect((await operator.get('/api/salvos/saved')).body.map((s: any) => s.name)).toContain('evening-news');
    expect((await operator.put('/api/salvos/saved/bad name', { connections: [] })).status).toBe(400);
    const fired = await operator.post('/api/salvos/saved/evening-news/fire');
    expect(fired.status).toBe(200);
    expect(fired.body).toMatchObject({ name: 'evening-news', outcome: 'succeeded' });
    expect((await operator.delete(`/api/connections/${receiver.id}`)).status).toBe(200);
    receiver.node.requests.length = 0;

    const schedule = await operator.post('/api/schedules', { salvo: 'evening-news', fire_at: new Date(Date.now() + 1_000).toISOString() });
    expect(schedule.status).toBe(201);
    await eventually(async () => expect((await operator.get(`/api/schedules/${schedule.body.id}`)).body.state).toBe('fired'), 10_000);
    expect(requestsFor(receiver.node, receiver.id, 'POST')).toHaveLength(1);
    expect(deviceActive(receiver.node, receiver.id).sender_id).toBe(sender.id);
    const cancelled = await operator.post('/api/schedules', { salvo: 'evening-news', fire_at: new Date(Date.now() + 60_000).toISOString() });
    expect((await operator.delete(`/api/schedules/${cancelled.body.id}`)).body.state).toBe('cancelled');
    expect((await operator.post('/api/schedules', { salvo: 'no-such', fire_at: new Date(Date.now() + 60_000).toISOString() })).status).toBe(404);
    expect(
      (await operator.post('/api/schedules', { salvo: 'evening-news', fire_at: new Date(Date.now() - 3_600_000).toISOString() })).body.fields[0].field,
    ).toBe('fire_at');

    // A schedule whose time passed while no replica was up, longer ago than SCHEDULE_MISSED_WINDOW: marked missed, never fired.
    const [stale] = await pg.query<{ id: string }>(
      `INSERT INTO controller_schedules (salvo, fire_at, state, created_by) VALUES ($1, now() - interval '5 minutes', 'pending', $2) RETURNING id`,
      [
        JSON.stringify({ connections: [{ receiver_id: receiver.id, sender_id: null }] }),
        JSON.stringify({ kind: 'user', id: 'x', name: 'x', role: 'operator' }),
      ],
      'app',
    );
    receiver.node.requests.length = 0;
    await eventually(async () => expect((await operator.get(`/api/schedules/${stale.id}`)).body.state).toBe('missed'), 10_000);
    expect(requestsFor(receiver.node, receiver.id)).toEqual([]);
    expect((await operator.delete('/api/salvos/saved/evening-news')).status).toBe(204);
  });

  it('pages the audit trail newest first, without gaps or repeats across pages', async () => {
    const receiver = endpoints.receiver('audio', 1, taken);
    for (let i = 0; i < 60; i++) {
      expect((await operator.put(`/api/connections/${receiver.id}/lock`, { reason: `check ${i}` })).status).toBe(200);
      expect((await operator.delete(`/api/connections/${receiver.id}/lock`)).status).toBe(204);
    }
    const all = (await admin.get('/api/audit?limit=1000')).body.items as Array<{ id: string }>;
    expect(all.length).toBeGreaterThan(120);
    const paged: string[] = [];
    for (let before = ''; ;) {
      const page = (await admin.get(`/api/audit?limit=7${before}`)).body as { items: Array<{ id: string }>; next_before?: string };
      paged.push(...page.items.map((i) => i.id));
      if (!page.next_before) break;
      before = `&before=${page.next_before}`;
    }
    expect(paged).toEqual(all.map((i) => i.id));
    expect(paged.map(Number)).toEqual([...paged.map(Number)].sort((a, b) => b - a));
    expect((await admin.get('/api/audit?limit=0')).body.fields[0].field).toBe('limit');
    expect((await admin.get('/api/audit?colour=red')).status).toBe(400);
  });
});
