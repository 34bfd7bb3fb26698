import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import { Client as PgClient } from 'pg';
import type { PostgresServer } from '#database';
import { Facility } from '../../apps/simulator/src/index.js';
import type { ApiClient, ApiResponse } from '../support/api-client.js';
import { startController, TEST_ADMIN, type RunningController } from '../support/controller.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';
import { waitForFacility } from '../support/routing-fixtures.js';

/** Values that broke routes before: NUL, prototype names, numbers beyond any column, wrong types. */
const BAD_STRINGS = ['\u0000', 'a\u0000b', '__proto__', 'constructor', 'toString', '99999999999999999999999999', '-1', 'abc', '1e309', '%', "'; --"];
const BAD_VALUES: unknown[] = ['\u0000', 'a\u0000b', '__proto__', 1e308, -1, 2 ** 64, {}, [], true, null, { __proto__x: 1 }];
const QUERY_NAMES = ['limit', 'offset', 'cursor', 'after', 'before', 'sort', 'order', 'q', 'state', 'label', 'type', 'paging.limit', 'paging.since', 'paging.until', '\u0000', 'a\u0000b', '__proto__', 'constructor'];

interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  queryParams: string[];
  bodyProperties: string[];
}

/**
 * Every route of the OpenAPI document, as an admin, with bad input in every place it can go: no answer
 * may be a 5xx, and an answer that refuses the input must have written nothing (no event recorded).
 */
