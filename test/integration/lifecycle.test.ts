import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ControllerProcess } from '../support/controller-process.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/free-port.js';
import { removeDir, scratchDir } from '../support/pg-cluster.js';

/** The product as `npm start` runs it: embedded PostgreSQL in DATA_DIR, no other service. */
describe('embedded defaults, restarts and shutdown', () => {
  let dir: string;
  let dbPort: number;
  let password: string;
  let token: string;
  const embeddedEnv = (extra: Record<string, string> = {}) => ({ DATA_DIR: join(dir, 'data'), EMBEDDED_DATABASE_PORT: String(dbPort), ...extra });
  const postgresRunning = () => existsSync(join(dir, 'data', 'postgres', 'postmaster.pid'));

  beforeAll(async () => {
    dir = await scratchDir('lifecycle');
    dbPort = await freePort();
  });

  afterAll(async () => {
    await removeDir(dir);
  });

  it('starts on an empty data folder with a real PostgreSQL and prints the first admin password once', async () => {
    const first = await ControllerProcess.spawn(embeddedEnv());
    try {
      await first.ready();
      const printed = /First admin created: username "admin", password "([^"]+)"/.exec(first.log);
      expect(printed).not.toBeNull();
      password = printed![1];
      const admin = await first.api.loginAs('admin', password);
      token = (await first.api.post('/api/login', { username: 'admin', password })).body.token;
      expect((await admin.get('/api/me')).status).toBe(200);
      expect((await first.api.get('/api/health/detail')).body.details.database.mode).toBe('embedded');
      const docs = await first.api.get('/api/docs');
      expect(docs.status).toBe(200);
      expect(docs.headers.get('content-type')).toContain('text/html');
    } finally {
      await first.stop();
    }
  });

  it('on SIGTERM turns readiness 503 first, finishes requests, then stops PostgreSQL cleanly', async () => {
    const running = await ControllerProcess.spawn(embeddedEnv({ SHUTDOWN_DRAIN_SECONDS: '2' }));
    await running.ready();
    const me = running.api.as(token);
    running.signal('SIGTERM');
    await eventually(async () => expect((await running.api.get('/api/health/detail')).status).toBe(503), 2_000, 20);
    // Still draining: the process serves, so the load balancer's last requests succeed.
    expect((await running.api.get('/api/health')).status).toBe(200);
    expect((await me.get('/api/me')).status).toBe(200);
    expect(await running.exited).toBe(0);
    expect(postgresRunning()).toBe(false);
    expect(running.log).toContain('embedded PostgreSQL stopped');
  });

  it('keeps users and the JWT secret across restarts, and never overwrites the first admin', async () => {
    const again = await ControllerProcess.spawn(embeddedEnv({ ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: 'a-different-password' }));
    try {
      await again.ready();
      expect(again.log).not.toContain('First admin created');
      expect((await again.api.as(token).get('/api/me')).status).toBe(200);
      expect((await again.api.post('/api/login', { username: 'admin', password: 'a-different-password' })).status).toBe(401);
      expect((await again.api.post('/api/login', { username: 'admin', password })).status).toBe(200);
    } finally {
      again.signal('SIGTERM');
      await again.exited;
    }
  });

  it('recovers the data folder after a SIGKILL left PostgreSQL running', async () => {
    const killed = await ControllerProcess.spawn(embeddedEnv());
    await killed.ready();
    await killed.stop(); // SIGKILL: no hook runs
    const next = await ControllerProcess.spawn(embeddedEnv());
    try {
      await next.ready();
      expect((await next.api.post('/api/login', { username: 'admin', password })).status).toBe(200);
    } finally {
      next.signal('SIGTERM');
      await next.exited;
    }
  });

  it('names the variable to change when the embedded database port is taken', async () => {
    const taken = await freePort();
    const blocker = createServer().listen(taken, '127.0.0.1');
    try {
      const refused = await ControllerProcess.spawn({ DATA_DIR: join(dir, 'other-data'), EMBEDDED_DATABASE_PORT: String(taken) });
      expect(await refused.exited).not.toBe(0);
      expect(refused.log).toContain(`port ${taken}`);
      expect(refused.log).toContain('EMBEDDED_DATABASE_PORT');
    } finally {
      blocker.close();
    }
  });

  it('names the variable to change when the embedded MQTT broker port is taken', async () => {
    const taken = await freePort();
    const blocker = createServer().listen(taken, '127.0.0.1');
    try {
      const refused = await ControllerProcess.spawn(embeddedEnv({ MQTT_EMBEDDED_PORT: String(taken) }));
      expect(await refused.exited).not.toBe(0);
      expect(refused.log).toContain('MQTT_EMBEDDED_PORT');
    } finally {
      blocker.close();
    }
  });

  it('refuses to start on bad configuration, listing every problem in one message', async () => {
    const bad = await ControllerProcess.spawn({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://db/app',
      JWT_SECRET: 'short',
      DATABASE_READ_REPLICA_URL: 'postgres://u@h/db?pool_max_conns=0',
    });
    expect(await bad.exited).toBe(78);
    for (const variable of ['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'JWT_SECRET', 'DATABASE_READ_REPLICA_URL[0]']) expect(bad.log).toContain(`${variable}:`);
    expect(bad.log).not.toContain('listening');
  });
});
