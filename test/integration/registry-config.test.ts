import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PostgresServer } from '#database';
import type { ApiClient } from '../support/api-client.js';
import { startController, TEST_ADMIN, type RunningController } from '../support/controller.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';
import { newUser } from '../factories/user.factory.js';

/** The HA guide's example, byte for byte. */
const GUIDE_EXAMPLE = `[
    {
      "name": "Primary Registry",
      "query_url": "https://registry-primary.your-campus.local/x-nmos/query/v1.3",
      "enabled": true
    },
    {
      "name": "Secondary Registry",
      "query_url": "https://registry-secondary.your-campus.local/x-nmos/query/v1.3",
      "enabled": true
    }
  ]`;

describe('the registry configuration API', () => {
  let dir: string;
  let pg: PostgresServer;
  let controller: RunningController;
  let admin: ApiClient;
  let engineer: ApiClient;
  let viewer: ApiClient;
  const auditCount = async () => Number((await pg.query<{ n: string }>('SELECT count(*) AS n FROM registry_config_audit', [], 'app'))[0].n);
  const revision = async () => Number((await pg.query<{ revision: string }>('SELECT revision FROM registry_config_revision', [], 'app'))[0].revision);

  beforeAll(async () => {
    dir = await scratchDir('registry-config');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    controller = await startController({ DATABASE_URL: urlOf(pg.port, 'app') });
    admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    const asUser = async (role: 'engineer' | 'viewer' | 'operator') => {
      const user = newUser(role);
      await admin.post('/api/users', user);
      return controller.api.loginAs(user.username, user.password);
    };
    engineer = await asUser('engineer');
    viewer = await asUser('viewer');
  });

  afterAll(async () => {
    await controller?.close();
    await pg?.stop();
    await removeDir(dir);
  });

  it('takes the HA guide’s curl example as written and answers what was saved', async () => {
    const saved = await engineer.request('PUT', '/api/registry/config', GUIDE_EXAMPLE);
    expect(saved.status).toBe(200);
    expect(saved.body).toEqual([
      {
        name: 'Primary Registry',
        query_url: 'https://registry-primary.your-campus.local/x-nmos/query/v1.3',
        enabled: true,
        endpoints: [],
        priority: 0,
        timeout_ms: 5000,
        auth: null,
      },
      {
        name: 'Secondary Registry',
        query_url: 'https://registry-secondary.your-campus.local/x-nmos/query/v1.3',
        enabled: true,
        endpoints: [],
        priority: 0,
        timeout_ms: 5000,
        auth: null,
      },
    ]);
    expect((await viewer.get('/api/registry/config')).body).toEqual(saved.body);
  });

  it('changes nothing when GET’s output is PUT back, credentials included', async () => {
    await engineer.patch('/api/registry/config/Secondary%20Registry', {
      auth: { type: 'bearer', token: 'secret-token-1' },
      endpoints: ['https://registry-secondary-2.your-campus.local'],
    });
    const exported = (await viewer.get('/api/registry/config')).body;
    expect(JSON.stringify(exported)).not.toContain('secret-token-1');
    expect(exported[1].auth).toEqual({ type: 'bearer' });
    const [audits, rev] = [await auditCount(), await revision()];
    const imported = await engineer.put('/api/registry/config', exported);
    expect(imported.body).toEqual(exported);
    expect([await auditCount(), await revision()]).toEqual([audits, rev]);
    const [row] = await pg.query<{ auth: { token: string } }>("SELECT auth FROM registry_config WHERE name = 'Secondary Registry'", [], 'app');
    expect(row.auth.token).toBe('secret-token-1');
  });

  it('adds, changes and removes single entries', async () => {
    const added = await engineer.post('/api/registry/config', { name: 'Site B', query_url: 'http://10.2.0.5:8010/x-nmos/query', priority: 5 });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ name: 'Site B', enabled: true, priority: 5 });
    expect((await engineer.post('/api/registry/config', { name: 'site b', query_url: 'http://x' })).status).toBe(409);
    const changed = await engineer.patch('/api/registry/config/Site%20B', { enabled: false, name: 'Site B (OB truck)' });
    expect(changed.body).toMatchObject({ name: 'Site B (OB truck)', enabled: false, priority: 5 });
    expect((await engineer.patch('/api/registry/config/Site%20B', { enabled: true })).status).toBe(404);
    expect((await engineer.delete('/api/registry/config/Site%20B%20(OB%20truck)')).status).toBe(204);
    expect((await engineer.delete('/api/registry/config/Site%20B%20(OB%20truck)')).status).toBe(404);
    expect((await viewer.get('/api/registry/config')).body.map((e: { name: string }) => e.name)).toEqual(['Primary Registry', 'Secondary Registry']);
  });

  it('refuses bad configurations naming the entry and field, and writes nothing', async () => {
    const before = (await viewer.get('/api/registry/config')).body;
    const [audits, rev] = [await auditCount(), await revision()];
    const refused = await engineer.put('/api/registry/config', [
      { name: 'A', query_url: 'ftp://a/x-nmos/query/v1.3', enabled: true },
      { name: 'A', query_url: 'http://b', enabled: 'maybe' },
      { name: 'C', query_url: 'http://c', auth: { type: 'bearer' } },
    ]);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_registry_config');
    expect(refused.body.fields.map((f: { field: string }) => f.field)).toEqual(expect.arrayContaining(['[0] "A".query_url', '[1] "A".enabled']));
    const noToken = await engineer.put('/api/registry/config', [{ name: 'C', query_url: 'http://c', auth: { type: 'bearer' } }]);
    expect(noToken.body.fields).toEqual([{ field: '[0] "C".auth.token', message: 'is required (no token is stored for this registry)' }]);
    expect((await engineer.request('PUT', '/api/registry/config', '{"name":')).status).toBe(400);
    expect((await engineer.patch('/api/registry/config/Primary%20Registry', { colour: 'red' })).status).toBe(400);
    expect((await viewer.get('/api/registry/config')).body).toEqual(before);
    expect([await auditCount(), await revision()]).toEqual([audits, rev]);
  });

  it('lets viewers read and only engineers and admins write', async () => {
    const operator = await (async () => {
      const user = newUser('operator');
      await admin.post('/api/users', user);
      return controller.api.loginAs(user.username, user.password);
    })();
    expect((await viewer.get('/api/registry/config')).status).toBe(200);
    expect((await viewer.put('/api/registry/config', [])).status).toBe(403);
    expect((await operator.post('/api/registry/config', { name: 'X', query_url: 'http://x' })).status).toBe(403);
    expect((await operator.delete('/api/registry/config/Primary%20Registry')).status).toBe(403);
    expect((await viewer.get('/api/registry/config/audit')).status).toBe(403);
    expect((await admin.post('/api/registry/config', { name: 'By admin', query_url: 'http://admin' })).status).toBe(201);
  });

  it('audits every change: who, when, with which request, before and after, without secrets', async () => {
    const me = (await engineer.get('/api/me')).body;
    await engineer.patch('/api/registry/config/Primary%20Registry', { priority: 10 }, { 'x-request-id': 'audit-check-1' });
    const [latest] = (await engineer.get('/api/registry/config/audit?limit=1')).body;
    expect(latest).toMatchObject({
      actor_kind: 'user',
      actor_id: me.id,
      actor_name: me.username,
      request_id: 'audit-check-1',
      action: 'updated',
      name: 'Primary Registry',
      before: expect.objectContaining({ priority: 0 }),
      after: expect.objectContaining({ priority: 10 }),
    });
    const all = (await engineer.get('/api/registry/config/audit?limit=1000')).body;
    expect(all.map((a: { action: string }) => a.action)).toEqual(expect.arrayContaining(['created', 'updated', 'deleted']));
    expect(JSON.stringify(all)).not.toContain('secret-token-1');
    expect((await engineer.get('/api/registry/config/audit?limit=0')).status).toBe(400);
  });
});
