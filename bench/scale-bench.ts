/**
 * `npm run bench:scale`: the controller (embedded defaults) watching a simulated plant, both as
 * separate processes, measured from outside: time to the first full sync, RSS of the controller's own
 * process (the embedded PostgreSQL is other processes) after sync and after a read load,
 * change-to-visible latency, list and IS-04 façade throughput and p99, readiness probe p99.
 *
 * MQTT_BROKER_URL measures against an external broker (as in production) instead of the embedded one.
 *
 * Flags (defaults: one registry, 1,000 nodes × (12 senders + 12 receivers) = 50,000 resources):
 *   --registries N  --nodes N  --senders N  --receivers N  --seconds N (each load's duration)
 * `npm run bench:registry` is this with two registries of about 10,000 resources each.
 */
import autocannon from 'autocannon';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { authHeaders, percentile, rssMb, startEmbeddedController, startProcess } from './bench-kit.js';

const PORT = 19_080 + Math.floor(Math.random() * 500);
const ADMIN = { username: 'admin', password: 'bench-password-1' };

const { values: flags } = parseArgs({
  options: {
    registries: { type: 'string', default: '1' },
    nodes: { type: 'string', default: '1000' },
    senders: { type: 'string', default: '12' },
    receivers: { type: 'string', default: '12' },
    seconds: { type: 'string', default: '10' },
  },
});
const [registries, nodes, senders, receivers, seconds] = [flags.registries, flags.nodes, flags.senders, flags.receivers, flags.seconds].map(Number);
/** A node, its device, and per sender a source, a flow and the sender; then the receivers. */
const RESOURCES_PER_NODE = 2 + 3 * senders + receivers;

const line = (label: string, value: string) => console.log(`${label.padEnd(58)}${value}`);

async function main(): Promise<void> {
  // An external broker keeps retained messages between runs: each run publishes under topics of its own.
  if (process.env.MQTT_BROKER_URL) process.env.MQTT_TOPIC_PREFIX ??= `bench-scale-${process.pid}`;
  const work = mkdtempSync(join(tmpdir(), 'nmc-scalebench-'));
  chmodSync(work, 0o755);
  const manifestFile = join(work, 'manifest.json');
  const simulator = await startProcess(
    'dist/apps/simulator/src/main.js',
    [
      ...['--registries', String(registries), '--nodes', String(nodes), '--senders', String(senders), '--receivers', String(receivers)],
      ...['--multi-registry-share', '0', '--manifest', manifestFile],
    ],
    {},
    'admin API',
  );
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  const controller = await startEmbeddedController(join(work, 'data'), PORT, ADMIN);
  const url = `http://127.0.0.1:${PORT}`;
  const expected = manifest.nodes.length * RESOURCES_PER_NODE;
  console.log(`${registries} registr${registries === 1 ? 'y' : 'ies'}, ${manifest.nodes.length} nodes, ${expected} resources`);
  console.log(
    process.env.MQTT_BROKER_URL
      ? `broker: ${process.env.MQTT_BROKER_URL} (external; topics under ${process.env.MQTT_TOPIC_PREFIX})`
      : "broker: embedded (its retained messages, one per resource, are in the controller's RSS)",
  );
  try {
    const auth = await authHeaders(url, ADMIN);
    const syncStarted = performance.now();
    let unavailableDuringSync = 0;
    await fetch(`${url}/api/registry/config`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify(
        manifest.registries.map((r: { index: number; query_url: string }) => ({ name: `R${r.index}`, query_url: r.query_url, enabled: true })),
      ),
    });
    for (;;) {
      const answer = await fetch(`${url}/api/registry/status`, { headers: auth });
      if (answer.status === 503) {
        unavailableDuringSync++;
        await answer.body?.cancel();
        continue;
      }
      if (!answer.ok) throw new Error(`/api/registry/status answered ${answer.status}: ${await answer.text()}`);
      const status = (await answer.json()) as Array<{
        state: string;
        resources: Record<string, number>;
      }>;
      const total = status.reduce((n, r) => n + Object.values(r.resources).reduce((a, b) => a + b, 0), 0);
      if (status.every((r) => r.state === 'connected') && total >= expected) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    line(`first full sync, ${expected} resources:`, `${Math.round(performance.now() - syncStarted)} ms`);
    if (unavailableDuringSync > 0) line('status reads answered 503 during the sync:', String(unavailableDuringSync));
    line('controller RSS after sync:', `${rssMb(controller.pid!)} MB`);
    // The sync's events (one per resource) are published after it: reads are measured once that is done.
    for (;;) {
      const health = (await (await fetch(`${url}/api/health/components`, { headers: auth })).json()) as { details?: { events?: { backlog?: { count: number } } } };
      if (health.details?.events?.backlog?.count === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    line('every event of the sync published after:', `${Math.round(performance.now() - syncStarted)} ms`);

    const latencies: number[] = [];
    for (let i = 0; i < 40; i++) {
      const node = manifest.nodes[(i * 7) % manifest.nodes.length];
      const changedAt = performance.now();
      const added = (await (
        await fetch(`${manifest.admin_url}/nodes/${node.id}/senders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
      ).json()) as { id: string };
      while ((await fetch(`${url}/api/nmos/senders/${added.id}`, { headers: auth })).status !== 200) await new Promise((r) => setTimeout(r, 5));
      latencies.push(performance.now() - changedAt);
    }
    line('change to visible in /api/nmos (40 new senders):', `p50 ${Math.round(percentile(latencies, 50))} ms   p99 ${Math.round(percentile(latencies, 99))} ms`);

    // Pages served from the replica's cache (nmos_control_view_cache_lookups_total), per listing.
    const cacheHits = async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      const count = (listing: string, result: string) =>
        Number(new RegExp(`^nmos_control_view_cache_lookups_total\\{[^}]*listing="${listing}",result="${result}"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
      return Object.fromEntries(['api', 'query_api'].map((listing) => [listing, { hit: count(listing, 'hit'), miss: count(listing, 'miss') }]));
    };
    const load = async (label: string, path: string, options: { connections: number; overallRate?: number }, listing?: 'api' | 'query_api') => {
      const before = listing && (await cacheHits())[listing];
      const result = await autocannon({ url: `${url}${path}`, headers: auth, duration: seconds, ...options });
      const rate = options.overallRate ? `${options.overallRate} req/s paced` : `${Math.round(result.requests.average)} req/s`;
      let cached = '';
      if (listing && before) {
        const after = (await cacheHits())[listing];
        const [hits, misses] = [after.hit - before.hit, after.miss - before.miss];
        cached = `   from cache ${Math.round((100 * hits) / Math.max(1, hits + misses))} %`;
      }
      line(`${label}:`, `${rate}   p50 ${result.latency.p50} ms   p99 ${result.latency.p99} ms   errors ${result.errors + result.non2xx}${cached}`);
    };
    await load('GET /api/nmos/senders?limit=100, max (10 conn)', '/api/nmos/senders?limit=100', { connections: 10 }, 'api');
    await load('GET /x-nmos/query/v1.3/senders?paging.limit=100, max', '/x-nmos/query/v1.3/senders?paging.limit=100', { connections: 10 }, 'query_api');
    await load('GET /api/health/detail, 20 req/s (1 conn)', '/api/health/detail', { connections: 1, overallRate: 20 });
    line('controller RSS after load:', `${rssMb(controller.pid!)} MB`);
  } finally {
    controller.kill('SIGTERM');
    simulator.kill('SIGTERM');
    await new Promise((r) => controller.once('exit', r));
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
