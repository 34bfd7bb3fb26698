/**
 * `npm run bench:simulator`: the simulator at facility scale (200 nodes x 20 senders + 20 receivers,
 * about 16,000 resources per registry), run as its own process and measured from outside: start time,
 * memory, Query API list throughput with limit 100, and the time to sync everything over a websocket.
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { rssMb } from './bench-kit.js';

const MAIN = resolve('dist/apps/simulator/src/main.js');

async function syncAll(queryUrl: string, resourcePath: string): Promise<{ ms: number; resources: number; messages: number }> {
  const started = performance.now();
  const created = await fetch(`${queryUrl}/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ max_update_rate_ms: 100, resource_path: resourcePath, params: {}, persist: false }),
  });
  const { ws_href } = (await created.json()) as { ws_href: string };
  return new Promise((done) => {
    const socket = new WebSocket(ws_href);
    let resources = 0;
    let messages = 0;
    let quiet: NodeJS.Timeout | undefined;
    socket.on('message', (data) => {
      messages++;
      resources += JSON.parse(data.toString()).grain.data.length;
      clearTimeout(quiet);
      // The sync grains arrive back to back; 200 ms of silence marks the end of the snapshot.
      quiet = setTimeout(() => {
        socket.terminate();
        done({ ms: Math.round(performance.now() - started - 200), resources, messages });
      }, 200);
    });
  });
}

async function main(): Promise<void> {
  const manifestFile = join(mkdtempSync(join(tmpdir(), 'nmc-simbench-')), 'manifest.json');
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [MAIN, '--registries', '1', '--nodes', '200', '--senders', '20', '--receivers', '20', '--paging-limit', '100', '--manifest', manifestFile],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((ready) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('admin API')) ready();
    });
  });
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  const query = manifest.registries[0].query_url as string;
  console.log(`start, 200 nodes x (20 senders + 20 receivers):  ${Math.round(performance.now() - started)} ms`);
  console.log(`RSS after start:                                 ${rssMb(child.pid!)} MB`);
  const list = await autocannon({ url: `${query}/senders?paging.limit=100`, connections: 10, duration: 10 });
  console.log(
    `GET /senders?paging.limit=100:  ${Math.round(list.requests.average)} req/s   p50 ${list.latency.p50} ms   p99 ${list.latency.p99} ms   errors ${list.errors + list.non2xx}`,
  );
  const filtered = await autocannon({ url: `${query}/receivers?paging.limit=100&format=urn:x-nmos:format:audio`, connections: 10, duration: 5 });
  console.log(
    `GET /receivers, basic query:    ${Math.round(filtered.requests.average)} req/s   p50 ${filtered.latency.p50} ms   p99 ${filtered.latency.p99} ms`,
  );
  // What a controller does on connecting: one subscription per resource type, all at once.
  const syncStarted = performance.now();
  const types = ['/nodes', '/devices', '/sources', '/flows', '/senders', '/receivers'];
  const synced = await Promise.all(types.map((type) => syncAll(query, type)));
  const total = synced.reduce((n, s) => n + s.resources, 0);
  console.log(
    `websocket sync, 6 subscriptions at once:  ${total} resources in ${synced.reduce((n, s) => n + s.messages, 0)} messages, ${Math.round(performance.now() - syncStarted - 200)} ms`,
  );
  for (const [i, type] of types.entries()) console.log(`  ${type.padEnd(11)} ${String(synced[i].resources).padStart(6)} resources, ${synced[i].ms} ms`);
  console.log(`RSS after load:                                  ${rssMb(child.pid!)} MB`);
  child.kill('SIGTERM');
}

void main();
