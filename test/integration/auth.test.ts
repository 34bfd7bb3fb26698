import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import type { PostgresServer } from '#database';
import { ApiClient } from '../support/api-client.js';
import { startController, TEST_ADMIN, TEST_JWT_SECRET, type RunningController } from '../support/controller.js';
import { eventually } from '../support/eventually.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';
import { newUser } from '../factories/user.factory.js';

describe('auth against a real PostgreSQL', () => {
  let dir: string;
  let pg: PostgresServer;
  let controller: RunningController;
  let admin: ApiClient;
  const env = () => ({
    DATABASE_URL: urlOf(pg.port, 'auth'),
    LOGIN_MAX_FAILURES_PER_USER: '3',
    LOGIN_MAX_FAILURES_PER_ADDRESS: '6',
    TRUST_PROXY: 'true',
    LOGIN_USER_BACKOFF_SECONDS: '30',
    CORS_ORIGINS: 'https://ops.example:8443',
  });
  const countUsers = async () => Number((await pg.query<{ n: string }>('SELECT count(*) AS n FROM users', [], 'auth'))[0].n);

  beforeAll(async () => {
    dir = await scratchDir('auth');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'auth');
    controller = await startController(env());
    admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
  });

  afterAll(async () => {
    await controller?.close();
    await pg?.stop();
    await removeDir(dir);
  });

  it('logs in with the GO-NMOS answer shape and tells who the token belongs to', async () => {
    const login = await controller.api.post('/api/login', TEST_ADMIN);
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ token: expect.any(String), expires_in: 43200, user: { username: 'admin', role: 'admin' } });
    const me = await controller.api.as(login.body.token).get('/api/me');
    expect(me.body).toMatchObject({ kind: 'user', username: 'admin', role: 'admin' });
  });

  it('answers a wrong password and an unknown user alike, without saying which part was wrong', async () => {
    const wrongPassword = await controller.api.post('/api/login', { username: 'admin', password: 'nope-nope' });
    const unknownUser = await controller.api.post('/api/login', { username: 'nobody-here', password: 'nope-nope' });
    expect(wrongPassword.status).toBe(401);
    expect(unknownUser.status).toBe(401);
    expect(wrongPassword.body.message).toBe(unknownUser.body.message);
    expect(wrongPassword.body.error).toBe('invalid_credentials');
  });

  it('limits failed logins per username from one address, counted in PostgreSQL, with Retry-After; another address is not locked out', async () => {
    const user = newUser('viewer');
    await admin.post('/api/users', user);
    const from = { 'x-forwarded-for': '192.0.2.10' };
    for (let i = 0; i < 3; i++)
      expect((await controller.api.post('/api/login', { username: user.username, password: 'wrong-password' }, from)).status).toBe(401);
    // Even the right password is refused from that address while the window lasts...
    const blocked = await controller.api.post('/api/login', { username: user.username, password: user.password }, from);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    const [row] = await pg.query<{ failures: number }>(
      "SELECT failures FROM login_failures WHERE scope = 'user_address' AND key = $1",
      [`${user.username} 192.0.2.10`],
      'auth',
    );
    expect(row.failures).toBe(3);
    // ...but an attacker cannot lock the user out: from an address that never failed, the user logs in.
    expect((await controller.api.post('/api/login', { username: user.username, password: user.password }, { 'x-forwarded-for': '192.0.2.11' })).status).toBe(
      200,
    );
  });

  it('counts before it verifies: 40 concurrent wrong passwords get exactly the limit verified', async () => {
    const user = newUser('viewer');
    await admin.post('/api/users', user);
    const from = { 'x-forwarded-for': '192.0.2.30' };
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => controller.api.post('/api/login', { username: user.username, password: 'wrong-password' }, from)),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(37);
    const counts = await pg.query<{ scope: string; failures: number }>(
      'SELECT scope, failures FROM login_failures WHERE key IN ($1, $2) ORDER BY scope',
      [`${user.username} 192.0.2.30`, '192.0.2.30'],
      'auth',
    );
    expect(counts).toEqual([
      { scope: 'address', failures: 3 },
      { scope: 'user_address', failures: 3 },
    ]);
  });

  it('paces a username guessed from many addresses, without holding back an address that never failed', async () => {
    const user = newUser('viewer');
    await admin.post('/api/users', user);
    // One failure from each of three addresses reaches the per-user limit (3) across addresses.
    for (const host of [41, 42, 43])
      expect(
        (await controller.api.post('/api/login', { username: user.username, password: 'wrong-password' }, { 'x-forwarded-for': `192.0.2.${host}` })).status,
      ).toBe(401);
    const paced = await controller.api.post('/api/login', { username: user.username, password: user.password }, { 'x-forwarded-for': '192.0.2.41' });
    expect(paced.status).toBe(429);
    expect(Number(paced.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(paced.headers.get('retry-after'))).toBeLessThanOrEqual(30);
    expect((await controller.api.post('/api/login', { username: user.username, password: user.password }, { 'x-forwarded-for': '192.0.2.44' })).status).toBe(
      200,
    );
  });

  it('believes only the proxy hops it is told to: a client cannot pick its own address with X-Forwarded-For', async () => {
    // TRUST_PROXY=true is one hop: the address the nearest proxy (here, this test) appended, the last one.
    for (let i = 0; i < 6; i++) {
      const rotated = { 'x-forwarded-for': `198.51.100.${i}, 192.0.2.50` };
      expect((await controller.api.post('/api/login', { username: `rotating-${i}`, password: 'wrong-password' }, rotated)).status).toBe(401);
    }
    expect((await controller.api.post('/api/login', TEST_ADMIN, { 'x-forwarded-for': '198.51.100.99, 192.0.2.50' })).status).toBe(429);
  });

  it('throttles password changes as it throttles logins', async () => {
    const user = newUser('operator');
    await admin.post('/api/users', user);
    const session = await controller.api.loginAs(user.username, user.password);
    const from = { 'x-forwarded-for': '192.0.2.60' };
    for (let i = 0; i < 3; i++)
      expect((await session.patch('/api/me/password', { current_password: 'wrong-password', new_password: 'another-password-1' }, from)).status).toBe(401);
    const blocked = await session.patch('/api/me/password', { current_password: user.password, new_password: 'another-password-1' }, from);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('limits failed logins per client address, whatever the usernames tried', async () => {
    const from = { 'x-forwarded-for': '192.0.2.20' };
    for (let i = 0; i < 6; i++)
      expect((await controller.api.post('/api/login', { username: `guess-${i}`, password: 'wrong-password' }, from)).status).toBe(401);
    expect((await controller.api.post('/api/login', TEST_ADMIN, from)).status).toBe(429);
    expect((await controller.api.post('/api/login', TEST_ADMIN, { 'x-forwarded-for': '192.0.2.21' })).status).toBe(200);
  });

  it('answers CORS preflights for the configured origins only', async () => {
    const preflight = (origin: string) =>
      controller.api.request('OPTIONS', '/api/me', undefined, {
        origin,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      });
    const allowed = await preflight('https://ops.example:8443');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://ops.example:8443');
    expect((await preflight('https://elsewhere.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('enforces roles: viewer < operator < engineer < admin', async () => {
    const viewer = newUser('viewer');
    await admin.post('/api/users', viewer);
    const asViewer = await controller.api.loginAs(viewer.username, viewer.password);
    expect((await asViewer.get('/api/me')).status).toBe(200);
    const refused = await asViewer.post('/api/users', newUser('viewer'));
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('insufficient_role');
    expect((await asViewer.get('/api/users')).status).toBe(403);
  });

  it('manages users and never loses the last admin', async () => {
    const engineer = newUser('engineer');
    const created = await admin.post('/api/users', engineer);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username: engineer.username, role: 'engineer' });
    expect(created.body).not.toHaveProperty('password_hash');
    expect((await admin.post('/api/users', { ...engineer, username: engineer.username.toUpperCase() })).status).toBe(409);

    const promoted = await admin.patch(`/api/users/${created.body.id}`, { role: 'admin' });
    expect(promoted.body.role).toBe('admin');
    const admins = (await admin.get('/api/users')).body.filter((u: { role: string }) => u.role === 'admin');
    expect(admins).toHaveLength(2);

    // Demote one admin: fine. The other is then the last: neither demotion nor deletion is allowed.
    expect((await admin.patch(`/api/users/${created.body.id}`, { role: 'viewer' })).status).toBe(200);
    const me = await admin.get('/api/me');
    const demoteLast = await admin.patch(`/api/users/${me.body.id}`, { role: 'engineer' });
    expect(demoteLast.status).toBe(409);
    expect(demoteLast.body.error).toBe('last_admin');
    expect((await admin.delete(`/api/users/${me.body.id}`)).status).toBe(409);
    const [{ role }] = await pg.query<{ role: string }>('SELECT role FROM users WHERE id = $1', [me.body.id], 'auth');
    expect(role).toBe('admin');

    expect((await admin.delete(`/api/users/${created.body.id}`)).status).toBe(204);
    expect((await admin.get(`/api/users/${created.body.id}`)).status).toBe(404);
  });

  it('revokes older tokens when a password changes', async () => {
    const user = newUser('operator');
    await admin.post('/api/users', user);
    const before = await controller.api.loginAs(user.username, user.password);
    const changed = await before.patch('/api/me/password', { current_password: user.password, new_password: 'a-new-password-1' });
    expect(changed.status).toBe(204);
    const stale = await before.get('/api/me');
    expect(stale.status).toBe(401);
    const after = await controller.api.loginAs(user.username, 'a-new-password-1');
    expect((await after.get('/api/me')).status).toBe(200);
  });

  it('issues API tokens for automation: shown once, stored hashed, revocable, with last use', async () => {
    const created = await admin.post('/api/tokens', { name: 'playout' });
    expect(created.status).toBe(201);
    const token: string = created.body.token;
    expect(token).toMatch(/^nmc_/);
    const [stored] = await pg.query<{ token_hash: Buffer }>('SELECT token_hash FROM api_tokens WHERE id = $1', [created.body.id], 'auth');
    expect(stored.token_hash.toString('utf8')).not.toContain(token);

    const automation = controller.api.as(token);
    expect((await automation.get('/api/me')).body).toMatchObject({ kind: 'api_token', username: 'playout', role: 'automation' });
    expect((await automation.get('/api/users')).status).toBe(403);
    await eventually(async () => {
      const listed = (await admin.get('/api/tokens')).body.find((t: { id: string }) => t.id === created.body.id);
      expect(listed.last_used_at).not.toBeNull();
      expect(listed).not.toHaveProperty('token');
    });

    expect((await admin.delete(`/api/tokens/${created.body.id}`)).status).toBe(204);
    await eventually(async () => expect((await automation.get('/api/me')).status).toBe(401), 5_000);
  });

  it('refuses missing, malformed, forged and expired tokens', async () => {
    const me = (await admin.get('/api/me')).body;
    const noToken = await controller.api.get('/api/me');
    expect(noToken.status).toBe(401);
    expect((await controller.api.get('/api/me', { authorization: 'Basic abc' })).status).toBe(401);
    expect((await controller.api.as('not-a-jwt').get('/api/me')).status).toBe(401);
    const forged = jwt.sign({ sub: me.id, ver: 0 }, 'another-secret-that-is-long-enough-000', { issuer: 'nmos-control', keyid: 'whatever' });
    expect((await controller.api.as(forged).get('/api/me')).status).toBe(401);
    const decoded = jwt.decode((await controller.api.post('/api/login', TEST_ADMIN)).body.token, { complete: true })!;
    const expired = jwt.sign({ sub: me.id, ver: 0, exp: Math.floor(Date.now() / 1000) - 10 }, TEST_JWT_SECRET, {
      issuer: 'nmos-control',
      keyid: decoded.header.kid,
    });
    const expiredAnswer = await controller.api.as(expired).get('/api/me');
    expect(expiredAnswer.status).toBe(401);
    expect(expiredAnswer.body.message).toMatch(/expired/);
    const forever = jwt.sign({ sub: me.id, ver: 0 }, TEST_JWT_SECRET, { issuer: 'nmos-control', keyid: decoded.header.kid });
    const foreverAnswer = await controller.api.as(forever).get('/api/me');
    expect(foreverAnswer.status).toBe(401);
    expect(foreverAnswer.body.message).toMatch(/no expiry/);
    const unsigned = jwt.sign({ sub: me.id, ver: 0 }, '', { algorithm: 'none', issuer: 'nmos-control' } as jwt.SignOptions);
    expect((await controller.api.as(unsigned).get('/api/me')).status).toBe(401);
  });

  it('refuses bad input with the field named, and writes nothing', async () => {
    const before = await countUsers();
    const cases: Array<[unknown, number, string?]> = [
      ['{"username": "x",', 400],
      [{ username: 'ok-name', password: 'long-enough', role: 'superuser' }, 400, 'role'],
      [{ username: 'ok-name', password: 12345678, role: 'viewer' }, 400, 'password'],
      [{ username: 'ok-name', password: 'long-enough', role: 'viewer', is_admin: true }, 400, 'is_admin'],
      [{ username: 'bad name!', password: 'long-enough', role: 'viewer' }, 400, 'username'],
      [{ username: 'ok-name', password: 'short', role: 'viewer' }, 400, 'password'],
      [[1, 2, 3], 400],
      [{ username: 'ok-name', password: 'x'.repeat(2_000_000), role: 'viewer' }, 413],
    ];
    for (const [body, status, field] of cases) {
      const res = await admin.post('/api/users', body);
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(res.body).toMatchObject({ statusCode: status, request_id: expect.any(String) });
      if (field) expect(res.body.fields.map((f: { field: string }) => f.field)).toContain(field);
    }
    const textBody = await admin.request('POST', '/api/users', 'username=x', { 'content-type': 'text/plain' });
    expect(textBody.status).toBe(415);
    expect((await admin.patch('/api/users/not-a-uuid', { role: 'viewer' })).status).toBe(400);
    expect(await countUsers()).toBe(before);
  });

  it('honours X-Request-Id and mints one otherwise', async () => {
    const given = await controller.api.get('/api/health', { 'x-request-id': 'take-42' });
    expect(given.headers.get('x-request-id')).toBe('take-42');
    const minted = await controller.api.get('/api/me');
    expect(minted.headers.get('x-request-id')).toBe(minted.body.request_id);
  });

  it('documents every route and its auth in OpenAPI', async () => {
    const doc = (await controller.api.get('/api/docs-json')).body;
    const routes = Object.entries(doc.paths as Record<string, Record<string, { security?: unknown[] }>>).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, secured: (op.security ?? []).length > 0 })),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        { route: 'POST /api/login', secured: false },
        { route: 'GET /api/health', secured: false },
        { route: 'GET /api/health/detail', secured: false },
        { route: 'GET /api/health/components', secured: true },
        { route: 'GET /api/me', secured: true },
        { route: 'POST /api/users', secured: true },
        { route: 'DELETE /api/tokens/{id}', secured: true },
      ]),
    );
    expect(doc.components.securitySchemes.bearer).toBeDefined();
  });

  it('documents every JSON body and zod-checked query with the schema that validates it', async () => {
    const doc = (await controller.api.get('/api/docs-json')).body;
    const bodyOf = (path: string, method: string) => doc.paths[path][method].requestBody?.content?.['application/json']?.schema;
    // Every route that reads a body says what it takes.
    const writes = Object.entries(doc.paths as Record<string, Record<string, { requestBody?: unknown }>>).flatMap(([path, ops]) =>
      Object.entries(ops).flatMap(([method, op]) => (['post', 'put', 'patch'].includes(method) && op.requestBody ? [`${method} ${path}`] : [])),
    );
    expect(writes.length).toBeGreaterThanOrEqual(25);
    // Straight from the schemas: unknown fields refused, the rules and the descriptions they carry.
    expect(bodyOf('/api/users', 'post')).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['username', 'password', 'role'],
      properties: { password: { minLength: 8, maxLength: 1024 }, role: { enum: ['viewer', 'operator', 'engineer', 'admin'] } },
    });
    expect(bodyOf('/api/connections', 'post')).toMatchObject({ additionalProperties: false, required: ['receiver_id', 'sender_id'] });
    expect(bodyOf('/api/salvos', 'post').properties.connections).toMatchObject({ minItems: 1, maxItems: 1000 });
    expect(bodyOf('/api/registry/config', 'put')).toMatchObject({ type: 'array', items: { required: ['name', 'query_url'] } });
    expect(bodyOf('/api/alerts/hooks', 'post').properties.secret.description).toMatch(/never shown back/);
    expect(bodyOf('/api/flows', 'post')).toMatchObject({ type: 'object' });
    // Queries too, one parameter per field of the schema that checks them.
    const params = (path: string) =>
      Object.fromEntries((doc.paths[path].get.parameters as Array<{ name: string; schema: { enum?: string[] } }>).map((p) => [p.name, p]));
    expect(params('/api/flows')).toMatchObject({
      limit: { in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
      sort_by: { schema: { enum: expect.arrayContaining(['display_name', 'multicast_addr_a']) } },
    });
    expect(params('/api/flows/search').q).toMatchObject({ required: true });
    expect(params('/api/schedules').state.schema.enum).toContain('pending');
    expect(params('/api/events')).toMatchObject({ after: { schema: { minimum: 0, default: 0 } }, limit: { schema: { maximum: 1000 } } });
    const restore = Object.fromEntries((doc.paths['/api/restore'].post.parameters as Array<{ name: string; in: string }>).map((p) => [p.name, p]));
    expect(restore).toMatchObject({ mode: { in: 'query', required: true }, dry_run: { required: false } });
  });
});

