import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DatabaseService, type PostgresServer } from '#database';
import { startController, TEST_ADMIN, type RunningController } from '../support/controller.js';
import { eventually } from '../support/eventually.js';
import { createDatabase, removeDir, scratchDir, startPrimary, startReplica, urlOf } from '../support/pg-cluster.js';

/**
 * Auth lookups read from a replica. A replica within its lag bound may still lack a row written a moment
 * ago: replay is paused here (with a generous bound, so the replica keeps serving reads) to make that
 * window as wide as needed.
 */
describe('a replica that has not yet replayed the caller’s own writes', () => {
  let dir: string;
  let primary: PostgresServer;
  let replica: PostgresServer;
  let controller: RunningController;

  beforeAll(async () => {
    dir = await scratchDir('own-writes');
    primary = await startPrimary(dir);
    await createDatabase(primary, 'app');
    replica = await startReplica(primary, dir);
    controller = await startController({
      DATABASE_URL: urlOf(primary.port, 'app'),
      DATABASE_READ_REPLICA_URL: urlOf(replica.port, 'app'),
      REPLICA_MAX_LAG_SECONDS: '60',
    });
  });

  afterAll(async () => {
    await controller?.close();
    await replica?.stop();
    await primary?.stop();
    await removeDir(dir);
  });

  it('lets a user created a moment ago in, lists it, and accepts a new API token', async () => {
    const db = controller.app.get(DatabaseService);
    const admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    await eventually(async () => expect(await db.read(async (sql) => (await sql.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r'))[0].r)).toBe(true));
    await replica.query('SELECT pg_wal_replay_pause()');
    try {
      await admin.post('/api/users', { username: 'brand-new', password: 'password-123', role: 'operator' });
      const newcomer = await controller.api.loginAs('brand-new', 'password-123');
      expect((await newcomer.get('/api/me')).body).toMatchObject({ username: 'brand-new', role: 'operator' });
      expect((await admin.get('/api/users')).body.map((u: { username: string }) => u.username)).toContain('brand-new');
      const { token } = (await admin.post('/api/tokens', { name: 'fresh' })).body;
      expect((await controller.api.as(token).get('/api/me')).status).toBe(200);
      // The replica really was behind: it still does not know the user.
      expect(await replica.query("SELECT 1 FROM users WHERE username = 'brand-new'", [], 'app')).toEqual([]);
    } finally {
      await replica.query('SELECT pg_wal_replay_resume()');
    }
  });
});
