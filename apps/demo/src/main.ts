/**
 * `npm run demo`: the controller on its embedded defaults, watching a simulated facility, so an
 * engineer can try it against a virtual plant before connecting it to a real one.
 */
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Facility } from '../../simulator/src/facility.js';

const CONTROLLER = resolve(dirname(fileURLToPath(import.meta.url)), '../../controller/src/main.js');
const DEMO_ADMIN = { username: process.env.ADMIN_USERNAME ?? 'admin', password: process.env.ADMIN_PASSWORD ?? 'demo-admin-password' };

async function main(): Promise<void> {
  const facility = await Facility.start({ registries: 2, nodes: 8, senders: 4, receivers: 4, redundantShare: 0.25, multiRegistryShare: 0.5 });
  const manifest = facility.manifest();
  const port = process.env.PORT ?? '8080';
  let output = '';
  // The demo's own admin, so it can configure the registries (an existing data folder keeps its own admin).
  const controller = spawn(process.execPath, [CONTROLLER], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // Any free port for the embedded MQTT broker unless one is asked for: 1883 is often Mosquitto's already.
    env: { MQTT_EMBEDDED_PORT: '0', ...process.env, ADMIN_USERNAME: DEMO_ADMIN.username, ADMIN_PASSWORD: DEMO_ADMIN.password },
  });
  controller.stdout!.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    output += chunk.toString();
  });
  const stop = async (signal: NodeJS.Signals) => {
    controller.kill(signal);
    await facility.stop();
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  controller.once('exit', (code) => void facility.stop().then(() => process.exit(code ?? 0)));

  while (!output.includes('nmos-control listening on')) await new Promise((r) => setTimeout(r, 100));
  const base = `http://127.0.0.1:${port}`;
  const registries = manifest.registries.map((r) => ({ name: `Simulated registry ${r.index + 1}`, query_url: r.query_url, enabled: true }));
  const login = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(DEMO_ADMIN) });
  const configured =
    login.ok &&
    (
      await fetch(`${base}/api/registry/config`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${((await login.json()) as { token: string }).token}` },
        body: JSON.stringify(registries),
      })
    ).ok;
  process.stdout.write(
    [
      '',
      `Simulated facility: ${manifest.nodes.length} nodes, ${facility.registries.reduce((n, r) => n + r.store.count(), 0)} registered resources`,
      ...manifest.registries.map((r) => `  registry ${r.index + 1}: ${r.query_url}`),
      `  faults and changes: ${manifest.admin_url}`,
      configured
        ? `The controller watches both registries: log in as "${DEMO_ADMIN.username}" / "${DEMO_ADMIN.password}" and try GET ${base}/api/nmos/senders`
        : `Could not configure the registries (this data folder has another admin): PUT this to ${base}/api/registry/config:\n  ${JSON.stringify(registries)}`,
      '',
    ].join('\n'),
  );
}

void main();
