import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
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

  it('ends its drain so that nothing sent to it fails: connections close after each answer, then new ones are refused, and a request on a connection accepted before that is still served', async () => {
    const running = await ControllerProcess.spawn(embeddedEnv({ SHUTDOWN_DRAIN_SECONDS: '2' }));
    await running.ready();
    const keptAlive = await openSocket(running.port);
    expect(await rawGet(keptAlive, '/api/health')).toMatch(/^HTTP\/1\.1 200/);
    const idleToTheEnd = await openSocket(running.port);
    expect(await rawGet(idleToTheEnd, '/api/health')).toMatch(/^HTTP\/1\.1 200/);
    running.signal('SIGTERM');
    await eventually(async () => expect((await running.api.get('/api/health/detail')).status).toBe(503), 2_000, 20);
    // A keep-alive connection from before the drain is not closed under the balancer's feet: its next
    // request is served, and the answer closes it.
    const onKeptAlive = await rawGet(keptAlive, '/api/health');
    expect(onKeptAlive).toMatch(/^HTTP\/1\.1 200/);
    expect(onKeptAlive.toLowerCase()).toContain('connection: close');
    await closedByPeer(keptAlive);
    const early = await openSocket(running.port);
    const duringDrain = await rawGet(await openSocket(running.port), '/api/health');
    expect(duringDrain).toMatch(/^HTTP\/1\.1 200/);
    expect(duringDrain.toLowerCase()).toContain('connection: close');
    await eventually(async () => expect(await connectError(running.port)).toBe('ECONNREFUSED'), 5_000, 20);
    // Accepted before the listener closed, its request sent after: served, not reset and not 503.
    expect(await rawGet(early, '/api/health')).toMatch(/^HTTP\/1\.1 200/);
    // So is a keep-alive connection that stayed idle through the whole drain.
    expect(await rawGet(idleToTheEnd, '/api/health')).toMatch(/^HTTP\/1\.1 200/);
    expect(await running.exited).toBe(0);
  });

  it('starts with the embedded broker on a free port when 1883 is taken and MQTT_EMBEDDED_PORT is not set', async () => {
    const blocker = createServer().listen(1883, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r).once('error', r)); // taken already (Mosquitto) is as good
    const started = await ControllerProcess.spawn(embeddedEnv({ MQTT_EMBEDDED_PORT: '' }));
    try {
      await started.ready();
      const printed = /MQTT: +mqtt:\/\/127\.0\.0\.1:(\d+) \(embedded broker; subscribe as subscriber \/ \S+\)/.exec(started.log);
      expect(printed).not.toBeNull();
      expect(Number(printed![1])).not.toBe(1883);
      expect(await connectError(Number(printed![1]))).toBeUndefined();
    } finally {
      started.signal('SIGTERM');
      await started.exited;
      blocker.close();
    }
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

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket)).once('error', reject);
  });
}

/** One HTTP/1.1 request on a raw socket; resolves with everything read until the answer is complete or the socket closes. */
function rawGet(socket: Socket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const [head, body = ''] = text.split('\r\n\r\n');
      const length = /content-length: *(\d+)/i.exec(head);
      if (length && Buffer.byteLength(body) >= Number(length[1])) done();
    };
    const done = () => {
      socket.off('data', onData);
      resolve(text);
    };
    socket.on('data', onData).once('end', done).once('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  });
}

function closedByPeer(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.readableEnded || socket.destroyed) return resolve();
    socket.once('end', () => resolve()).once('close', () => resolve());
    socket.resume();
  });
}

/** The error code of a fresh connection attempt, or undefined when it connects. */
function connectError(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code));
  });
}
