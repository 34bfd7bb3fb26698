import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DatabaseService, type PostgresServer } from '#database';
import { startController, type RunningController } from '../support/controller.js';
import { eventually } from '../support/eventually.js';
import { createDatabase, removeDir, scratchDir, startPrimary, startReplica, urlOf, waitForReplay } from '../support/pg-cluster.js';

/** Which server answered: a standby reports that it is in recovery. */
const servedByReplica = (db: DatabaseService) =>
  db.read(async (sql) => (await sql.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby'))[0].standby);

describe('lag-tolerant reads with a real primary and streaming replica', () => {
  let dir: string;
  let primary: PostgresServer;
  let replica: PostgresServer;
  let controller: RunningController;
  let db: DatabaseService;

  beforeAll(async () => {
    dir = await scratchDir('replica');
    primary = await startPrimary(dir);
    await createDatabase(primary, 'app');
    replica = await startReplica(primary, dir);
    controller = await startController({
      DATABASE_URL: urlOf(primary.port, 'app'),
      DATABASE_READ_REPLICA_URL: urlOf(replica.port, 'app', 'pool_max_conns=4'),
      REPLICA_MAX_LAG_SECONDS: '1',
    });
    db = controller.app.get(DatabaseService);
  });

  afterAll(async () => {
    await controller?.close();
    await replica?.stop();
    await primary?.stop();
    await removeDir(dir);
  });

  it('sends lag-tolerant reads to the replica and writes to the primary', async () => {
    await eventually(async () => expect(await servedByReplica(db)).toBe(true));
    const standbyWrote = await db.write(async (sql) => (await sql.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby'))[0].standby);
    expect(standbyWrote).toBe(false);
    const health = await controller.api.get('/api/health/detail');
    expect(health.status).toBe(200);
    expect(health.body.details.database.replicas).toEqual([expect.objectContaining({ up: true, serving_reads: true, lag_seconds: expect.any(Number) })]);
  });

  it('serves what the primary committed once the replica has replayed it', async () => {
    await db.write((sql) => sql.execute('CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, text text)'));
    await db.write((sql) => sql.execute("INSERT INTO notes (text) VALUES ('on air')"));
    await waitForReplay(primary, replica, 'app');
    const rows = await db.read((sql) => sql.query<{ text: string }>('SELECT text FROM notes'));
    expect(rows.map((r) => r.text)).toContain('on air');
  });

  it('reads entities on the replica through the replica’s own TypeORM DataSource', async () => {
    await eventually(async () => expect(await servedByReplica(db)).toBe(true));
    const read = await db.read(async (sql) => {
      const [{ standby }] = await sql.entities.query('SELECT pg_is_in_recovery() AS standby');
      return { standby, flows: await sql.entities.getRepository('flows').count(), dataSource: sql.entities.connection };
    });
    expect(read).toMatchObject({ standby: true, flows: 0 });
    const primarySource = await db.write(async (sql) => sql.entities.connection);
    expect(read.dataSource).not.toBe(primarySource);
    expect(read.dataSource.isInitialized).toBe(true);
  });

  it('reads from the primary while the replica lags past REPLICA_MAX_LAG_SECONDS, and returns to it after', async () => {
    await replica.query('SELECT pg_wal_replay_pause()');
    try {
      await db.write((sql) => sql.execute("INSERT INTO notes (text) VALUES ('lagging')"));
      await eventually(async () => expect(await servedByReplica(db)).toBe(false), 10_000);
      const health = await controller.api.get('/api/health/detail');
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('degraded');
      expect(health.body.details.database.replicas[0].serving_reads).toBe(false);
      // The read that matters: what was just written is visible, because the primary served it.
      const rows = await db.read((sql) => sql.query<{ text: string }>('SELECT text FROM notes'));
      expect(rows.map((r) => r.text)).toContain('lagging');
    } finally {
      await replica.query('SELECT pg_wal_replay_resume()');
    }
    await eventually(async () => expect(await servedByReplica(db)).toBe(true), 10_000);
  });

  it('keeps reading, from the primary, when the replica is stopped, and uses it again when it returns', async () => {
    await replica.stop('immediate');
    // No read fails: the first one on the dead replica falls back, then the monitor skips it.
    for (let i = 0; i < 20; i++) expect(await servedByReplica(db)).toBe(false);
    const users = await controller.api.get('/api/health/detail');
    expect(users.body.details.database.replicas[0].up).toBe(false);
    await replica.start();
    await eventually(async () => expect(await servedByReplica(db)).toBe(true), 15_000);
  });
});
