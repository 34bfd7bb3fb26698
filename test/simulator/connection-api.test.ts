import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Facility, formatTai, parseTai, taiNowNanos, type SimulatedNode } from '../../apps/simulator/src/index.js';
import { eventually } from '../support/eventually.js';
import { http } from '../support/nmos-client.js';

describe('the IS-05 Connection API', () => {
  let facility: Facility;
  let node: SimulatedNode;
  const receiverWith = (legs: number) => facility.nodes.flatMap((n) => n.model.receivers.map((r) => ({ node: n, r }))).find(({ r }) => r.legCount === legs)!;
  const senderWith = (legs: number) => facility.nodes.flatMap((n) => n.model.senders).find((s) => s.legs.length === legs)!;
  const staged = (n: SimulatedNode, id: string) => `${n.connectionApiUrl}/single/receivers/${id}/staged`;
  const active = (n: SimulatedNode, id: string) => `${n.connectionApiUrl}/single/receivers/${id}/active`;

  beforeAll(async () => {
    facility = await Facility.start({ registries: 2, nodes: 4, senders: 6, receivers: 6, redundantShare: 0.5, multiRegistryShare: 1 });
    node = facility.nodes[0];
  });

  afterAll(async () => {
    await facility?.stop();
  });

  it('takes with one PATCH carrying the SDP, and reports what it did in /active', async () => {
    const { node: target, r } = receiverWith(1);
    const sender = senderWith(1);
    const sdp = (await http('GET', sender.resource.manifest_href as string)).text;
    const answer = await http('PATCH', staged(target, r.resource.id), {
      sender_id: sender.resource.id,
      master_enable: true,
      activation: { mode: 'activate_immediate' },
      transport_file: { data: sdp, type: 'application/sdp' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.activation.mode).toBe('activate_immediate');
    const now = (await http('GET', active(target, r.resource.id))).body;
    expect(now).toMatchObject({ sender_id: sender.resource.id, master_enable: true });
    expect(now.transport_params[0]).toMatchObject({
      multicast_ip: sender.legs[0].destinationIp,
      source_ip: sender.legs[0].sourceIp,
      destination_port: 5004,
      interface_ip: r.interfaceIps[0],
    });
    // After an immediate activation the staged activation is cleared, as IS-05 requires.
    expect((await http('GET', staged(target, r.resource.id))).body.activation).toEqual({ mode: null, requested_time: null, activation_time: null });
  });

  it('bumps the receiver’s IS-04 version and subscription in every registry the node is in', async () => {
    const { node: target, r } = receiverWith(1);
    const sender = senderWith(1);
    await http('PATCH', staged(target, r.resource.id), { sender_id: sender.resource.id, master_enable: true, activation: { mode: 'activate_immediate' } });
    expect(target.options.registries).toHaveLength(2);
    for (const registry of target.options.registries) {
      const seen = (await http('GET', `${registry.queryUrl}/receivers/${r.resource.id}`)).body;
      expect(seen.subscription).toEqual({ sender_id: sender.resource.id, active: true });
      expect(seen.version).toBe(r.resource.version);
    }
    await http('PATCH', staged(target, r.resource.id), { sender_id: null, master_enable: false, activation: { mode: 'activate_immediate' } });
    for (const registry of target.options.registries) {
      expect((await http('GET', `${registry.queryUrl}/receivers/${r.resource.id}`)).body.subscription).toEqual({ sender_id: null, active: false });
    }
  });

  it('holds a two-leg (ST 2022-7) receiver to its constraints: two legs, its own interfaces', async () => {
    const { node: target, r } = receiverWith(2);
    const constraints = (await http('GET', `${target.connectionApiUrl}/single/receivers/${r.resource.id}/constraints`)).body;
    expect(constraints).toHaveLength(2);
    const oneLeg = await http('PATCH', staged(target, r.resource.id), { transport_params: [{ multicast_ip: '232.1.1.1' }] });
    expect(oneLeg.status).toBe(400);
    expect(oneLeg.body.debug).toContain('inconsistent array size');
    const foreignInterface = await http('PATCH', staged(target, r.resource.id), { transport_params: [{ interface_ip: '10.9.9.9' }, {}] });
    expect(foreignInterface.status).toBe(400);
    // A one-leg sender to a two-leg receiver: leg 2 disabled, as a controller must do it.
    const sender = senderWith(1);
    const sdp = (await http('GET', sender.resource.manifest_href as string)).text;
    const take = await http('PATCH', staged(target, r.resource.id), {
      sender_id: sender.resource.id,
      master_enable: true,
      activation: { mode: 'activate_immediate' },
      transport_file: { data: sdp, type: 'application/sdp' },
      transport_params: [{}, { rtp_enabled: false }],
    });
    expect(take.status).toBe(200);
    const now = (await http('GET', active(target, r.resource.id))).body;
    expect(now.transport_params[0].multicast_ip).toBe(sender.legs[0].destinationIp);
    expect(now.transport_params[1].rtp_enabled).toBe(false);
  });

  it('takes both legs of a two-leg sender into a two-leg receiver from its SDP', async () => {
    const { node: target, r } = receiverWith(2);
    const sender = senderWith(2);
    const sdp = (await http('GET', sender.resource.manifest_href as string)).text;
    await http('PATCH', staged(target, r.resource.id), {
      sender_id: sender.resource.id,
      master_enable: true,
      activation: { mode: 'activate_immediate' },
      transport_file: { data: sdp, type: 'application/sdp' },
    });
    const legs = (await http('GET', active(target, r.resource.id))).body.transport_params;
    expect(legs.map((l: { multicast_ip: string }) => l.multicast_ip)).toEqual(sender.legs.map((l) => l.destinationIp));
  });

  it('fires a scheduled absolute activation at its TAI time, answering 423 meanwhile; cancels with mode null', async () => {
    const r = node.model.receivers[5];
    await http('PATCH', staged(node, r.resource.id), { master_enable: false, activation: { mode: 'activate_immediate' } });
    const versionBefore = r.resource.version;
    const at = taiNowNanos() + 600_000_000n;
    const scheduled = await http('PATCH', staged(node, r.resource.id), {
      master_enable: true,
      sender_id: null,
      activation: { mode: 'activate_scheduled_absolute', requested_time: formatTai(at) },
    });
    expect(scheduled.status).toBe(202);
    expect(scheduled.body.activation).toEqual({ mode: 'activate_scheduled_absolute', requested_time: formatTai(at), activation_time: formatTai(at) });
    const locked = await http('PATCH', staged(node, r.resource.id), { master_enable: false });
    expect(locked.status).toBe(423);
    expect((await http('GET', active(node, r.resource.id))).body.master_enable).toBe(false);
    await eventually(async () => expect((await http('GET', active(node, r.resource.id))).body.master_enable).toBe(true), 5_000, 10);
    expect(r.resource.version).not.toBe(versionBefore);
    // The device stamps its IS-04 version when it applies the change: that is when it fired.
    const firedAt = parseTai(r.resource.version as string)!;
    expect(Number(firedAt - at) / 1e6).toBeGreaterThanOrEqual(0);
    expect(Number(firedAt - at) / 1e6).toBeLessThan(100);
    expect((await http('GET', active(node, r.resource.id))).body.activation.mode).toBe('activate_scheduled_absolute');

    const relative = await http('PATCH', staged(node, r.resource.id), {
      master_enable: false,
      activation: { mode: 'activate_scheduled_relative', requested_time: '30:0' },
    });
    expect(relative.status).toBe(202);
    expect((await http('PATCH', staged(node, r.resource.id), { master_enable: true })).status).toBe(423);
    const cancelled = await http('PATCH', staged(node, r.resource.id), { activation: { mode: null } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.activation.mode).toBeNull();
    expect((await http('PATCH', staged(node, r.resource.id), { master_enable: true })).status).toBe(200);
    expect((await http('GET', active(node, r.resource.id))).body.master_enable).toBe(true);
  });

  it('answers bulk requests with a result per item', async () => {
    const [first, second] = node.model.receivers;
    const answer = await http('POST', `${node.connectionApiUrl}/bulk/receivers`, [
      { id: first.resource.id, params: { master_enable: false, activation: { mode: 'activate_immediate' } } },
      { id: '00000000-0000-4000-8000-000000000000', params: { master_enable: false } },
      { id: second.resource.id, params: { transport_params: [{}, {}, {}] } },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body.map((i: { code: number }) => i.code)).toEqual([200, 404, 400]);
    expect((await http('GET', active(node, first.resource.id))).body.master_enable).toBe(false);
  });

  it('answers bulk sender requests too', async () => {
    const [sender] = facility.nodes[1].model.senders;
    const answer = await http('POST', `${facility.nodes[1].connectionApiUrl}/bulk/senders`, [
      { id: sender.resource.id, params: { master_enable: true, activation: { mode: 'activate_immediate' } } },
      { id: '00000000-0000-4000-8000-000000000000', params: {} },
    ]);
    expect(answer.body.map((i: { code: number }) => i.code)).toEqual([200, 404]);
  });

  it('changes a sender’s transport parameters and serves the matching SDP', async () => {
    const sender = node.model.senders.find((s) => s.legs.length === 1)!;
    const url = `${node.connectionApiUrl}/single/senders/${sender.resource.id}`;
    const answer = await http('PATCH', `${url}/staged`, { transport_params: [{ destination_ip: '232.200.1.1' }], activation: { mode: 'activate_immediate' } });
    expect(answer.status).toBe(200);
    expect((await http('GET', `${url}/transportfile`)).text).toContain('c=IN IP4 232.200.1.1/32');
    expect((await http('GET', sender.resource.manifest_href as string)).text).toContain('232.200.1.1');
  });
});
