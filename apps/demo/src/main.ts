/**
 * `npm run demo`: the controller on its embedded defaults beside a simulated facility, so an engineer
 * can try the controller against a virtual plant before connecting it to a real one.
 *
 * The registry module (which will read the facility's Query APIs) is not built yet: until it is, the
 * demo starts both and prints the registry configuration the controller will take.
 */
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Facility } from '../../simulator/src/facility.js';

const CONTROLLER = resolve(dirname(fileURLToPath(import.meta.url)), '../../controller/src/main.js');

async function main(): Promise<void> {
  const facility = await Facility.start({ registries: 2, nodes: 8, senders: 4, receivers: 4, redundantShare: 0.25, multiRegistryShare: 0.5 });
  const manifest = facility.manifest();
  const controller = spawn(process.execPath, [CONTROLLER], { stdio: 'inherit', env: process.env });
  const registries = manifest.registries.map((r) => ({ name: `Simulated registry ${r.index + 1}`, query_url: r.query_url, enabled: true }));
  process.stdout.write(
    [
      '',
      `Simulated facility: ${manifest.nodes.length} nodes, ${facility.registries.reduce((n, r) => n + r.store.count(), 0)} registered resources`,
      ...manifest.registries.map((r) => `  registry ${r.index + 1}: ${r.query_url}`),
      `  faults and changes: ${manifest.admin_url}`,
      '',
      'Registry configuration for the controller (PUT /api/registry/config once the registry module lands):',
      `  ${JSON.stringify(registries)}`,
      '',
    ].join('\n'),
  );
  const stop = async (signal: NodeJS.Signals) => {
    controller.kill(signal);
    await facility.stop();
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  controller.once('exit', (code) => {
    void facility.stop().then(() => process.exit(code ?? 0));
  });
}

void main();
