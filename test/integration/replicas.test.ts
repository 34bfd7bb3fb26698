import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PostgresServer } from '#database';
import type { ApiClient } from '../support/api-client.js';
import { TEST_ADMIN, TEST_JWT_SECRET } from '../support/controller.js';
import { ControllerProcess } from '../support/controller-process.js';
import { eventually } from '../support/eventually.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';
import { newUser } from '../factories/user.factory.js';

const LEASE = 'auth-maintenance';

/** Several controller processes on one database, as behind a load balancer. */
describe('stateless replicas on one database', () => {
  let dir: string;
  let pg: PostgresServer;
  const processes: ControllerProcess[] = [];
  const env = (database: string) => ({
    DATABASE_URL: urlOf(pg.port, database),
    JWT_SECRET: TEST_JWT_SECRET,
    ADMIN_USERNAME: TEST_ADMIN.username,
    ADMIN_PASSWORD: TEST_ADMIN.password,
    LEASE_TTL_SECONDS: '6',
  });
  const spawn = async (database: string) => {
    const started = await ControllerProcess.spawn(env(database));
    processes.push(started);
    return started;
  };
  const holderOf = async (replica: ControllerProcess): Promise<string | null> => {
    const detail = await replica.api.get('/api/health/detail');
    return detail.body.details.leases.holders.find((h: { name: string }) => h.name === LEASE)?.holder ?? null;
  };
  const instanceOf = async (replica: ControllerProcess): Promise<string> => (await replica.api.get('/api/health/detail')).body.details.leases.instance;

  beforeAll(async () => {
    dir = await scratchDir('replicas');
    pg = await startPrimary(dir);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await pg?.stop();
    await removeDir(dir);
  });

  it('migrates once when three replicas start together on an empty database, and all become ready', async () => {
    await createDatabase(pg, 'fresh');
    const three = await Promise.all([spawn('fresh'), spawn('fresh'), spawn('fresh')]);
    await Promise.all(three.map((p) => p.ready()));
    for (const replica of three) expect((await replica.api.get('/api/health/detail')).status).toBe(200);
    const migrations = await pg.query<{ name: string; n: string }>('SELECT name, count(*) AS n FROM schema_migrations GROUP BY name', [], 'fresh');
    expect(migrations.map((m) => m.name).sort()).toEqual([
      'Alerts1764201601100',
      'AuthTables1764201600100',
      'EventsClearsRetained1764201601150',
      'EventsOutbox1764201600400',
      'Flows1764201601200',
      'Is07SenderStates1764201601500',
      'LeaseTable1764201600000',
      'LoginAttempts1764201600700',
      'MergedView1764201600300',
      'MergedViewGeneration1764201601300',
      'RegistryConfig1764201600200',
      'RegistryDiscovery1764201600900',
      'RegistryPolledTypes1764201600600',
      'RegistryUrlCredentials1764201600800',
      'Routing1764201600500',
      'RoutingAuditTime1764201601000',
      'SendersByTransport1764201601400',
    ]);
    expect(migrations.every((m) => m.n === '1')).toBe(true);
    const admins = await pg.query('SELECT username FROM users', [], 'fresh');
    expect(admins).toEqual([{ username: 'admin' }]);
    await Promise.all(three.map((p) => p.stop()));
  });

  describe('two replicas', () => {
    let a: ControllerProcess;
    let b: ControllerProcess;
    let adminOnA: ApiClient;

    beforeAll(async () => {
      await createDatabase(pg, 'shared');
      a = await (await spawn('shared')).ready();
      b = await (await spawn('shared')).ready();
      adminOnA = await a.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    });

    it('accepts a token from one replica on the other', async () => {
      const onB = b.api.as((await a.api.post('/api/login', TEST_ADMIN)).body.token);
      expect((await onB.get('/api/me')).body).toMatchObject({ username: 'admin', role: 'admin' });
    });

    it('refuses a user deleted on one replica on the other within seconds', async () => {
      const user = newUser('operator');
      const created = await adminOnA.post('/api/users', user);
      const userOnB = await b.api.loginAs(user.username, user.password);
      expect((await userOnB.get('/api/me')).status).toBe(200);
      expect((await adminOnA.delete(`/api/users/${created.body.id}`)).status).toBe(204);
      await eventually(async () => expect((await userOnB.get('/api/me')).status).toBe(401), 5_000);
    });

    it('applies a role change made on one replica on the other within seconds', async () => {
      const user = newUser('engineer');
      const created = await adminOnA.post('/api/users', user);
      const userOnB = await b.api.loginAs(user.username, user.password);
      expect((await userOnB.get('/api/me')).body.role).toBe('engineer');
      await adminOnA.patch(`/api/users/${created.body.id}`, { role: 'viewer' });
      await eventually(async () => expect((await userOnB.get('/api/me')).body.role).toBe('viewer'), 5_000);
    });

    it('lets exactly one replica hold the lease, and the other take it over within 10 s of a SIGKILL', async () => {
      const [idA, idB] = [await instanceOf(a), await instanceOf(b)];
      const holder = await eventually(async () => {
        const seen = await holderOf(a);
        expect([idA, idB]).toContain(seen);
        return seen!;
      });
      expect(await holderOf(b)).toBe(holder);
      const [victim, survivor, survivorId] = holder === idA ? [a, b, idB] : [b, a, idA];

      victim.signal('SIGKILL');
      await victim.exited;
      const killedAt = Date.now();
      await eventually(async () => expect(await holderOf(survivor)).toBe(survivorId), 15_000, 200);
      expect(Date.now() - killedAt).toBeLessThan(10_000);
      const [row] = await pg.query<{ holder: string; epoch: string }>('SELECT holder, epoch FROM leases WHERE name = $1', [LEASE], 'shared');
      expect(row.holder).toBe(survivorId);
      expect(Number(row.epoch)).toBeGreaterThanOrEqual(2);
    });
  });
});
