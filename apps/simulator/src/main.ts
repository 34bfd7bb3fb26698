import { writeFileSync } from 'node:fs';
import { parseCli, USAGE } from './cli-options.js';
import { Facility } from './facility.js';

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseCli(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(64); // EX_USAGE
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return;
  }
  const started = performance.now();
  let facility: Facility;
  try {
    facility = await Facility.start(parsed.options);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
  const manifest = facility.manifest();
  const resources = facility.registries.reduce((n, r) => n + r.store.count(), 0);
  const out = [`NMOS simulator (seed "${manifest.seed}") ready in ${Math.round(performance.now() - started)} ms: ${resources} registered resources`];
  for (const registry of manifest.registries)
    out.push(`  registry ${registry.index}: Query API ${registry.query_url}${registry.websockets ? '' : ' (no websockets)'}`);
  for (const node of manifest.nodes.slice(0, 20)) out.push(`  ${node.label}: Node API ${node.node_api_url}  Connection API ${node.connection_api_url}`);
  if (manifest.nodes.length > 20) out.push(`  ... and ${manifest.nodes.length - 20} more nodes (--manifest FILE lists them all)`);
  out.push(`  admin API: ${manifest.admin_url}`);
  // The manifest first: a script that waits for the printed URLs may read it at once.
  if (parsed.manifest) writeFileSync(parsed.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
  process.stdout.write(`${out.join('\n')}\n`);
  const stop = async () => {
    await facility.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

void main();
