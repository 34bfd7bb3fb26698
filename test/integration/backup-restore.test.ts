import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import type { PostgresServer } from '#database';
import { Facility } from '../../apps/simulator/src/index.js';
import type { ApiClient } from '../support/api-client.js';
import { startController, TEST_ADMIN, type RunningController } from '../support/controller.js';
import { EventSchemas } from '../support/event-schemas.js';
import { eventually } from '../support/eventually.js';
import { newUser } from '../factories/user.factory.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';
import { FacilityEndpoints, waitForFacility } from '../support/routing-fixtures.js';

const PASSPHRASE = 'correct horse battery staple';
const REGISTRY_TOKEN = 'registry-bearer-token-kept-secret';

/** What an operator sees of the configuration: every listing a backup must bring back. */
const LISTINGS = ['/api/registry/config', '/api/users', '/api/tokens', '/api/routing/policies', '/api/salvos/saved', '/api/schedules', '/api/alerts/hooks'];
const HOOK_URL = 'https://hooks.example.net/services/T0/B0/hook-path-credential';

/** Recomputes a document's checksum as the README tells an editor to. */
function resealed(document: Record<string, unknown>): Record<string, unknown> {
  const { checksum: _old, ...rest } = document;
  const canonical = (value: unknown): string =>
    Array.isArray(value)
      ? `[${value.map(canonical).join(',')}]`
      : value !== null && typeof value === 'object'
        ? `{${Object.keys(value)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
            .join(',')}}`
        : JSON.stringify(value);
  return { ...rest, checksum: `sha256:${createHash('sha256').update(canonical(rest)).digest('hex')}` };
}

