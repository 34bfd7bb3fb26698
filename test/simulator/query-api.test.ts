import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Facility } from '../../apps/simulator/src/index.js';
import { eventually } from '../support/eventually.js';
import { GrainSocket, http } from '../support/nmos-client.js';

/** Follows `Link: rel="next"` from the first page; returns every id seen, in visiting order. */
async function walk(url: string, onPage: (page: number) => void = () => undefined): Promise<string[]> {
  const seen: string[] = [];
  let next: string | undefined = url;
  for (let page = 0; next && page < 500; page++) {
    const answer = await http('GET', next);
    expect(answer.status).toBe(200);
    if (answer.body.length === 0) break;
    seen.push(...answer.body.map((r: { id: string }) => r.id));
    next = /<([^>]+)>; rel="next"/.exec(answer.headers.get('link') ?? '')?.[1];
    onPage(page);
  }
  return seen;
}

describe('the Query API', () => {
  let facility: Facility;

  beforeAll(async () => {
    facility = await Facility.start({ registries: 1, nodes: 3, senders: 8, receivers: 2, pagingLimit: 3, wsBatchSize: 4 });
  });

  afterAll(async () => {
    await facility?.stop();
  });

  it('caps paging.limit at the server limit and says so in the headers, newest first', async () => {
    const answer = await http('GET', `${facility.registries[0].queryUrl}/senders?paging.limit=100`);
    expect(answer.body).toHaveLength(3);
    expect(answer.headers.get('x-paging-limit')).toBe('3');
    const versions = answer.body.map((s: { version: string }) => s.version.split(':').map(Number));
    for (let i = 1; i < versions.length; i++) expect(versions[i - 1][0] * 1e9 + versions[i - 1][1]).toBeGreaterThan(versions[i][0] * 1e9 + versions[i][1]);
    expect(answer.headers.get('link')).toMatch(/rel="next".*rel="first".*rel="last"/);
  });

  it('visits every resource exactly once across pages while resources are added and modified', async () => {
    const query = `${facility.registries[0].queryUrl}/senders?paging.order=create&paging.since=0:0&paging.limit=3`;
    const before = new Set(facility.nodes.flatMap((n) => n.model.senders.map((s) => s.resource.id)));
    const added: string[] = [];
    const seen = await walk(query, (page) => {
      if (page % 2 === 0) added.push(facility.nodes[page % 3].addSender().id);
      // A take modifies a sender's IS-04 resource: it must not be visited twice in creation order.
      facility.nodes[0].connection.patch('senders', facility.nodes[0].model.senders[0].resource.id, {
        master_enable: true,
        activation: { mode: 'activate_immediate' },
      });
    });
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of [...before, ...added]) expect(seen).toContain(id);
  });

  it('walks backwards with rel="prev" from the newest page to the oldest', async () => {
    const url = `${facility.registries[0].queryUrl}/receivers?paging.limit=2`;
    const seen: string[] = [];
    let next: string | undefined = url;
    while (next) {
      const answer = await http('GET', next);
      if (answer.body.length === 0) break;
      seen.push(...answer.body.map((r: { id: string }) => r.id));
      next = /<([^>]+)>; rel="prev"/.exec(answer.headers.get('link') ?? '')?.[1];
    }
    expect(seen.sort()).toEqual(facility.nodes.flatMap((n) => n.model.receivers.map((r) => r.resource.id)).sort());
  });

  it('filters by basic queries, with dotted paths into objects, arrays and tag names', async () => {
    const query = facility.registries[0].queryUrl;
    const sender = facility.nodes[1].model.senders[2].resource;
    const byLabel = await http('GET', `${query}/senders?label=${encodeURIComponent(sender.label as string)}`);
    expect(byLabel.body.map((s: { id: string }) => s.id)).toEqual([sender.id]);
    const hint = (sender.tags as Record<string, string[]>)['urn:x-nmos:tag:grouphint/v1.0'][0];
    const byTag = await http('GET', `${query}/senders?tags.urn:x-nmos:tag:grouphint/v1.0=${encodeURIComponent(hint)}`);
    expect(byTag.body.map((s: { id: string }) => s.id)).toEqual([sender.id]);
    const byNested = await http('GET', `${query}/senders?subscription.active=true&paging.limit=3`);
    expect(byNested.body.length).toBeGreaterThan(0);
    const byArray = await http('GET', `${query}/nodes?api.endpoints.port=${facility.nodes[2].options.port}`);
    expect(byArray.body.map((n: { id: string }) => n.id)).toEqual([facility.nodes[2].id]);
  });

  it('sends the sync snapshot first, in batches, then added, modified and removed grains', async () => {
    const query = facility.registries[0].queryUrl;
    const subscription = (await http('POST', `${query}/subscriptions`, { max_update_rate_ms: 50, resource_path: '/senders', params: {}, persist: false })).body;
    const socket = await GrainSocket.open(subscription.ws_href);
    try {
      const total = facility.registries[0].store.list('senders').length;
      await eventually(() => expect(socket.events()).toHaveLength(total));
      expect(socket.messages.every((m) => m.grain.data.length <= 4)).toBe(true);
      expect(socket.messages.length).toBe(Math.ceil(total / 4));
      expect(socket.events().every((e) => e.pre && e.post && e.pre.id === e.post.id)).toBe(true);

      const node = facility.nodes[1];
      const added = node.addSender();
      await eventually(() => expect(socket.events().find((e) => e.path === added.id && !e.pre && e.post)).toBeDefined());
      node.connection.patch('senders', added.id, { master_enable: false, activation: { mode: 'activate_immediate' } });
      await eventually(() =>
        expect(socket.events().find((e) => e.path === added.id && e.pre?.subscription.active === true && e.post?.subscription.active === false)).toBeDefined(),
      );
      node.removeSender(added.id);
      await eventually(() => expect(socket.events().find((e) => e.path === added.id && e.pre && !e.post)).toBeDefined());
    } finally {
      socket.close();
    }
  });

  it('filters subscriptions by params, reuses an identical one, and expires non-persistent ones after their sockets close', async () => {
    const query = facility.registries[0].queryUrl;
    const request = { max_update_rate_ms: 100, resource_path: '/nodes', params: { label: 'sim-node-002' }, persist: false };
    const first = await http('POST', `${query}/subscriptions`, request);
    expect(first.status).toBe(201);
    const again = await http('POST', `${query}/subscriptions`, request);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const socket = await GrainSocket.open(first.body.ws_href);
    await eventually(() => expect(socket.events().map((e) => e.post.label)).toEqual(['sim-node-002']));
    expect((await http('DELETE', `${query}/subscriptions/${first.body.id}`)).status).toBe(403);
    const persistent = await http('POST', `${query}/subscriptions`, { ...request, persist: true });
    expect((await http('DELETE', `${query}/subscriptions/${persistent.body.id}`)).status).toBe(204);
    expect((await http('GET', `${query}/subscriptions/${persistent.body.id}`)).status).toBe(404);
    socket.close();
  });

  it('takes paging.limit in subscription params as nmos-cpp does: a number only, at most 100 grains a message, paced', async () => {
    const query = facility.registries[0].queryUrl;
    const subscribe = (params: Record<string, unknown>, rate = 100) =>
      http('POST', `${query}/subscriptions`, { max_update_rate_ms: rate, resource_path: '/senders', params, persist: false });
    const asString = await subscribe({ 'paging.limit': '1000' });
    expect(asString.status).toBe(400);
    expect(asString.body.debug).toBe('not a number');

    const raised = await subscribe({ 'paging.limit': 2 });
    expect(raised.status).toBe(201);
    const socket = await GrainSocket.open(raised.body.ws_href);
    const total = facility.registries[0].store.list('senders').length;
    try {
      await eventually(() => expect(socket.events()).toHaveLength(total), 10_000);
      // Two grains a message (the messages go one per 100 ms; the benchmarks time that, not this test).
      expect(socket.messages).toHaveLength(Math.ceil(total / 2));
    } finally {
      socket.close();
    }

    const large = await Facility.start({ registries: 1, nodes: 30, senders: 5, receivers: 0 });
    try {
      const created = await http('POST', `${large.registries[0].queryUrl}/subscriptions`, {
        max_update_rate_ms: 0,
        resource_path: '/senders',
        params: { 'paging.limit': 1000 },
        persist: false,
      });
      const capped = await GrainSocket.open(created.body.ws_href);
      await eventually(() => expect(capped.events()).toHaveLength(150), 10_000);
      expect(capped.messages).toHaveLength(2); // capped at 100 a message
      capped.close();
    } finally {
      await large.stop();
    }
  });

  it('keeps the lenient behaviour behind a flag, and refuses the param where configured', async () => {
    const lenient = await Facility.start({ registries: 1, nodes: 2, senders: 4, receivers: 0, wsLenient: true });
    try {
      const created = await http('POST', `${lenient.registries[0].queryUrl}/subscriptions`, {
        max_update_rate_ms: 100,
        resource_path: '/senders',
        params: { 'paging.limit': '1000' },
        persist: false,
      });
      expect(created.status).toBe(201);
    } finally {
      await lenient.stop();
    }
    const strict = await Facility.start({ registries: 1, nodes: 1, wsMaxBatchSize: 0 });
    try {
      const refused = await http('POST', `${strict.registries[0].queryUrl}/subscriptions`, {
        max_update_rate_ms: 100,
        resource_path: '/senders',
        params: { 'paging.limit': 10 },
        persist: false,
      });
      expect(refused.status).toBe(400);
    } finally {
      await strict.stop();
    }
  });

  it('removes a non-persistent subscription once its last socket has closed', async () => {
    const quick = await Facility.start({ registries: 1, nodes: 1, subscriptionExpiryMs: 200 });
    try {
      const query = quick.registries[0].queryUrl;
      const created = (await http('POST', `${query}/subscriptions`, { max_update_rate_ms: 100, resource_path: '/nodes', params: {}, persist: false })).body;
      const socket = await GrainSocket.open(created.ws_href);
      await new Promise((r) => setTimeout(r, 400));
      expect((await http('GET', `${query}/subscriptions/${created.id}`)).status).toBe(200);
      socket.close();
      await eventually(async () => expect((await http('GET', `${query}/subscriptions/${created.id}`)).status).toBe(404), 3_000);
    } finally {
      await quick.stop();
    }
  });
});

describe('a registry without websockets', () => {
  it('refuses subscriptions, so clients fall back to REST paging', async () => {
    const facility = await Facility.start({ registries: 1, nodes: 1, websockets: false, pagingLimit: 2 });
    try {
      const answer = await http('POST', `${facility.registries[0].queryUrl}/subscriptions`, {
        max_update_rate_ms: 100,
        resource_path: '/nodes',
        params: {},
        persist: false,
      });
      expect(answer.status).toBe(501);
      const all = await walk(`${facility.registries[0].queryUrl}/senders?paging.since=0:0&paging.limit=2`);
      expect(all.sort()).toEqual(facility.nodes[0].model.senders.map((s) => s.resource.id).sort());
    } finally {
      await facility.stop();
    }
  });
});
