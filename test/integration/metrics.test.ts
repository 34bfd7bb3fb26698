import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DatabaseService, type PostgresServer } from '#database';
import { startController, TEST_ADMIN, type RunningController } from '../support/controller.js';
import { eventually } from '../support/eventually.js';
import { metricNames, metricValue } from '../support/metrics.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';

describe('GET /metrics', () => {
  let dir: string;
  let pg: PostgresServer;
  let controller: RunningController;
  const scrape = async () => {
    const res = await controller.api.get('/metrics');
    expect(res.status).toBe(200);
    return res.body as string;
  };

  beforeAll(async () => {
    dir = await scratchDir('metrics');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    controller = await startController({ DATABASE_URL: urlOf(pg.port, 'app') });
  });

  afterAll(async () => {
    await controller?.close();
    await pg?.stop();
    await removeDir(dir);
  });

  it('is Prometheus text, without a token by default, every series labelled with the replica', async () => {
    const res = await controller.api.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body as string;
    for (const name of [
      'nmos_control_http_request_duration_seconds',
      'nmos_control_db_pool_connections',
      'nmos_control_db_primary_up',
      'nmos_control_db_primary_moves_total',
      'nmos_control_lease_held',
      'nmos_control_lease_acquired_total',
      'nmos_control_mqtt_connected',
      'nmos_control_outbox_backlog_events',
      'nmos_control_outbox_oldest_seconds',
      'nmos_control_events_published_total',
      'nmos_control_routing_total',
      'nmos_control_logins_total',
      'nmos_control_registry_state',
      'nmos_control_process_resident_memory_bytes',
    ])
      expect(metricNames(text)).toContain(name);
    const instance = (await controller.api.get('/api/health/detail')).body.details.leases.instance;
    expect(metricValue(text, 'nmos_control_db_primary_up', { instance })).toBe(1);
    expect(metricValue(text, 'nmos_control_mqtt_connected')).toBe(1);
    expect(metricValue(text, 'nmos_control_db_pool_connections', { pool: 'primary', state: 'idle' })).toBeGreaterThanOrEqual(0);
  });

  it('counts requests by route template, never by raw URL, and logins by outcome', async () => {
    const admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    expect((await controller.api.post('/api/login', { username: TEST_ADMIN.username, password: 'wrong-password' })).status).toBe(401);
    expect((await admin.get('/api/nmos/senders/0f6c2d8e-aaaa-bbbb-cccc-000000000001')).status).toBe(404);
    const text = await scrape();
    expect(metricValue(text, 'nmos_control_http_request_duration_seconds_count', { method: 'GET', route: '/api/nmos/:type/:id', status: '404' })).toBe(1);
    expect(text).not.toContain('0f6c2d8e-aaaa-bbbb-cccc-000000000001');
    expect(metricValue(text, 'nmos_control_logins_total', { outcome: 'failed' })).toBe(1);
    expect(metricValue(text, 'nmos_control_logins_total', { outcome: 'succeeded' })).toBe(1);
  });

  it('shows which leases this replica holds, and events published as the relay sends them', async () => {
    const admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    await eventually(async () => {
      const text = await scrape();
      expect(metricValue(text, 'nmos_control_lease_held', { lease: 'event-relay' })).toBe(1);
      expect(metricValue(text, 'nmos_control_lease_acquired_total', { lease: 'event-relay' })).toBe(1);
    }, 15_000);
    const publishedBefore = async () => metricValue(await scrape(), 'nmos_control_events_published_total')!;
    const before = await publishedBefore();
    expect((await admin.post('/api/users', { username: 'metrics-viewer', password: 'password-123', role: 'viewer' })).status).toBe(201);
    await eventually(async () => expect(await publishedBefore()).toBeGreaterThan(before));
    await eventually(async () => expect(metricValue(await scrape(), 'nmos_control_outbox_backlog_events')).toBe(0));
  });

  it('counts what a transaction recorded only once it has committed, never when it rolled back', async () => {
    const db = controller.app.get(DatabaseService);
    await db.write((sql) => sql.execute('CREATE TABLE IF NOT EXISTS after_commit_probe (n int)'));
    const seen: Array<number | string> = [];
    await expect(
      db.write(async (sql) => {
        await sql.execute('INSERT INTO after_commit_probe VALUES (1)');
        sql.afterCommit(() => seen.push('rolled back'));
        throw new Error('the work fails after recording');
      }),
    ).rejects.toThrow('the work fails after recording');
    await db.write(async (sql) => {
      await sql.execute('INSERT INTO after_commit_probe VALUES (2)');
      // Another connection sees the row when the callback runs: it ran after COMMIT.
      sql.afterCommit(() => void pg.query<{ n: number }>('SELECT n FROM after_commit_probe', [], 'app').then((rows) => seen.push(...rows.map((r) => r.n))));
    });
    await eventually(() => expect(seen).toEqual([2]));
  });

  it('asks for METRICS_TOKEN where one is set', async () => {
    const guarded = await startController({ DATABASE_URL: urlOf(pg.port, 'app'), METRICS_TOKEN: 'scrape-token-0123456789' });
    try {
      expect((await guarded.api.get('/metrics')).status).toBe(401);
      expect((await guarded.api.get('/metrics', { authorization: 'Bearer wrong-token-0123456789x' })).status).toBe(401);
      expect((await guarded.api.get('/metrics', { authorization: 'Bearer scrape-token-0123456789' })).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});
