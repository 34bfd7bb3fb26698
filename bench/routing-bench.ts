/**
 * `npm run bench:routing`: the controller (embedded defaults) routing a simulated facility of 10 devices
 * (both as separate processes), measured from outside: a single take end to end beside the device's own
 * PATCH time, salvos of 100 receivers across 10 devices, and 1,000 takes from 20 concurrent clients.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authHeaders, jsonApi, percentile, rssMb, startEmbeddedController, startProcess } from './bench-kit.js';

const PORT = 20_080 + Math.floor(Math.random() * 500);
const ADMIN = { username: 'admin', password: 'bench-password-1' };
type Resource = Record<string, any>;

const figures = (values: number[]) =>
  `p50 ${percentile(values, 50).toFixed(1)} ms   p95 ${percentile(values, 95).toFixed(1)} ms   p99 ${percentile(values, 99).toFixed(1)} ms`;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'nmc-routebench-'));
  chmodSync(work, 0o755);
  const manifestFile = join(work, 'manifest.json');
  const simulator = await startProcess(
    'dist/apps/simulator/src/main.js',
    ['--registries', '1', '--nodes', '10', '--senders', '10', '--receivers', '20', '--redundant-share', '0.25', '--manifest', manifestFile],
    {},
    'admin API',
  );
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  const controller = await startEmbeddedController(join(work, 'data'), PORT, ADMIN);
  const url = `http://127.0.0.1:${PORT}`;
  try {
    const headers = await authHeaders(url, ADMIN);
    const api = jsonApi(url, headers);
    await api('PUT', '/api/registry/config', [{ name: 'R0', query_url: manifest.registries[0].query_url, enabled: true }]);
    const list = async (type: string) => ((await api('GET', `/api/nmos/${type}?limit=1000`)).body as Array<{ resource: Resource }>).map((r) => r.resource);
    let receivers: Resource[] = [];
    while (receivers.length < 200) {
      await new Promise((r) => setTimeout(r, 200));
      receivers = await list('receivers');
    }
    const flows = new Map((await list('flows')).map((f) => [f.id, f]));
    const senders = await list('senders');
    const videoSenders = senders.filter((s) => flows.get(s.flow_id)?.format === 'urn:x-nmos:format:video');
    const videoReceivers = receivers.filter((r) => r.format === 'urn:x-nmos:format:video');
    const byDevice = new Map<string, Resource[]>();
    for (const r of videoReceivers) byDevice.set(r.device_id, [...(byDevice.get(r.device_id) ?? []), r]);
    console.log(`facility: 10 devices, ${senders.length} senders, ${receivers.length} receivers (${videoReceivers.length} video)`);

    // The device's own PATCH time: the same immediate take, sent straight to the simulator.
    const sdp = await (await fetch(videoSenders[0].manifest_href)).text();
    const target = videoReceivers.find((r) => r.interface_bindings.length === 1)!;
    const device = (await api('GET', `/api/nmos/devices/${target.device_id}`)).body.resource;
    const connectionApi = device.controls[0].href.replace(/\/$/, '');
    const direct: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      await fetch(`${connectionApi}/single/receivers/${target.id}/staged`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          sender_id: videoSenders[i % 2].id,
          master_enable: true,
          activation: { mode: 'activate_immediate' },
          transport_file: { data: sdp, type: 'application/sdp' },
        }),
      }).then((r) => r.text());
      direct.push(performance.now() - started);
    }
    console.log(`device PATCH /staged alone (simulator, 200 sequential):   ${figures(direct)}`);

    const single: number[] = [];
    const deviceMs: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      const answer = await api('POST', '/api/connections', { receiver_id: target.id, sender_id: videoSenders[i % 2].id });
      if (answer.status !== 200) throw new Error(`take failed: ${JSON.stringify(answer.body)}`);
      single.push(performance.now() - started);
      deviceMs.push(answer.body.device_ms);
    }
    console.log(`single take end to end (200 sequential):                 ${figures(single)}`);
    console.log(`  of which waiting for the device (PATCH + /active):      p50 ${percentile(deviceMs, 50)} ms`);

    // Salvos: 10 receivers on each of 10 devices.
    const salvoReceivers = [...byDevice.values()].flatMap((list) => list.slice(0, 10));
    const salvo: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const answer = await api('POST', '/api/salvos', { connections: salvoReceivers.map((r) => ({ receiver_id: r.id, sender_id: videoSenders[i % 2].id })) });
      if (answer.body.outcome !== 'succeeded') throw new Error(`salvo failed: ${JSON.stringify(answer.body).slice(0, 500)}`);
      salvo.push(performance.now() - started);
    }
    console.log(`salvo of ${salvoReceivers.length} receivers on ${byDevice.size} devices (20 salvos):     ${figures(salvo)}`);

    // 1,000 takes from 20 concurrent clients, spread over the video receivers.
    const auditBefore = await auditCount(api);
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < 1000) {
          const n = next++;
          const t = performance.now();
          const answer = await api('POST', '/api/connections', {
            receiver_id: videoReceivers[n % videoReceivers.length].id,
            sender_id: videoSenders[n % videoSenders.length].id,
          });
          latencies.push(performance.now() - t);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(`1,000 takes, 20 clients:                                 ${Math.round(1000 / seconds)} takes/s   ${figures(latencies)}`);
    console.log(`  answers: ${JSON.stringify(Object.fromEntries(statuses))}   audit rows added: ${(await auditCount(api)) - auditBefore}`);
    console.log(`controller RSS after load:                               ${rssMb(controller.pid!)} MB`);
  } finally {
    controller.kill('SIGTERM');
    simulator.kill('SIGTERM');
    await new Promise((r) => controller.once('exit', r));
    rmSync(work, { recursive: true, force: true });
  }
}

/** Audit rows for takes, counted through the API's paging. */
async function auditCount(api: (method: string, path: string) => Promise<{ body: any }>): Promise<number> {
  let count = 0;
  let before = '';
  for (;;) {
    const page = (await api('GET', `/api/audit?action=connection.take&limit=1000${before}`)).body as { items: unknown[]; next_before?: string };
    count += page.items.length;
    if (!page.next_before) return count;
    before = `&before=${page.next_before}`;
  }
}

void main();
