import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DatabaseService, type PostgresServer } from '#database';
import type { ApiClient } from '../support/api-client.js';
import { startController, TEST_ADMIN, type RunningController } from '../support/controller.js';
import { eventually } from '../support/eventually.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';
import { WriteLoop } from '../support/write-loop.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the primary fails under a loop of API writes', () => {
  let dir: string;
  let primary: PostgresServer;
  let controller: RunningController;
  let admin: ApiClient;
  const usernamesInDatabase = async (prefix: string) =>
    new Set((await primary.query<{ username: string }>('SELECT username FROM users WHERE username LIKE $1', [`${prefix}-%`], 'app')).map((r) => r.username));

  beforeAll(async () => {
    dir = await scratchDir('outage');
    primary = await startPrimary(dir);
    await createDatabase(primary, 'app');
    controller = await startController({ DATABASE_URL: urlOf(primary.port, 'app', 'connect_timeout=2') });
    admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
  });

  afterAll(async () => {
    await controller?.close();
    await primary?.stop();
    await removeDir(dir);
  });

  it('acknowledges only committed writes, answers 503 + Retry-After meanwhile, and recovers without a restart', async () => {
    const loop = new WriteLoop(admin, 'crash');
    loop.start();
    try {
      await eventually(() => expect(loop.succeededSince(0)).toBeGreaterThan(5));
      await primary.stop('immediate');

      await sleep(1_500);
      // Liveness depends on nothing outside the process; readiness says this replica cannot write.
      expect((await controller.api.get('/api/health')).status).toBe(200);
      const unready = await controller.api.get('/api/health/detail');
      expect(unready.status).toBe(503);
      expect(unready.body.details.database.primary).toMatchObject({ up: false, writable: false });
      expect(JSON.stringify(unready.body)).not.toContain('test-password');

      await primary.start();
      const restartedAt = Date.now();
      await eventually(async () => expect((await controller.api.get('/api/health/detail')).status).toBe(200), 15_000);
      await eventually(() => expect(loop.succeededSince(restartedAt)).toBeGreaterThan(10), 15_000);
    } finally {
      await loop.stop();
    }
    const outcomes = loop.outcomes;

    const refused = outcomes.filter((o) => o.status !== 201);
    expect(refused.length).toBeGreaterThan(0);
    for (const outcome of refused) expect(outcome).toMatchObject({ status: 503, retryAfter: '2' });
    const stored = await usernamesInDatabase('crash');
    const acknowledged = outcomes.filter((o) => o.status === 201).map((o) => o.username);
    expect(acknowledged.filter((u) => !stored.has(u))).toEqual([]);
  });

  it('recycles connections that a read-only node left in the pool (25006)', async () => {
    const appBackends = async () =>
      new Set(
        (await primary.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = 'nmos-control' AND datname = 'app'")).map(
          (r) => r.pid,
        ),
      );
    // Fill the pool with idle connections: six statements at once need six.
    const db = controller.app.get(DatabaseService);
    await Promise.all(Array.from({ length: 6 }, () => db.readPrimary((sql) => sql.query('SELECT pg_sleep(0.2)'))));
    const before = await appBackends();
    expect(before.size).toBeGreaterThanOrEqual(6);

    // The node behind the address turns read-only, as a demoted primary behind a VIP would.
    await primary.query('ALTER SYSTEM SET default_transaction_read_only = on');
    await primary.query('SELECT pg_reload_conf()');
    await sleep(300);
    const refused = await admin.post('/api/users', { username: 'during-read-only', password: 'password-123', role: 'viewer' });
    expect(refused.status).toBe(503);
    expect(refused.body.error).toBe('database_unavailable');

    await primary.query('ALTER SYSTEM RESET default_transaction_read_only');
    await primary.query('SELECT pg_reload_conf()');
    await sleep(300);
    await eventually(async () =>
      expect((await admin.post('/api/users', { username: `after-read-only-${Date.now()}`, password: 'password-123', role: 'viewer' })).status).toBe(201),
    );

    // Every connection that was pooled when the node went read-only has been discarded.
    await sleep(200);
    const after = await appBackends();
    expect([...after].filter((pid) => before.has(pid))).toEqual([]);
    expect(await usernamesInDatabase('during-read-only')).toEqual(new Set());
  });
});
