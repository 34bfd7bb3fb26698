/**
 * `npm run bench:flows`: the controller (embedded defaults) holding a 50,000-flow inventory (`--flows N`),
 * measured from outside: import time, list page p99, search p99, the full collision report, and
 * next-free allocation p99. Prints figures; asserts nothing.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authHeaders, jsonApi, percentile, rssMb, startEmbeddedController } from './bench-kit.js';

const PORT = 21_080 + Math.floor(Math.random() * 500);
const ADMIN = { username: 'admin', password: 'bench-password-1' };
const argIndex = process.argv.indexOf('--flows');
const FLOWS = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 50_000;
// Each import body stays under the default BODY_LIMIT_BYTES (1 MiB).
const IMPORT_CHUNK = 2_000;

const figures = (values: number[]) => `p50 ${percentile(values, 50).toFixed(1)} ms   p99 ${percentile(values, 99).toFixed(1)} ms`;
const group = (n: number) => `239.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'nmc-flowsbench-'));
  chmodSync(work, 0o755);
  const controller = await startEmbeddedController(join(work, 'data'), PORT, ADMIN);
  const url = `http://127.0.0.1:${PORT}`;
  try {
    const headers = await authHeaders(url, ADMIN);
    const api = jsonApi(url, headers);
    const timed = async (count: number, call: (i: number) => Promise<{ status: number }>) => {
      const times: number[] = [];
      for (let i = 0; i < count; i++) {
        const started = performance.now();
        const answer = await call(i);
        if (answer.status >= 300) throw new Error(`answered ${answer.status}`);
        times.push(performance.now() - started);
      }
      return times;
    };

    // Two legs each, on mirrored red/blue groups; one flow in 200 shares its group with the next (a collision).
    const started = performance.now();
    for (let start = 0; start < FLOWS; start += IMPORT_CHUNK) {
      const flows = Array.from({ length: Math.min(IMPORT_CHUNK, FLOWS - start) }, (_, k) => {
        const n = start + k;
        const address = group(n % 200 === 1 ? n - 1 : n);
        return {
          display_name: `Studio ${n % 40} cam ${n} video`,
          multicast_addr_a: address,
          group_port_a: 5004,
          multicast_addr_b: address,
          group_port_b: 5004,
          media_type: n % 3 === 0 ? 'audio/L24' : 'video/raw',
          alias_1: `src-${n}`,
        };
      });
      const answer = await api('POST', '/api/flows/import', { flows });
      if (answer.status !== 201 && answer.status !== 200) throw new Error(`import answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
    }
    console.log(`${FLOWS} flows imported in ${((performance.now() - started) / 1000).toFixed(1)} s (chunks of ${IMPORT_CHUNK}, one transaction each)`);

    // The import's background VACUUM (ANALYZE) and autovacuum settle before reads are timed: steady state.
    await new Promise((r) => setTimeout(r, 10_000));
    const first = await timed(200, (i) => api('GET', `/api/flows?limit=100&offset=${(i % 10) * 100}&sort_by=${i % 2 ? 'display_name' : 'multicast_addr_a'}`));
    console.log(`list, first ten pages (limit=100, by name or group): ${figures(first)}`);
    const list = await timed(200, (i) => api('GET', `/api/flows?limit=100&offset=${(i * 997) % FLOWS}&sort_by=${i % 2 ? 'display_name' : 'multicast_addr_a'}`));
    console.log(`list, any page (offset up to ${FLOWS}): ${figures(list)}`);
    const search = await timed(200, (i) => api('GET', `/api/flows/search?q=cam%20${(i * 7919) % FLOWS}%20&limit=100`));
    console.log(`search (q over names, aliases, notes, ids, addresses): ${figures(search)}`);
    const report = await timed(5, () => api('GET', '/api/checker/collisions'));
    const collisions = (await api('GET', '/api/checker/collisions')).body.collisions.length;
    console.log(`collision report over ${FLOWS} flows (${collisions} collisions): ${figures(report)}`);

    const bucket = await api('POST', '/api/address-buckets', { name: 'bench', cidr: '239.200.0.0/16', leg: 'any' });
    const allocate = await timed(500, () => api('POST', `/api/address-buckets/${bucket.body.id}/allocate`, { leg: 'a' }));
    console.log(`allocation (next free + reservation): ${figures(allocate)}`);
    console.log(`controller RSS ${rssMb(controller.pid!)} MB`);
  } finally {
    controller.kill('SIGTERM');
    await new Promise((r) => controller.once('exit', r));
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
