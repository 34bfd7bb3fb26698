import { afterEach, describe, expect, it } from '@jest/globals';
import { Facility } from '../../apps/simulator/src/index.js';
import { eventually } from '../support/eventually.js';
import { GrainSocket, http } from '../support/nmos-client.js';

/** Each fault switch of the admin API does what it says. */
describe('faults on demand', () => {
  let facility: Facility | undefined;
  const start = async (options: Parameters<typeof Facility.start>[0]) =>
    (facility = await Facility.start({ heartbeatIntervalMs: 100, heartbeatExpiryMs: 600, ...options }));
  const admin = (path: string, method = 'POST', body: unknown = {}) => http(method, `${facility!.adminUrl}${path}`, body);

  afterEach(async () => {
    await facility?.stop();
    facility = undefined;
  });

  it('makes a registry refuse connections, hang, and come back', async () => {
    const f = await start({ registries: 1, nodes: 1 });
    const nodes = `${f.registries[0].queryUrl}/nodes`;
    expect((await admin('/registries/0/reachability', 'POST', { state: 'refuse' })).status).toBe(200);
    await expect(http('GET', nodes)).rejects.toThrow();
    await admin('/registries/0/reachability', 'POST', { state: 'hang' });
    await expect(http('GET', nodes, undefined, 500)).rejects.toThrow(/aborted|timeout/i);
    await admin('/registries/0/reachability', 'POST', { state: 'up' });
    expect((await http('GET', nodes)).status).toBe(200);
    expect((await admin('/registries/0/reachability', 'POST', { state: 'sideways' })).status).toBe(400);
  });

  it('silences a registry’s websockets without closing them: no grains, no pongs', async () => {
    const f = await start({ registries: 1, nodes: 1 });
    const sub = (
      await http('POST', `${f.registries[0].queryUrl}/subscriptions`, { max_update_rate_ms: 20, resource_path: '/senders', params: {}, persist: false })
    ).body;
    const socket = await GrainSocket.open(sub.ws_href);
    await eventually(() => expect(socket.messages.length).toBeGreaterThan(0));
    await admin('/registries/0/websockets', 'POST', { silent: true });
    const heard = socket.messages.length;
    let pongs = 0;
    socket.socket.on('pong', () => pongs++);
    socket.socket.ping();
    f.nodes[0].addSender();
    await new Promise((r) => setTimeout(r, 300));
    expect(socket.messages.length).toBe(heard);
    expect(pongs).toBe(0);
    expect(socket.socket.readyState).toBe(socket.socket.OPEN);
    await admin('/registries/0/websockets', 'POST', { silent: false });
    socket.socket.ping();
    await eventually(() => expect(pongs).toBe(1));
    socket.close();
  });

  it('removes a node that stops heartbeating, and registers it again when it returns', async () => {
    const f = await start({ registries: 1, nodes: 2 });
    const node = f.nodes[1];
    const lookup = () => http('GET', `${f.registries[0].queryUrl}/nodes/${node.id}`);
    expect((await lookup()).status).toBe(200);
    await admin(`/nodes/${node.id}/heartbeats`, 'POST', { enabled: false });
    await eventually(async () => expect((await lookup()).status).toBe(404), 5_000);
    // Everything the node owned went with it.
    const senders = (await http('GET', `${f.registries[0].queryUrl}/senders?device_id=${node.model.device.id}`)).body;
    expect(senders).toEqual([]);
    await admin(`/nodes/${node.id}/heartbeats`, 'POST', { enabled: true });
    await eventually(async () => expect((await lookup()).status).toBe(200), 5_000);
    expect((await http('GET', `${f.registries[0].queryUrl}/senders?device_id=${node.model.device.id}`)).body).toHaveLength(node.model.senders.length);
  });

  it('restarts a registry empty; its nodes register again as their heartbeats fail', async () => {
    const f = await start({ registries: 1, nodes: 3 });
    const total = f.registries[0].store.count();
    expect((await admin('/registries/0/restart')).body.resources).toBe(0);
    await eventually(() => expect(f.registries[0].store.count()).toBe(total), 5_000);
  });

  it('makes one receiver’s IS-05 API answer 500 or never answer, leaving the others alone', async () => {
    const f = await start({ registries: 1, nodes: 1, receivers: 3 });
    const node = f.nodes[0];
    const [broken, fine] = node.model.receivers.map((r) => r.resource.id);
    const url = (id: string) => `${node.connectionApiUrl}/single/receivers/${id}/staged`;
    await admin(`/nodes/${node.id}/receivers/${broken}/fault`, 'PUT', { fault: '500' });
    expect((await http('PATCH', url(broken), { master_enable: true })).status).toBe(500);
    expect((await http('PATCH', url(fine), { master_enable: true })).status).toBe(200);
    await admin(`/nodes/${node.id}/receivers/${broken}/fault`, 'PUT', { fault: 'timeout' });
    await expect(http('PATCH', url(broken), { master_enable: true }, 500)).rejects.toThrow(/aborted|timeout/i);
    await admin(`/nodes/${node.id}/receivers/${broken}/fault`, 'PUT', { fault: null });
    expect((await http('PATCH', url(broken), { master_enable: true })).status).toBe(200);
  });

  it('refuses bulk with 404, 405 or 501 so clients fall back to single PATCHes', async () => {
    const f = await start({ registries: 1, nodes: 1 });
    const node = f.nodes[0];
    for (const code of [404, 405, 501]) {
      await admin(`/nodes/${node.id}/bulk`, 'PUT', { refuse: code });
      expect((await http('POST', `${node.connectionApiUrl}/bulk/receivers`, [])).status).toBe(code);
    }
    await admin(`/nodes/${node.id}/bulk`, 'PUT', { refuse: null });
    expect((await http('POST', `${node.connectionApiUrl}/bulk/receivers`, [])).status).toBe(200);
  });

  it('adds latency to every answer', async () => {
    const f = await start({ registries: 1, nodes: 1 });
    await admin('/latency', 'PUT', { ms: 300 });
    const started = Date.now();
    await http('GET', `${f.nodes[0].nodeApiUrl}/self`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect((await admin('/latency', 'PUT', { ms: -1 })).status).toBe(400);
  });

  it('makes a connection "by someone else", visible in /active and in the registry', async () => {
    const f = await start({ registries: 1, nodes: 2 });
    const [a, b] = f.nodes;
    const receiver = b.model.receivers[0].resource.id;
    const sender = a.model.senders[0].resource.id;
    expect((await admin(`/nodes/${b.id}/receivers/${receiver}/connect`, 'POST', { sender_id: sender })).status).toBe(200);
    expect((await http('GET', `${b.connectionApiUrl}/single/receivers/${receiver}/active`)).body).toMatchObject({ sender_id: sender, master_enable: true });
    expect((await http('GET', `${f.registries[0].queryUrl}/receivers/${receiver}`)).body.subscription).toEqual({ sender_id: sender, active: true });
    await admin(`/nodes/${b.id}/receivers/${receiver}/connect`, 'POST', { sender_id: null });
    expect((await http('GET', `${f.registries[0].queryUrl}/receivers/${receiver}`)).body.subscription).toEqual({ sender_id: null, active: false });
  });

  it('logs what each device received, in order', async () => {
    const f = await start({ registries: 1, nodes: 1 });
    const node = f.nodes[0];
    const receiver = node.model.receivers[0].resource.id;
    await admin(`/nodes/${node.id}/requests`, 'DELETE');
    await http('PATCH', `${node.connectionApiUrl}/single/receivers/${receiver}/staged`, { master_enable: false, activation: { mode: 'activate_immediate' } });
    await http('GET', `${node.connectionApiUrl}/single/receivers/${receiver}/active`);
    const log = (await http('GET', `${f.adminUrl}/nodes/${node.id}/requests`)).body;
    expect(log.map((r: { method: string; path: string }) => `${r.method} ${r.path}`)).toEqual([
      `PATCH /x-nmos/connection/v1.1/single/receivers/${receiver}/staged`,
      `GET /x-nmos/connection/v1.1/single/receivers/${receiver}/active`,
    ]);
    expect(log[0].body).toEqual({ master_enable: false, activation: { mode: 'activate_immediate' } });
  });
});
