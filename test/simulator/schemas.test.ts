import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Facility, NmosSchemas } from '../../apps/simulator/src/index.js';
import { GrainSocket, http } from '../support/nmos-client.js';
import { eventually } from '../support/eventually.js';

const schemas = new NmosSchemas();
const TYPES = ['nodes', 'devices', 'sources', 'flows', 'senders', 'receivers'] as const;
const SINGLE: Record<(typeof TYPES)[number], string> = {
  nodes: 'node.json',
  devices: 'device.json',
  sources: 'source.json',
  flows: 'flow.json',
  senders: 'sender.json',
  receivers: 'receiver.json',
};

function expectValid(set: 'is-04' | 'is-05', schema: string, value: unknown): void {
  expect({ schema, problems: schemas.problems(set, schema, value) }).toEqual({ schema, problems: [] });
}

/** The keys an AMWA example has are all in what we serve (we may add optional ones, never drop one). */
function expectExampleShape(example: string, served: Record<string, unknown>): void {
  const expected = JSON.parse(readFileSync(join(schemas.root, example), 'utf8'));
  const keys = Object.keys(Array.isArray(expected) ? expected[0] : expected).filter((k) => !['caps', 'clocks'].includes(k));
  for (const key of keys) expect({ example, key, present: key in served }).toEqual({ example, key, present: true });
}