describe('bad input sweep over every route', () => {
  let dir: string;
  let pg: PostgresServer;
  let facility: Facility;
  let controller: RunningController;
  let admin: ApiClient;
  const failures: string[] = [];
  let requests = 0;

  let db: PgClient;
  const lastEvent = async () => Number((await db.query<{ n: string }>('SELECT coalesce(max(position), 0) AS n FROM events WHERE actor IS NOT NULL')).rows[0].n);

  beforeAll(async () => {
    dir = await scratchDir('input-sweep');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    facility = await Facility.start({ registries: 1, nodes: 2, senders: 2, receivers: 2 });
    controller = await startController({ DATABASE_URL: urlOf(pg.port, 'app'), LOGIN_MAX_FAILURES_PER_USER: '10000', LOGIN_MAX_FAILURES_PER_ADDRESS: '100000' });
    admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    expect((await admin.put('/api/registry/config', [{ name: 'R0', query_url: facility.registries[0].url, enabled: true }])).status).toBe(200);
    await waitForFacility(admin, facility);
    db = new PgClient({ connectionString: urlOf(pg.port, 'app') });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await controller?.close();
    await facility?.stop();
    await pg?.stop();
    await removeDir(dir);
  });

  async function operations(): Promise<Operation[]> {
    const document = (await admin.get('/api/docs-json')).body as { paths: Record<string, Record<string, any>>; components?: { schemas?: Record<string, any> } };
    const schemas = document.components?.schemas ?? {};
    const list: Operation[] = [];
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const parameters = (operation.parameters ?? []) as Array<{ in: string; name: string }>;
        const ref = operation.requestBody?.content?.['application/json']?.schema?.$ref as string | undefined;
        const bodySchema = ref ? schemas[ref.split('/').pop()!] : operation.requestBody?.content?.['application/json']?.schema;
        list.push({
          method: method.toUpperCase(),
          path,
          pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
          queryParams: parameters.filter((p) => p.in === 'query').map((p) => p.name),
          bodyProperties: Object.keys(bodySchema?.properties ?? {}),
        });
      }
    }
    return list;
  }

  async function probe(method: string, path: string, body?: unknown, raw?: string): Promise<ApiResponse | undefined> {
    const before = await lastEvent();
    let response: ApiResponse;
    try {
      response = await admin.request(method, path, raw ?? body, raw !== undefined ? { 'content-type': 'application/json' } : {});
    } catch (err) {
      failures.push(`${method} ${path}: no answer (${(err as Error).message})`);
      return undefined;
    }
    requests++;
    const shown = `${method} ${path}${body !== undefined ? ` ${JSON.stringify(body).slice(0, 80)}` : ''}${raw !== undefined ? ` <${raw.length} bytes>` : ''}`;
    if (response.status >= 500) failures.push(`${shown} → ${response.status} ${JSON.stringify(response.body).slice(0, 200)}`);
    else if (response.status >= 400 && (await lastEvent()) !== before) failures.push(`${shown} → ${response.status} but an event was recorded`);
    return response;
  }

  const fill = (path: string, values: Record<string, string>) => path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? 'x'));

  it('finds no 5xx and nothing written on any refused input', async () => {
    const ops = await operations();
    expect(ops.length).toBeGreaterThan(40);
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    for (const op of ops) {
      // A live stream answers for as long as the client stays: its only inputs (Last-Event-ID, after)
      // are swept in test/integration/event-stream.test.ts.
      if (op.path === '/api/events/stream') continue;
      const safeId = '00000000-0000-4000-8000-000000000000';
      // A real resource type, so that the bad value reaches the filters and the SQL behind them.
      const defaults = Object.fromEntries(op.pathParams.map((p) => [p, p === 'type' ? 'senders' : p === 'name' ? 'R0' : safeId]));
      for (const param of op.pathParams) for (const bad of BAD_STRINGS) await probe(op.method, fill(op.path, { ...defaults, [param]: bad }));
      const base = fill(op.path, defaults);
      for (const name of new Set([...op.queryParams, ...QUERY_NAMES])) {
        for (const bad of BAD_STRINGS) await probe(op.method, `${base}?${encodeURIComponent(name)}=${encodeURIComponent(bad)}`);
      }
      await probe(op.method, `${base}?cursor=${Buffer.from(JSON.stringify({ k: ['abc', 'abc'], id: 'abc' })).toString('base64url')}`);
      await probe(op.method, `${base}?cursor=${Buffer.from(JSON.stringify(['abc', 1e400, { a: 1 }])).toString('base64url')}`);
      // A cursor of the right shape whose key has the wrong type for the sort column.
      for (const sort of ['first_seen', '-last_seen', 'version'])
        await probe(op.method, `${base}?sort=${sort}&cursor=${Buffer.from(JSON.stringify({ s: sort, k: 'abc', i: 'x' })).toString('base64url')}`);
      if (!['POST', 'PUT', 'PATCH'].includes(op.method)) continue;
      for (const property of new Set([...op.bodyProperties, '__proto__', 'constructor', '\u0000'])) {
        for (const bad of BAD_VALUES) await probe(op.method, base, { [property]: bad });
      }
      for (const bad of BAD_VALUES) await probe(op.method, base, [bad]);
      await probe(op.method, base, undefined, deep);
      await probe(op.method, base, undefined, '{"a":"\\u0000"}');
    }
    expect(requests).toBeGreaterThan(1000);
    expect(failures).toEqual([]);
    // Thousands of requests over every route (about 60 s alone, twice that beside another suite): a
    // bound for a hang, not a timing.
  }, 600_000);

  it('refuses each kind of bad input with a 4xx that names it, in the error shape, with a request id', async () => {
    const nul = await admin.get('/api/nmos/senders?label=%00');
    expect(nul.status).toBe(400);
    expect(nul.body).toMatchObject({ error: 'invalid_url', request_id: expect.any(String) });
    const deep = await controller.api.request('POST', '/api/login', '['.repeat(170_000) + ']'.repeat(170_000));
    expect(deep.status).toBe(400);
    expect(deep.body).toMatchObject({ error: 'invalid_json', fields: [{ field: 'body', message: expect.stringContaining('deeper than') }] });
    const nulInBody = await admin.post('/api/tokens', { name: 'a\u0000b' });
    expect(nulInBody.status).toBe(400);
    expect(nulInBody.body.fields).toEqual([{ field: 'body.name', message: 'must not contain a NUL character' }]);
    const sortKey = await admin.get('/api/nmos/senders?sort=constructor');
    expect(sortKey.status).toBe(400);
    expect(sortKey.body.fields[0].field).toBe('sort');
    const forged = Buffer.from(JSON.stringify({ s: 'first_seen', k: 'abc', i: 'x' })).toString('base64url');
    expect((await admin.get(`/api/nmos/senders?sort=first_seen&cursor=${forged}`)).body.fields[0].field).toBe('cursor');
    expect((await admin.get('/api/events?after=99999999999999999999')).body.fields[0].field).toBe('after');
    expect((await admin.get('/api/audit?before=99999999999999999999')).body.fields[0].field).toBe('before');
    const bogusState = await admin.get('/api/schedules?state=bogus');
    expect(bogusState.status).toBe(400);
    expect(bogusState.body.fields[0].field).toBe('state');
    expect((await admin.get('/api/schedules?state=pending')).status).toBe(200);

    // A body in another charset is refused, not read as if it were UTF-8.
    const utf16 = await fetch(`${controller.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-16' },
      body: Buffer.from(JSON.stringify(TEST_ADMIN), 'utf16le'),
    });
    expect(utf16.status).toBe(415);
    expect(await utf16.json()).toMatchObject({ error: 'unsupported_media_type', request_id: expect.any(String) });
  });

  it("answers the errors Fastify and Node's HTTP parser raise in the same shape, with a request id", async () => {
    const tooLong = await admin.get(`/api/users/${'x'.repeat(1000)}`);
    expect(tooLong.status).toBe(414);
    expect(tooLong.body).toMatchObject({ statusCode: 414, error: 'uri_too_long', request_id: expect.any(String) });
    expect(tooLong.headers.get('x-request-id')).toBe(tooLong.body.request_id);

    const badUrl = await rawHttp(controller.url, 'GET /api/nmos/senders/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(badUrl).toMatch(/^HTTP\/1\.1 400/);
    expect(JSON.parse(badUrl.split('\r\n\r\n')[1])).toMatchObject({ statusCode: 400, request_id: expect.any(String) });

    const hugeHeaders = await rawHttp(controller.url, `GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(hugeHeaders).toMatch(/^HTTP\/1\.1 431/);
    expect(JSON.parse(hugeHeaders.split('\r\n\r\n')[1])).toMatchObject({ statusCode: 431, error: 'headers_too_large', request_id: expect.any(String) });
  });

  it('sends security headers on every answer, and no-store where tokens and live state are answered', async () => {
    const login = await controller.api.post('/api/login', TEST_ADMIN);
    for (const response of [login, await admin.get('/api/nmos/senders'), await admin.get('/api/users/nobody')]) {
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
  });
});

/** Bytes on a socket, for requests fetch() refuses to send. */
async function rawHttp(baseUrl: string, request: string): Promise<string> {
  const { port } = new URL(baseUrl);
  const socket = net.connect(Number(port), '127.0.0.1');
  socket.write(request);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
