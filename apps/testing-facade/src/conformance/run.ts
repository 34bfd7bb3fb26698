/**
 * `npm run test:conformance`: the AMWA NMOS Testing Tool's controller suites (IS-04-04, IS-05-03) against
 * the controller on its embedded defaults, driven by the testing façade through the public API only.
 *
 * It starts the controller (a scratch DATA_DIR, free ports), creates an API token for the façade, and
 * lets the controller find the tool's mock registry by unicast DNS-SD (the tool's mock DNS server on
 * 127.0.0.1:53, root only), or, with `--no-dns-sd`, configures the registry's URL as an engineer would.
 * Then it runs each suite with `../shared/tools/nmos-testing/run.sh`, prints every test's state, and
 * exits non-zero unless every scored test passed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatVerdict, verdict, type SuiteVerdict } from './results.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CONTROLLER_MAIN = resolve(HERE, '../../../controller/src/main.js');
const FACADE_MAIN = resolve(HERE, '../main.js');
const TOOL = resolve(process.env.NMOS_TESTING_TOOL ?? resolve(HERE, '../../../../../../shared/tools/nmos-testing/run.sh'));

/** The tool's mock registry 2, where its suites register the mock node's resources. */
const MOCK_QUERY_API = 'http://127.0.0.1:5102/x-nmos/query/v1.3';
const DNS_DOMAIN = 'testsuite.nmos.tv';
const ADMIN = { username: 'conformance-admin', password: 'conformance-admin-password' };
/** Seconds the tool gives each controller test: enough for the 10–60 s waits of the offline/online tests. */
const PER_TEST_TIMEOUT_S = '30';

const SUITES: Record<string, string[]> = {
  'IS-04-04': ['--host', '127.0.0.1', 'null', '--port', '5001', '0', '--version', 'v1.0', 'v1.3'],
  'IS-05-03': ['--host', '127.0.0.1', 'null', 'null', '--port', '5001', '0', '0', '--version', 'v1.0', 'v1.3', 'v1.1'],
};

const children: ChildProcess[] = [];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const dnsSd = !args.includes('--no-dns-sd');
  const suites = args.filter((a) => !a.startsWith('--'));
  for (const suite of suites) if (!SUITES[suite]) throw new Error(`unknown suite ${suite} (known: ${Object.keys(SUITES).join(', ')})`);
  if (dnsSd && process.getuid?.() !== 0)
    throw new Error('unicast DNS-SD needs the tool to serve DNS on 127.0.0.1:53, which needs root: run as root or with --no-dns-sd');

  const dataDir = await mkdtemp(join(tmpdir(), 'nmc-conformance-'));
  await chmod(dataDir, 0o755);
  try {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const controller = start('controller', CONTROLLER_MAIN, {
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      MQTT_EMBEDDED_PORT: '0',
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      ...(dnsSd
        ? { REGISTRY_DNS_SD: 'unicast', REGISTRY_DNS_SD_DOMAIN: DNS_DOMAIN, REGISTRY_DNS_SD_SERVERS: '127.0.0.1', REGISTRY_DNS_SD_INTERVAL_MS: '1000' }
        : {}),
    });
    await waitFor(controller, 'nmos-control listening on', 120_000);
    const admin = await login(base);
    if (!dnsSd) await call(base, admin, 'PUT', '/api/registry/config', [{ name: 'AMWA mock registry', query_url: MOCK_QUERY_API }]);
    const { token } = await call<{ token: string }>(base, admin, 'POST', '/api/tokens', { name: 'amwa-testing-facade' });
    const facade = start('façade', FACADE_MAIN, { CONTROLLER_URL: base, CONTROLLER_TOKEN: token, FACADE_PORT: '5001' });
    await waitFor(facade, 'Question API on', 30_000);

    const verdicts: SuiteVerdict[] = [];
    for (const suite of suites.length > 0 ? suites : Object.keys(SUITES)) verdicts.push(await runSuite(suite, dataDir, dnsSd));
    process.stdout.write(`\n${verdicts.map(formatVerdict).join('\n\n')}\n`);
    process.exitCode = verdicts.every((v) => v.ok) ? 0 : 1;
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function runSuite(suite: string, dataDir: string, dnsSd: boolean): Promise<SuiteVerdict> {
  const output = join(dataDir, `${suite}.json`);
  process.stdout.write(`\n== ${suite}${dnsSd ? ' (registry found by unicast DNS-SD)' : ''}\n`);
  const tool = spawn(TOOL, [suite, ...SUITES[suite], '--output', output], {
    env: { ...process.env, NMOS_CONTROLLER_TESTING_TIMEOUT: PER_TEST_TIMEOUT_S, ...(dnsSd ? { NMOS_ENABLE_DNS_SD: 'unicast' } : {}) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number | null>((done) => tool.once('exit', done));
  let json: unknown;
  try {
    json = JSON.parse(await readFile(output, 'utf8'));
  } catch {
    // The tool writes no JSON when it cannot start (e.g. a port in use): the suite failed.
    process.stdout.write(`${suite}: the tool exited ${code} and wrote no results\n`);
  }
  return verdict(suite, json);
}

function start(name: string, main: string, env: Record<string, string>): ChildProcess & { output: string } {
  const child = spawn(process.execPath, [main], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & {
    output: string;
  };
  child.output = '';
  const keep = (chunk: Buffer) => {
    child.output += chunk.toString();
    if (process.env.CONFORMANCE_LOGS === '1' || name === 'façade') process.stdout.write(chunk);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  children.push(child);
  return child;
}

async function waitFor(child: ChildProcess & { output: string }, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!child.output.includes(text)) {
    if (child.exitCode !== null) throw new Error(`exited (${child.exitCode}) before it was ready:\n${child.output}`);
    if (Date.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms:\n${child.output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function login(base: string): Promise<string> {
  return (await call<{ token: string }>(base, null, 'POST', '/api/login', ADMIN)).token;
}

async function call<T = unknown>(base: string, token: string | null, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

main().catch((err) => {
  process.stderr.write(`conformance: ${(err as Error).message}\n`);
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
});
