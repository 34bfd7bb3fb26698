import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PostgresServer } from '#database';
import { ReadinessState } from '#health';
import type { ApiClient } from '../support/api-client.js';
import { startController, TEST_ADMIN, type RunningController } from '../support/controller.js';
import { eventually } from '../support/eventually.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';
import { SseReader } from '../support/sse-reader.js';

/**
 * The outbox as server-sent events (the console's live updates): in order with the sequence as id,
 * resumed with Last-Event-ID without a gap or a repeat, filtered by role as GET /api/events is, and
 * ended when the replica drains so the browser moves on.
 */
describe('event stream (server-sent events)', () => {
  let dir: string;
  let pg: PostgresServer;
  let controller: RunningController;
  let admin: ApiClient;
  let viewerToken: string;
  let adminToken: string;
  const streams: SseReader[] = [];
  const open = async (token: string, headers: Record<string, string> = {}, query = '') => {
    const reader = await SseReader.open(`${controller.url}/api/events/stream${query}`, { authorization: `Bearer ${token}`, ...headers });
    streams.push(reader);
    return reader;
  };
  const flowEvents = (reader: SseReader) => reader.events.filter((e) => e.event?.startsWith('flow.'));

  beforeAll(async () => {
    dir = await scratchDir('event-stream');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    controller = await startController({ DATABASE_URL: urlOf(pg.port, 'app'), ACTIVE_CHECK_INTERVAL: '0' });
    admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    adminToken = (await controller.api.post('/api/login', TEST_ADMIN)).body.token;
    expect((await admin.post('/api/users', { username: 'stream-viewer', password: 'viewer-password-1', role: 'viewer' })).status).toBe(201);
    viewerToken = (await controller.api.post('/api/login', { username: 'stream-viewer', password: 'viewer-password-1' })).body.token;
  });

  afterAll(async () => {
    for (const stream of streams) stream.close();
    await controller?.close();
    await pg?.stop();
    await removeDir(dir);
  });

  it('refuses a caller without a token and a bad position, naming it', async () => {
    expect((await fetch(`${controller.url}/api/events/stream`)).status).toBe(401);
    const bad = await fetch(`${controller.url}/api/events/stream`, { headers: { authorization: `Bearer ${viewerToken}`, 'last-event-id': 'abc' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { fields: unknown }).fields).toEqual([{ field: 'Last-Event-ID', message: 'must be a whole number from 0' }]);
  });

  it('streams new events in order, the sequence as the id, each as GET /api/events has it', async () => {
    const stream = await open(viewerToken);
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toContain('text/event-stream');
    expect(stream.response.headers.get('x-accel-buffering')).toBe('no');
    const flow = (await admin.post('/api/flows', { display_name: 'streamed flow' })).body;
    await eventually(() => expect(flowEvents(stream).map((e) => e.event)).toEqual(['flow.created', 'flow.created']));
    const [first] = flowEvents(stream);
    expect(first.id).toBe(String(first.data.seq));
    expect(first.data).toMatchObject({ flow_id: flow.flow_id, event: 'created' });
    const stored = (await admin.get(`/api/events?after=${first.data.seq - 1}&limit=1`)).body[0];
    expect(first.data).toEqual(stored);
  });

  it('resumes after Last-Event-ID with what was missed, once, in order', async () => {
    const first = await open(viewerToken);
    await admin.post('/api/flows', { display_name: 'before the break' });
    await eventually(() => expect(flowEvents(first)).toHaveLength(2));
    const last = first.events.at(-1)!.id!;
    first.close();
    await first.ended;
    await admin.post('/api/flows', { display_name: 'during the break 1' });
    await admin.post('/api/flows', { display_name: 'during the break 2' });
    const resumed = await open(viewerToken, { 'last-event-id': last });
    await eventually(() => expect(flowEvents(resumed)).toHaveLength(4));
    const seqs = resumed.events.map((e) => Number(e.id));
    expect(seqs[0]).toBe(Number(last) + 1);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(flowEvents(resumed).map((e) => e.data.flow.display_name)).toEqual([
      'during the break 1',
      'during the break 1',
      'during the break 2',
      'during the break 2',
    ]);
  });

  it('shows each role only the topics it may read', async () => {
    const asViewer = await open(viewerToken);
    const asAdmin = await open(adminToken);
    await admin.post('/api/users', { username: 'someone-new', password: 'someone-password-1', role: 'operator' });
    await admin.post('/api/flows', { display_name: 'after the user' });
    await eventually(() => expect(flowEvents(asViewer)).toHaveLength(2));
    await eventually(() => expect(flowEvents(asAdmin)).toHaveLength(2));
    expect(asAdmin.events.map((e) => e.event)).toContain('user.created');
    expect(asViewer.events.map((e) => e.event)).not.toContain('user.created');
  });

  it('ends its streams when the replica starts draining, so browsers reconnect elsewhere', async () => {
    const stream = await open(viewerToken);
    controller.app.get(ReadinessState).startDraining();
    await stream.ended;
    expect((await fetch(`${controller.url}/api/events/stream`, { headers: { authorization: `Bearer ${viewerToken}` } })).status).toBe(200);
  });
});