describe('the simulator is valid by construction', () => {
  let facility: Facility;

  beforeAll(async () => {
    facility = await Facility.start({ registries: 2, nodes: 4, senders: 6, receivers: 6, redundantShare: 0.5, pagingLimit: 1000 });
  });

  afterAll(async () => {
    await facility?.stop();
  });

  it('serves Query API lists and resources that validate against IS-04 v1.3', async () => {
    const query = facility.registries[0].queryUrl;
    expectValid('is-04', 'queryapi-base.json', (await http('GET', `${query}/`)).body);
    for (const type of TYPES) {
      const list = await http('GET', `${query}/${type}`);
      expect(list.status).toBe(200);
      expect(list.body.length).toBeGreaterThan(0);
      expectValid('is-04', `${type}.json`, list.body);
      const single = await http('GET', `${query}/${type}/${list.body[0].id}`);
      expectValid('is-04', SINGLE[type], single.body);
      expectExampleShape(`is-04/v1.3/examples/queryapi-${type.slice(0, -1)}id-get-200.json`, single.body);
    }
  });

  it('serves Node APIs that validate, for one-leg and two-leg (ST 2022-7) devices alike', async () => {
    for (const node of facility.nodes) {
      expectValid('is-04', 'nodeapi-base.json', (await http('GET', `${node.nodeApiUrl}/`)).body);
      expectValid('is-04', 'node.json', (await http('GET', `${node.nodeApiUrl}/self`)).body);
      for (const type of TYPES.slice(1)) expectValid('is-04', `${type}.json`, (await http('GET', `${node.nodeApiUrl}/${type}`)).body);
    }
  });

  it('serves Connection APIs that validate against IS-05 v1.1', async () => {
    const node = facility.nodes[0];
    const api = node.connectionApiUrl;
    expectValid('is-05', 'connectionapi-base.json', (await http('GET', `${api}/`)).body);
    expectValid('is-05', 'connectionapi-single.json', (await http('GET', `${api}/single/`)).body);
    expectValid('is-05', 'connectionapi-bulk.json', (await http('GET', `${api}/bulk/`)).body);
    for (const side of ['senders', 'receivers'] as const) {
      const ids: string[] = (await http('GET', `${api}/single/${side}/`)).body;
      expect(ids.length).toBeGreaterThan(0);
      for (const entry of ids) {
        const base = `${api}/single/${side}/${entry}`;
        expectValid('is-05', side === 'senders' ? 'connectionapi-sender.json' : 'connectionapi-receiver.json', (await http('GET', base)).body);
        expectValid('is-05', 'constraints-schema.json', (await http('GET', `${base}constraints`)).body);
        const responseSchema = side === 'senders' ? 'sender-response-schema.json' : 'receiver-response-schema.json';
        expectValid('is-05', responseSchema, (await http('GET', `${base}staged`)).body);
        expectValid('is-05', responseSchema, (await http('GET', `${base}active`)).body);
        expectValid('is-05', 'transporttype-response-schema.json', (await http('GET', `${base}transporttype`)).body);
      }
    }
  });

  it('answers bad requests with the RAML codes and an error body that validates', async () => {
    const query = facility.registries[0].queryUrl;
    const node = facility.nodes[0];
    const receiver = node.model.receivers[0].resource.id;
    const cases: Array<[string, string, unknown, number, 'is-04' | 'is-05']> = [
      ['GET', `${query}/senders/00000000-0000-4000-8000-000000000000`, undefined, 404, 'is-04'],
      ['GET', `${query}/senders?paging.since=yesterday`, undefined, 400, 'is-04'],
      ['GET', `${query}/senders?paging.limit=0`, undefined, 400, 'is-04'],
      ['GET', `${query}/senders?query.rql=eq(label,x)`, undefined, 501, 'is-04'],
      ['POST', `${query}/subscriptions`, { resource_path: '/widgets', params: {}, persist: false }, 400, 'is-04'],
      ['POST', `${query}/subscriptions`, '{"resource_path":', 400, 'is-04'],
      ['GET', `${node.connectionApiUrl}/single/receivers/00000000-0000-4000-8000-000000000000/staged`, undefined, 404, 'is-05'],
      ['PATCH', `${node.connectionApiUrl}/single/receivers/${receiver}/staged`, { master_enable: 'yes' }, 400, 'is-05'],
      ['PATCH', `${node.connectionApiUrl}/single/receivers/${receiver}/staged`, { activation: { mode: 'activate_scheduled_absolute' } }, 400, 'is-05'],
      ['POST', `${node.connectionApiUrl}/bulk/receivers`, { not: 'an array' }, 400, 'is-05'],
    ];
    for (const [method, url, body, status, set] of cases) {
      const answer = await http(method, url, body);
      expect({ url, status: answer.status }).toEqual({ url, status });
      expectValid(set, 'error.json', answer.body);
    }
  });

  it('sends subscription answers and websocket grains that validate', async () => {
    const query = facility.registries[0].queryUrl;
    const created = await http('POST', `${query}/subscriptions`, {
      max_update_rate_ms: 50,
      resource_path: '/receivers',
      params: {},
      persist: false,
      secure: false,
    });
    expect(created.status).toBe(201);
    expectValid('is-04', 'queryapi-subscription-response.json', created.body);
    expectValid('is-04', 'queryapi-subscriptions-response.json', (await http('GET', `${query}/subscriptions`)).body);
    const socket = await GrainSocket.open(created.body.ws_href);
    try {
      await eventually(() => expect(socket.messages.length).toBeGreaterThan(0));
      const receiver = facility.nodes[0].model.receivers[0].resource.id;
      await http('PATCH', `${facility.nodes[0].connectionApiUrl}/single/receivers/${receiver}/staged`, {
        master_enable: true,
        activation: { mode: 'activate_immediate' },
      });
      await eventually(() => expect(socket.events().some((e) => e.path === receiver && e.pre && e.post && e.pre.version !== e.post.version)).toBe(true));
      for (const message of socket.messages) expectValid('is-04', 'queryapi-subscriptions-websocket.json', message);
    } finally {
      socket.close();
    }
  });

  it('serves the SDP of every sender, with both legs and source filters for ST 2022-7', async () => {
    for (const node of facility.nodes) {
      for (const sender of node.model.senders) {
        const sdp = await http('GET', sender.resource.manifest_href as string);
        expect(sdp.headers.get('content-type')).toBe('application/sdp');
        expect(sdp.text.match(/^m=/gm)).toHaveLength(sender.legs.length);
        expect(sdp.text.match(/^a=source-filter: incl IN IP4 /gm)).toHaveLength(sender.legs.length);
        if (sender.legs.length === 2) expect(sdp.text).toContain('a=group:DUP PRIMARY SECONDARY');
      }
    }
  });

  it('keeps its copy of the AMWA specifications identical to ../shared/nmos', () => {
    const shared = join('..', 'shared', 'nmos');
    if (!existsSync(shared)) return; // a machine without the team's shared folder has only our copy
    for (const folder of ['is-04/v1.3/APIs/schemas', 'is-05/v1.1/APIs/schemas', 'is-04/v1.3/examples', 'is-05/v1.1/examples']) {
      for (const file of readdirSync(join(shared, folder))) {
        expect({ file, same: readFileSync(join(schemas.root, folder, file), 'utf8') === readFileSync(join(shared, folder, file), 'utf8') }).toEqual({
          file,
          same: true,
        });
      }
    }
  });
});
