/**
 * `npm run bench:registry`: the controller (embedded defaults) watching a simulated facility of two
 * registries with about 10,000 resources each, both as separate processes, measured from outside:
 * time to the first full sync, change-to-visible latency, merged-view list throughput and p99, RSS.
 */
import autocannon from 'autocannon';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authHeaders, percentile, rssMb, startEmbeddedController, startProcess } from './bench-kit.js';

const PORT = 19_080 + Math.floor(Math.random() * 500);
const ADMIN = { username: 'admin', password: 'bench-password-1' };

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'nmc-regbench-'));
  chmodSync(work, 0o755);
  const manifestFile = join(work, 'manifest.json');
  const simulator = await startProcess(
    'dist/apps/simulator/src/main.js',
    [
      '--registries',
      '2',
      '--nodes',
      '244',
      '--senders',
      '20',
      '--receivers',
      '20',
      '--multi-registry-share',
      '0',
      '--paging-limit',
      '1000',
      '--manifest',
      manifestFile,
    ],
    {},
    'admin API',
  );
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  const controller = await startEmbeddedController(join(work, 'data'), PORT, ADMIN);
  const url = `http://127.0.0.1:${PORT}`;
  try {
    const auth = await authHeaders(url, ADMIN);
    const expected = manifest.nodes.length * 82;
    const syncStarted = performance.now();
    await fetch(`${url}/api/registry/config`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify(
        manifest.registries.map((r: { index: number; query_url: string }) => ({ name: `R${r.index}`, query_url: r.query_url, enabled: true })),
      ),
    });
    for (;;) {
      const status = (await (await fetch(`${url}/api/registry/status`, { headers: auth })).json()) as Array<{
        state: string;
        resources: Record<string, number>;
      }>;
      const total = status.reduce((n, r) => n + Object.values(r.resources).reduce((a, b) => a + b, 0), 0);
      if (status.every((r) => r.state === 'connected') && total >= expected) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    console.log(`first full sync of 2 registries, ${expected} resources:  ${Math.round(performance.now() - syncStarted)} ms`);
    console.log(`controller RSS after sync:                              ${rssMb(controller.pid!)} MB`);

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
    console.log(
      `change to visible in /api/nmos (40 new senders):        p50 ${Math.round(percentile(latencies, 50))} ms   p99 ${Math.round(percentile(latencies, 99))} ms`,
    );

    // autocannon paces by releasing bursts per connection: show the rate with few and with many connections.
    for (const connections of [1, 10]) {
      const paced = await autocannon({ url: `${url}/api/nmos/senders?limit=100`, headers: auth, connections, overallRate: 200, duration: 10 });
      console.log(
        `GET /api/nmos/senders?limit=100, 200 req/s, ${String(connections).padStart(2)} conn:   p50 ${paced.latency.p50} ms   p99 ${paced.latency.p99} ms   errors ${paced.errors + paced.non2xx}`,
      );
    }
    const max = await autocannon({ url: `${url}/api/nmos/senders?limit=100`, headers: auth, connections: 10, duration: 10 });
    console.log(`GET /api/nmos/senders?limit=100, max:                   ${Math.round(max.requests.average)} req/s   p99 ${max.latency.p99} ms`);
    console.log(`controller RSS after load:                              ${rssMb(controller.pid!)} MB`);
  } finally {
    controller.kill('SIGTERM');
    simulator.kill('SIGTERM');
    await new Promise((r) => controller.once('exit', r));
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
