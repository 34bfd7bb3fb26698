import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Facility } from '../../apps/simulator/src/index.js';
import { eventually } from '../support/eventually.js';
import { http } from '../support/nmos-client.js';

const MAIN = resolve('dist/apps/simulator/src/main.js');

function run(args: string[]): { output: () => string; exited: Promise<number | null>; kill: () => void } {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return { output: () => output, exited: new Promise((done) => child.once('exit', done)), kill: () => child.kill('SIGTERM') };
}

describe('the simulator command line', () => {
  it('lists every flag with --help', async () => {
    const help = run(['--help']);
    expect(await help.exited).toBe(0);
    for (const flag of [
      '--registries',
      '--nodes',
      '--senders',
      '--receivers',
      '--base-port',
      '--redundant-share',
      '--multi-registry-share',
      '--manifest',
      '--no-websockets',
      '--seed',
    ]) {
      expect(help.output()).toContain(flag);
    }
  });

  it('refuses bad flags with a message and exit code 64', async () => {
    const bad = run(['--nodes', 'many', '--registries', '2']);
    expect(await bad.exited).toBe(64);
    expect(bad.output()).toContain('--nodes: "many" is not a number');
    const unknown = run(['--colour', 'blue']);
    expect(await unknown.exited).toBe(64);
    const bulk = run(['--refuse-bulk', '418']);
    expect(await bulk.exited).toBe(64);
    expect(bulk.output()).toContain('--refuse-bulk');
    const range = run(['--registries', '0']);
    expect(await range.exited).toBe(1);
    expect(range.output()).toContain('registries must be a whole number from 1');
  });

  it('prints every URL it serves and writes them to --manifest', async () => {
    const manifestFile = join(mkdtempSync(join(tmpdir(), 'nmc-sim-')), 'manifest.json');
    const sim = run(['--registries', '2', '--nodes', '3', '--senders', '2', '--receivers', '2', '--refuse-bulk', '405', '--manifest', manifestFile]);
    try {
      await eventually(() => expect(sim.output()).toContain('admin API'), 15_000);
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
      expect(manifest.registries).toHaveLength(2);
      expect(manifest.nodes).toHaveLength(3);
      for (const registry of manifest.registries) {
        expect(sim.output()).toContain(registry.query_url);
        expect((await http('GET', `${registry.query_url}/nodes`)).status).toBe(200);
      }
      for (const node of manifest.nodes) {
        expect((await http('GET', `${node.connection_api_url}/single/receivers/`)).body).toHaveLength(2);
        expect((await http('POST', `${node.connection_api_url}/bulk/receivers`, [])).status).toBe(405);
      }
      expect((await http('GET', manifest.admin_url)).body.nodes).toHaveLength(3);
    } finally {
      sim.kill();
      await sim.exited;
    }
  });
});

describe('deterministic facilities', () => {
  it('builds the same ids from the same seed, and others from another', async () => {
    const ids = async (seed: string) => {
      const facility = await Facility.start({ seed, registries: 1, nodes: 2, senders: 2, receivers: 2 });
      try {
        return facility.nodes.flatMap((n) => n.resources().map(([type, r]) => `${type}/${r.id}`));
      } finally {
        await facility.stop();
      }
    };
    const first = await ids('studio-a');
    expect(await ids('studio-a')).toEqual(first);
    const other = await ids('studio-b');
    expect(other.filter((id) => first.includes(id))).toEqual([]);
  });
});
