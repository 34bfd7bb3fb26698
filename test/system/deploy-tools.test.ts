import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { HA_COMPOSE_SERVICES } from '../support/deployment-files.js';

/**
 * The deployment files that no test runs, checked by their own tools (Debian's packages; `.ci/run`
 * installs them). nginx.conf, haproxy.cfg, patroni.yml and the Mosquitto pair are also run whole by
 * the HA suite (test/ha), which checks each with its tool first.
 */
const run = (command: string, args: string[], env: Record<string, string> = {}) =>
  execFileSync(command, args, { env: { PATH: process.env.PATH, ...env }, stdio: 'pipe' }).toString();

describe('deployment files, checked by their tools', () => {
  it('docker-compose.ha.yml is a valid compose file, and refuses to start without its secrets', () => {
    const secrets = { JWT_SECRET: 'j'.repeat(40), POSTGRES_PASSWORD: 'pw', REPLICATION_PASSWORD: 'pw', ADMIN_PASSWORD: 'pw' };
    expect(() => run('docker-compose', ['-f', 'docker-compose.ha.yml', 'config', '-q'], secrets)).not.toThrow();
    expect(run('docker-compose', ['-f', 'docker-compose.ha.yml', 'config', '--services'], secrets).split('\n').filter(Boolean).sort()).toEqual(
      HA_COMPOSE_SERVICES,
    );
    expect(() => run('docker-compose', ['-f', 'docker-compose.ha.yml', 'config', '-q'])).toThrow(/set POSTGRES_PASSWORD|set JWT_SECRET/);
  });

  it('docker-compose.vernemq-cluster.yml is a valid compose file of three clustered nodes', () => {
    const services = run('docker-compose', ['-f', 'docker-compose.vernemq-cluster.yml', 'config', '--services'], { VERNEMQ_PASSWORD: 'pw' });
    expect(services.split('\n').filter(Boolean).sort()).toEqual(['vernemq-1', 'vernemq-2', 'vernemq-3']);
  });

  it('deploy/haproxy/haproxy.cfg passes HAProxy’s own check as shipped', () => {
    expect(() => run('haproxy', ['-c', '-q', '-f', 'deploy/haproxy/haproxy.cfg'])).not.toThrow();
  });
});
