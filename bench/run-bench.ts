/**
 * `npm run bench`: the controller on its embedded defaults, as `npm start` runs it, measured from outside
 * over loopback. Prints figures; asserts nothing (the machines are shared and noisy).
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { authHeaders, CONTROLLER_NODE_FLAGS, rssMb } from './bench-kit.js';

const MAIN = resolve('dist/apps/controller/src/main.js');
const PORT = 18_080 + Math.floor(Math.random() * 1000);
const DB_PORT = 26_000 + Math.floor(Math.random() * 1000);
const ADMIN = { username: 'admin', password: 'bench-password-1' };

async function startController(dataDir: string): Promise<{ child: ChildProcess; readyMs: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [...CONTROLLER_NODE_FLAGS, MAIN], {
    env: {
      ...process.env,
      PORT: String(PORT),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      EMBEDDED_DATABASE_PORT: String(DB_PORT),
      LOG_LEVEL: 'warn',
      SHUTDOWN_DRAIN_SECONDS: '0',
      MQTT_EMBEDDED_PORT: '0',
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((ready, fail) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('nmos-control listening on')) ready();
    });
    child.once('exit', (code) => fail(new Error(`controller exited with ${code}`)));
  });
  return { child, readyMs: performance.now() - started };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
}

async function load(title: string, options: autocannon.Options): Promise<void> {
  const result = await autocannon({ duration: 10, connections: 20, ...options });
  const errors = result.errors + result.timeouts + result.non2xx;
  console.log(
    `${title.padEnd(46)} ${String(Math.round(result.requests.average)).padStart(7)} req/s   p50 ${String(result.latency.p50).padStart(4)} ms   p99 ${String(result.latency.p99).padStart(4)} ms   errors ${errors}`,
  );
}

async function main(): Promise<void> {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'nmc-bench-')), 'data');
  chmodSync(join(dataDir, '..'), 0o755);
  const url = `http://127.0.0.1:${PORT}`;
  try {
    const first = await startController(dataDir);
    console.log(`start to ready, empty data folder (initdb):   ${Math.round(first.readyMs)} ms`);
    await stop(first.child);
    const { child, readyMs } = await startController(dataDir);
    console.log(`start to ready, existing data folder:         ${Math.round(readyMs)} ms`);
    console.log(`RSS after start:                              ${rssMb(child.pid!)} MB`);

    const auth = await authHeaders(url, ADMIN);

    await load('warm-up /api/health', { url: `${url}/api/health`, duration: 3 });
    await load('warm-up /api/me', { url: `${url}/api/me`, headers: auth, duration: 3 });
    await load('GET /api/health at 1,000 req/s', { url: `${url}/api/health`, overallRate: 1000, connections: 10 });
    await load('GET /api/health, max (20 connections)', { url: `${url}/api/health` });
    await load('GET /api/me at 1,000 req/s', { url: `${url}/api/me`, headers: auth, overallRate: 1000, connections: 10 });
    await load('GET /api/me, max (20 connections)', { url: `${url}/api/me`, headers: auth });
    await load('GET /api/health/detail, max (20 connections)', { url: `${url}/api/health/detail` });
    console.log(`RSS after load:                               ${rssMb(child.pid!)} MB`);
    await stop(child);
  } finally {
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  }
}

void main();
