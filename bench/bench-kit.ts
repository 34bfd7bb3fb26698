/** What every benchmark needs: child processes started until they say they are ready, memory, percentiles. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The flags `npm start` and the image give the controller's node (see apps/controller/src/main.ts). */
export const CONTROLLER_NODE_FLAGS = ['--max-semi-space-size=4'];

/**
 * Starts `node <script>` and resolves once its stdout contains `ready`; rejects if it exits first. The
 * controller runs with the flags it ships with, then BENCH_NODE_FLAGS (space-separated) to try others.
 */
export function startProcess(script: string, args: string[], env: Record<string, string>, ready: string): Promise<ChildProcess> {
  const nodeFlags = script.includes('controller') ? [...CONTROLLER_NODE_FLAGS, ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [])] : [];
  const child = spawn(process.execPath, [...nodeFlags, resolve(script), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  // BENCH_LOGS=1 shows what the processes log (warnings and errors at the benches' LOG_LEVEL).
  if (process.env.BENCH_LOGS) child.stdout!.pipe(process.stderr);
  return new Promise((done, fail) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(ready)) done(child);
    });
    child.once('exit', (code) => fail(new Error(`${script} exited with ${code}`)));
  });
}

/** Resident memory of a process, in MB (Linux). */
export function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Math.round(Number(line.split(/\s+/)[1]) / 1024);
}

export function percentile(values: number[], p: number): number {
  return [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];
}

/** The controller as `npm start` runs it (embedded database and broker), on `port`, with a known admin. */
export function startEmbeddedController(dataDir: string, port: number, admin: { username: string; password: string }): Promise<ChildProcess> {
  return startProcess(
    'dist/apps/controller/src/main.js',
    [],
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      EMBEDDED_DATABASE_PORT: String(port + 7000),
      LOG_LEVEL: 'warn',
      SHUTDOWN_DRAIN_SECONDS: '0',
      MQTT_EMBEDDED_PORT: '0',
      ADMIN_USERNAME: admin.username,
      ADMIN_PASSWORD: admin.password,
    },
    'listening on',
  );
}

/** Logs in and answers the headers of authenticated JSON requests. */
export async function authHeaders(url: string, admin: { username: string; password: string }): Promise<Record<string, string>> {
  const login = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(admin) });
  const { token } = (await login.json()) as { token: string };
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
}

/** An authenticated JSON caller of the controller's API: method, path, body → status and parsed body. */
export function jsonApi(url: string, headers: Record<string, string>) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const response = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: await response.json() };
  };
}