describe('JWT secret rotation across replicas', () => {
  let dir: string;
  let pg: PostgresServer;
  const OLD = 'old-secret-'.padEnd(40, 'o');
  const NEW = 'new-secret-'.padEnd(40, 'n');

  beforeAll(async () => {
    dir = await scratchDir('rotation');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'rotation');
  });

  afterAll(async () => {
    await pg?.stop();
    await removeDir(dir);
  });

  it('keeps tokens signed with JWT_SECRET_PREVIOUS working until the previous secret is dropped', async () => {
    const url = urlOf(pg.port, 'rotation');
    // One app at a time: passport keeps strategies in a process-wide registry, so apps in one process
    // would share the last one's keys (in production each replica is its own process).
    const withController = async <T>(env: Record<string, string>, use: (c: RunningController) => Promise<T>): Promise<T> => {
      const controller = await startController({ DATABASE_URL: url, ...env });
      try {
        return await use(controller);
      } finally {
        await controller.close();
      }
    };
    const oldToken = await withController({ JWT_SECRET: OLD }, async (c) => (await c.api.post('/api/login', TEST_ADMIN)).body.token);
    const newToken = await withController({ JWT_SECRET: NEW, JWT_SECRET_PREVIOUS: OLD }, async (c) => {
      expect((await c.api.as(oldToken).get('/api/me')).status).toBe(200);
      return (await c.api.post('/api/login', TEST_ADMIN)).body.token;
    });
    await withController({ JWT_SECRET: NEW }, async (c) => {
      expect((await c.api.as(newToken).get('/api/me')).status).toBe(200);
      expect((await c.api.as(oldToken).get('/api/me')).status).toBe(401);
    });
    await withController({ JWT_SECRET: OLD }, async (c) => expect((await c.api.as(newToken).get('/api/me')).status).toBe(401));
  });
});