describe('configuration backup and restore', () => {
  let dir: string;
  let pg: PostgresServer;
  let facility: Facility;
  let target: RunningController;
  let targetAdmin: ApiClient;
  let operatorUser: ReturnType<typeof newUser>;
  let apiToken: string;
  let lockedReceiver: string;

  const listings = async (api: ApiClient) => {
    const out: Record<string, unknown> = {};
    for (const path of LISTINGS) {
      const res = await api.get(path);
      expect(res.status).toBe(200);
      out[path] = res.body;
    }
    out.locks = ((await api.get('/api/connections')).body as Array<{ receiver_id: string; lock: unknown }>)
      .filter((r) => r.lock)
      .map((r) => [r.receiver_id, r.lock]);
    return out;
  };
  const backupOf = async (api: ApiClient, passphrase?: string) => {
    const res = await api.get('/api/backup', passphrase ? { 'x-backup-passphrase': passphrase } : {});
    expect(res.status).toBe(200);
    return res.body as Record<string, any>;
  };

  /** What the source showed and exported before it stopped (two controllers in one process would share passport's strategy). */
  let fromSource: {
    listings: Record<string, unknown>;
    sealed: Record<string, any>;
    plain: Record<string, any>;
    operatorStatus: number;
    shortPassphrase: unknown;
  };

  beforeAll(async () => {
    dir = await scratchDir('backup');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'source');
    await createDatabase(pg, 'target');
    facility = await Facility.start({ registries: 1, nodes: 2, senders: 2, receivers: 2 });
    const env = { LEASE_TTL_SECONDS: '3', ACTIVE_CHECK_INTERVAL: '0' };
    const source = await startController({ ...env, DATABASE_URL: urlOf(pg.port, 'source') });
    try {
      const sourceAdmin = await source.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
      // Everything a facility configures, through the API.
      const registries = [
        { name: 'R0', query_url: facility.registries[0].url, enabled: true, priority: 5, auth: { type: 'bearer', token: REGISTRY_TOKEN } },
        { name: 'spare', query_url: 'http://127.0.0.1:9/x-nmos/query/v1.3', enabled: false, endpoints: ['http://127.0.0.1:10/x-nmos/query/v1.3'] },
      ];
      expect((await sourceAdmin.put('/api/registry/config', registries)).status).toBe(200);
      operatorUser = newUser('operator');
      expect((await sourceAdmin.post('/api/users', operatorUser)).status).toBe(201);
      expect((await sourceAdmin.post('/api/users', newUser('viewer'))).status).toBe(201);
      const token = await sourceAdmin.post('/api/tokens', { name: 'automation-1' });
      expect(token.status).toBe(201);
      apiToken = token.body.token;
      await waitForFacility(sourceAdmin, facility);
      const endpoints = new FacilityEndpoints(facility);
      const receiver = endpoints.receiver('video', 1, new Set());
      lockedReceiver = receiver.id;
      const operator = await source.api.loginAs(operatorUser.username, operatorUser.password);
      expect((await operator.put(`/api/connections/${receiver.id}/lock`, { reason: 'on air: studio A' })).status).toBe(200);
      const policy = { name: 'no-audio-to-video', effect: 'deny', sender: { label: 'audio' }, receiver: { label: 'video' } };
      expect((await sourceAdmin.post('/api/routing/policies', policy)).status).toBe(201);
      const salvo = {
        description: 'studio A to TX',
        connections: [{ receiver_id: receiver.id, sender_id: endpoints.sender('video', 1).id }],
        on_failure: 'rollback',
      };
      expect((await operator.put('/api/salvos/saved/evening-news', salvo)).status).toBe(200);
      expect((await operator.post('/api/schedules', { salvo: 'evening-news', fire_at: new Date(Date.now() + 3_600_000).toISOString() })).status).toBe(201);
      expect(
        (
          await sourceAdmin.post('/api/alerts/hooks', {
            name: 'ops',
            url: HOOK_URL,
            format: 'slack',
            secret: 'hook-signing-secret-0123',
            alerts: ['registry_down'],
          })
        ).status,
      ).toBe(201);
      // Last: with deny by default, the schedule above would be refused.
      expect((await sourceAdmin.put('/api/routing/default', { effect: 'deny' })).status).toBe(200);

      fromSource = {
        listings: await listings(sourceAdmin),
        sealed: await backupOf(sourceAdmin, PASSPHRASE),
        plain: await backupOf(sourceAdmin),
        operatorStatus: (await operator.get('/api/backup')).status,
        shortPassphrase: (await sourceAdmin.get('/api/backup', { 'x-backup-passphrase': 'short' })).body,
      };
    } finally {
      await source.close();
    }
    target = await startController({ ...env, DATABASE_URL: urlOf(pg.port, 'target') });
    targetAdmin = await target.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
  });

  afterAll(async () => {
    await target?.close();
    await facility?.stop();
    await pg?.stop();
    await removeDir(dir);
  });

  it('is for admins only, and never carries a password or a secret in clear', async () => {
    expect(fromSource.operatorStatus).toBe(403);
    expect((fromSource.shortPassphrase as { fields: unknown }).fields).toEqual([{ field: 'X-Backup-Passphrase', message: 'must be at least 12 characters' }]);
    const { plain, sealed } = fromSource;
    for (const document of [plain, sealed]) {
      const text = JSON.stringify(document);
      expect(text).not.toContain(REGISTRY_TOKEN);
      expect(text).not.toContain(operatorUser.password);
      expect(text).not.toContain(apiToken);
      expect(text).not.toContain('hook-path-credential');
      expect(text).not.toContain('hook-signing-secret-0123');
      expect(document).toMatchObject({ format: 'nmos-control-backup', version: 1 });
      expect(document.data.users.every((u: { password_hash: string }) => u.password_hash.startsWith('scrypt$'))).toBe(true);
      expect(document.data.api_tokens[0].token_hash).toBeUndefined();
      expect(document.data.registries[0].auth).toEqual({ type: 'bearer' });
    }
    expect(plain.secrets).toBeNull();
    expect(sealed.secrets).toMatchObject({ cipher: 'aes-256-gcm', kdf: { name: 'scrypt' } });
    expect(Object.keys(sealed.data).sort()).toEqual([
      'alert_hooks',
      'api_tokens',
      'receiver_locks',
      'registries',
      'routing_policies',
      'routing_settings',
      'salvos',
      'schedules',
      'users',
    ]);
  });

  it('refuses a damaged, tampered or invalid document, naming the problem, and changes nothing', async () => {
    const before = await backupOf(targetAdmin);
    const document = fromSource.sealed;
    const restore = (body: unknown, query = 'mode=replace', passphrase: string | null = PASSPHRASE) =>
      targetAdmin.post(`/api/restore?${query}`, body, passphrase ? { 'x-backup-passphrase': passphrase } : {});

    const tampered = structuredClone(document);
    tampered.data.users[0].role = 'admin';
    tampered.data.users.forEach((u: { role: string }) => (u.role = 'admin'));
    let res = await restore(tampered);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('backup_checksum_mismatch');
    expect(res.body.fields).toEqual([{ field: 'checksum', message: expect.stringContaining('changed after export') }]);

    const invalid = structuredClone(document);
    invalid.data.users[1].role = 'superuser';
    invalid.data.salvos[0].connections = [];
    invalid.data.routing_policies.push(structuredClone(invalid.data.routing_policies[0]));
    res = await restore(resealed(invalid));
    expect(res.status).toBe(400);
    expect(res.body.fields.map((f: { field: string }) => f.field).sort()).toEqual([
      'data.routing_policies.1',
      'data.salvos.0.connections',
      'data.users.1.role',
    ]);

    res = await restore(document, 'mode=replace', 'a wrong passphrase');
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual([{ field: 'X-Backup-Passphrase', message: expect.stringContaining('does not open the secrets') }]);
    res = await restore(document, 'mode=replace', null);
    expect(res.body.fields).toEqual([{ field: 'X-Backup-Passphrase', message: 'is required: the document holds encrypted secrets' }]);
    expect((await restore(document, 'mode=overwrite')).body.fields).toEqual([{ field: 'mode', message: 'is required: replace or merge' }]);
    expect((await restore(resealed({ ...document, data: { ...document.data, flows: [] } }))).body.fields[0].field).toBe('data.flows');
    expect((await restore('{"format":')).status).toBe(400);

    // Without its secrets, a registry token the target never had cannot be restored.
    res = await restore(fromSource.plain, 'mode=replace', null);
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual(expect.arrayContaining([{ field: '[0] "R0".auth.token', message: 'is required (no token is stored for this registry)' }]));

    // Valid items that the database refuses as a whole (no admin left): rolled back, nothing written.
    const noAdmin = structuredClone(document);
    noAdmin.data.users = noAdmin.data.users.filter((u: { role: string }) => u.role !== 'admin');
    res = await restore(resealed(noAdmin));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('last_admin');

    const after = await backupOf(targetAdmin);
    expect(after.data).toEqual(before.data);
  });

  it('dry run lists what would change and changes nothing; the restore then brings every listing back identical', async () => {
    const document = fromSource.sealed;
    const expected = fromSource.listings;
    const untouched = await backupOf(targetAdmin);
    const headers = { 'x-backup-passphrase': PASSPHRASE };

    const dry = await targetAdmin.post('/api/restore?mode=replace&dry_run=true', document, headers);
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dry_run: true, mode: 'replace', checksum: document.checksum, not_in_document: [] });
    expect(dry.body.sections.registries.created).toEqual(['r0', 'spare']);
    expect(dry.body.sections.users.updated).toEqual(['admin']);
    expect(dry.body.sections.users.created).toHaveLength(2);
    expect(dry.body.sections.receiver_locks.created).toEqual([lockedReceiver]);
    expect(dry.body.sections.routing_settings.updated).toEqual(['default_effect']);
    expect((await backupOf(targetAdmin)).data).toEqual(untouched.data);

    const done = await targetAdmin.post('/api/restore?mode=replace', document, headers);
    expect(done.status).toBe(200);
    expect(done.body.sections).toEqual(dry.body.sections);

    // The admin is now the source's (same password here): the session opened before names another user id and ends
    // (once the replica's short principal cache has let it go).
    await eventually(async () => expect((await targetAdmin.get('/api/me')).status).toBe(401));
    const restoredAdmin = await target.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    targetAdmin = restoredAdmin;
    expect((await backupOf(restoredAdmin, PASSPHRASE)).data).toEqual(document.data);
    // The watchers follow the restored registries; once the facility is in view, every listing matches.
    await waitForFacility(restoredAdmin, facility);
    expect(await listings(restoredAdmin)).toEqual(expected);
    expect((await target.api.as(apiToken).get('/api/nmos/senders')).status).toBe(200);
    await target.api.loginAs(operatorUser.username, operatorUser.password);

    const events = (await restoredAdmin.get('/api/events?after=0&limit=1000')).body as Array<Record<string, unknown>>;
    const restored = events.filter((e) => e.type === 'config.restored');
    expect(restored).toHaveLength(1);
    expect(new EventSchemas().problems(restored[0] as { type: string })).toEqual([]);
  });

  it('merge adds and updates only; replace makes each section exactly the document', async () => {
    const document = fromSource.plain;
    expect((await targetAdmin.post('/api/routing/policies', { name: 'target-only', effect: 'allow', sender: { label: 'x' } })).status).toBe(201);
    // A merge whose item clashes with another row of the target (a hook of the same name, another id) is
    // refused by name, and changes nothing.
    const hooks = (await targetAdmin.get('/api/alerts/hooks')).body as Array<{ id: string; name: string }>;
    const restoredHook = hooks.find((h) => h.name === 'ops')!;
    expect((await targetAdmin.patch(`/api/alerts/hooks/${restoredHook.id}`, { name: 'ops-renamed' })).status).toBe(200);
    const clash = await targetAdmin.post('/api/alerts/hooks', { name: 'ops', url: 'https://other.example.net/hook' });
    expect(clash.status).toBe(201);
    const refused = await targetAdmin.post('/api/restore?mode=merge', document);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: 'backup_conflict', fields: [{ field: 'data.alert_hooks' }] });
    expect(((await targetAdmin.get('/api/routing/policies')).body.policies as unknown[]).length).toBe(2);
    expect((await targetAdmin.delete(`/api/alerts/hooks/${clash.body.id}`)).status).toBe(204);

    const merged = await targetAdmin.post('/api/restore?mode=merge', document);
    expect(merged.status).toBe(200);
    expect(merged.body.sections.routing_policies).toEqual({ created: [], updated: [], removed: [], unchanged: 1 });
    expect(((await targetAdmin.get('/api/routing/policies')).body.policies as Array<{ name: string }>).map((p) => p.name).sort()).toEqual([
      'no-audio-to-video',
      'target-only',
    ]);

    // Without secrets the registry token and API token hash restored before are kept.
    const replaced = await targetAdmin.post('/api/restore?mode=replace', document);
    expect(replaced.status).toBe(200);
    expect(replaced.body.sections.routing_policies.removed).toEqual(['target-only']);
    expect((await backupOf(targetAdmin)).data).toEqual(document.data);
    expect((await target.api.as(apiToken).get('/api/nmos/senders')).status).toBe(200);
  });

  it('ends the sessions of a user whose password the restore puts back, and the backed-up password works again', async () => {
    expect((await targetAdmin.patch('/api/me/password', { current_password: TEST_ADMIN.password, new_password: 'changed-after-backup-1' })).status).toBe(204);
    const session = await target.api.loginAs(TEST_ADMIN.username, 'changed-after-backup-1');
    expect((await session.post('/api/restore?mode=replace', fromSource.plain)).status).toBe(200);
    await eventually(async () => expect((await session.get('/api/me')).status).toBe(401));
    expect((await target.api.post('/api/login', { username: TEST_ADMIN.username, password: 'changed-after-backup-1' })).status).toBe(401);
    targetAdmin = await target.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
  });
});
