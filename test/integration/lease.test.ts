import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AUTH_MAINTENANCE_LEASE } from '#auth';
import { DatabaseService, LeaseService, type PostgresServer } from '#database';
import { startController, type RunningController } from '../support/controller.js';
import { eventually } from '../support/eventually.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';

describe('a lease holder that loses the database', () => {
  let dir: string;
  let pg: PostgresServer;
  let controller: RunningController;
  let leases: LeaseService;

  beforeAll(async () => {
    dir = await scratchDir('lease');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    controller = await startController({ DATABASE_URL: urlOf(pg.port, 'app', 'connect_timeout=1'), LEASE_TTL_SECONDS: '3' });
    leases = controller.app.get(LeaseService);
  });

  afterAll(async () => {
    await controller?.close();
    await pg?.stop();
    await removeDir(dir);
  });

  it('stops acting as holder before its lease row could expire, and takes it again when the database returns', async () => {
    await eventually(() => expect(leases.isHeld(AUTH_MAINTENANCE_LEASE)).toBe(true));
    const [{ expires_at }] = await pg.query<{ expires_at: Date }>('SELECT expires_at FROM leases WHERE name = $1', [AUTH_MAINTENANCE_LEASE], 'app');
    await pg.stop('immediate');
    const stoppedAt = Date.now();
    await eventually(() => expect(leases.isHeld(AUTH_MAINTENANCE_LEASE)).toBe(false), 5_000, 20);
    // Another replica could take the row over only after it expires: we let go before that.
    expect(Date.now()).toBeLessThan(expires_at.getTime());
    expect(Date.now() - stoppedAt).toBeLessThan(3_000);

    await pg.start();
    await eventually(() => expect(leases.isHeld(AUTH_MAINTENANCE_LEASE)).toBe(true), 10_000);
    const [row] = await pg.query<{ epoch: string }>('SELECT epoch FROM leases WHERE name = $1', [AUTH_MAINTENANCE_LEASE], 'app');
    expect(Number(row.epoch)).toBe(1); // the same holder renewed: no change of holder, no new epoch
  });
});

describe('a primary pool with every connection in use', () => {
  let dir: string;
  let pg: PostgresServer;
  let controller: RunningController;

  beforeAll(async () => {
    dir = await scratchDir('pool-busy');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    controller = await startController({ DATABASE_URL: urlOf(pg.port, 'app', 'pool_max_conns=2&connect_timeout=1') });
  });

  afterAll(async () => {
    await controller?.close();
    await pg?.stop();
    await removeDir(dir);
  });

  it('answers "busy", not "primary unreachable", while the primary is up', async () => {
    const db = controller.app.get(DatabaseService);
    const holding = [0, 1].map(() => db.write((sql) => sql.query('SELECT pg_sleep(3)')));
    const refused = await db.write((sql) => sql.query('SELECT 1')).catch((err: Error) => err);
    await Promise.all(holding);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toContain('every connection to the primary is in use');
    expect((await db.status()).primary.up).toBe(true);
  });
});
