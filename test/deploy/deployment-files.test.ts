import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '#config';

/**
 * No Docker engine runs here, so the shipped deployment files are checked against the product itself:
 * every variable they set exists and parses, and the probes and drain use the real routes and timings.
 */
describe('docker-compose.ha.yml', () => {
  const compose = parse(readFileSync('docker-compose.ha.yml', 'utf8'));
  const controller = compose.services.controller;
  const environment: Record<string, string> = controller.environment;
  const withSecrets = (value: string) =>
    value.replace(/\$\{(\w+)[^}]*\}/g, (_, name: string) => (name === 'JWT_SECRET' ? 'j'.repeat(40) : `${name.toLowerCase()}-value`));

  it('runs three controller replicas behind nginx with a primary and a streaming replica', () => {
    expect(controller.deploy.replicas).toBe(3);
    expect(Object.keys(compose.services).sort()).toEqual(['controller', 'db-primary', 'db-replica', 'nginx']);
    expect(compose.services['db-replica'].depends_on['db-primary'].condition).toBe('service_healthy');
  });

  it('sets only variables the controller knows, with values its configuration accepts', () => {
    for (const name of Object.keys(environment)) expect(CONFIG_VARIABLES).toContain(name);
    const config = loadConfig(Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, withSecrets(String(v))])));
    expect(config.database.mode).toBe('external');
    if (config.database.mode === 'external') {
      expect(config.database.primary.poolMax).toBe(20);
      expect(config.database.replicas.map((r) => r.hosts[0].host)).toEqual(['db-replica']);
    }
  });

  it('probes readiness on /api/health/detail and gives the drain time to finish', () => {
    expect(controller.healthcheck.test.join(' ')).toContain('/api/health/detail');
    const grace = Number(/^(\d+)s$/.exec(controller.stop_grace_period)![1]);
    expect(grace).toBeGreaterThan(Number(environment.SHUTDOWN_DRAIN_SECONDS));
    expect(readFileSync('Dockerfile', 'utf8')).toContain('/api/health/detail');
  });

  it('points nginx at the controllers, trusting its forwarded addresses and retrying only where safe', () => {
    const nginx = readFileSync('deploy/nginx/nginx.conf', 'utf8');
    expect(nginx).toContain('server controller:8080');
    expect(nginx).toContain('X-Forwarded-For');
    expect(nginx).not.toContain('non_idempotent');
    expect(environment.TRUST_PROXY).toBe('true');
  });
});
