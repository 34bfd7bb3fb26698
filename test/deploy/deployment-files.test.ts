import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { parse, parseAllDocuments } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '#config';
import { HA_COMPOSE_SERVICES } from '../support/deployment-files.js';

/**
 * The shipped deployment files, checked against the product itself: every variable they set exists and
 * parses, probes and drains use the real routes and timings, and the Kubernetes manifests are valid
 * objects of the Kubernetes API (its OpenAPI schemas, through kubernetes-models). The files that real
 * tools can check (docker-compose, HAProxy, Patroni, nginx, Mosquitto) are checked or run by them in the
 * second suite (test/system/deploy-tools.test.ts, test/ha/).
 */
const secretFor = (name: string) => (name === 'JWT_SECRET' ? 'j'.repeat(40) : `${name.toLowerCase()}-value`);
const withSecrets = (value: string) => value.replace(/\$\{(\w+)[^}]*\}/g, (_, name: string) => secretFor(name));

describe('docker-compose.ha.yml', () => {
  const compose = parse(readFileSync('docker-compose.ha.yml', 'utf8'), { merge: true });
  const controllers = Object.entries(compose.services as Record<string, any>).filter(([name]) => name.startsWith('controller-'));
  const environment: Record<string, string> = controllers[0][1].environment;

  it('runs three named controller replicas behind nginx, a primary with a streaming replica, and a Mosquitto pair', () => {
    expect(controllers.map(([name]) => name)).toEqual(['controller-1', 'controller-2', 'controller-3']);
    expect(Object.keys(compose.services).sort()).toEqual(HA_COMPOSE_SERVICES);
    expect(compose.services['db-replica'].depends_on['db-primary'].condition).toBe('service_healthy');
    expect(compose.services['mqtt-primary'].volumes[0]).toContain('deploy/mosquitto/mosquitto-primary.conf');
    expect(compose.services['mqtt-secondary'].volumes[0]).toContain('deploy/mosquitto/mosquitto-secondary.conf');
  });

  it('sets only variables the controller knows, with values its configuration accepts: both brokers, reads on the replica', () => {
    for (const [, controller] of controllers) expect(controller.environment).toEqual(environment);
    for (const name of Object.keys(environment)) expect(CONFIG_VARIABLES).toContain(name);
    const config = loadConfig(Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, withSecrets(String(v))])));
    expect(config.events.brokerUrls).toEqual(['mqtt://mqtt-primary:1883', 'mqtt://mqtt-secondary:1883']);
    expect(config.database.mode).toBe('external');
    if (config.database.mode === 'external') {
      expect(config.database.primary.poolMax).toBe(20);
      expect(config.database.replicas.map((r) => r.hosts[0].host)).toEqual(['db-replica']);
    }
  });

  it('probes readiness on /api/health/detail and gives the drain and the requests in flight time to finish', () => {
    const controller = controllers[0][1];
    expect(controller.healthcheck.test.join(' ')).toContain('/api/health/detail');
    const grace = Number(/^(\d+)s$/.exec(controller.stop_grace_period)![1]);
    expect(grace).toBeGreaterThan(Number(environment.SHUTDOWN_DRAIN_SECONDS) + 15);
    expect(readFileSync('Dockerfile', 'utf8')).toContain('/api/health/detail');
    expect(environment.TRUST_PROXY).toBe('true');
  });
});

describe('deploy/nginx/nginx.conf', () => {
  const nginx = readFileSync('deploy/nginx/nginx.conf', 'utf8');

  it('is the guide’s upstream over TLS, naming the compose replicas, and retries only what nginx may retry', () => {
    for (const name of ['controller-1', 'controller-2', 'controller-3']) expect(nginx).toContain(`server ${name}:8080 max_fails=3`);
    expect(nginx).toContain('least_conn;');
    expect(nginx).toContain('listen 443 ssl http2;');
    expect(nginx).toMatch(/proxy_next_upstream error timeout invalid_header http_500 http_502 http_503/);
    expect(nginx).not.toContain('non_idempotent');
    expect(nginx).toContain('X-Forwarded-For');
  });

  it('passes the event stream on unbuffered and keeps it open', () => {
    expect(nginx).toMatch(/location \/api\/events\/stream \{[^}]*proxy_buffering off;[^}]*proxy_read_timeout 1h;/);
  });

  it('sends MQTT over websockets to both brokers with client affinity', () => {
    expect(nginx).toMatch(/upstream mqtt_websockets \{\s*ip_hash;\s*server mqtt-primary:9001;\s*server mqtt-secondary:9001;/);
    expect(nginx).toMatch(/location \/mqtt \{[^}]*proxy_set_header Upgrade \$http_upgrade;/);
  });
});

describe('deploy/k8s (Kustomize)', () => {
  const kustomization = parse(readFileSync('deploy/k8s/kustomization.yaml', 'utf8'));
  const objects = (kustomization.resources as string[]).flatMap((file) => parseAllDocuments(readFileSync(`deploy/k8s/${file}`, 'utf8')).map((d) => d.toJS()));
  const find = (kind: string) => objects.find((o) => o.kind === kind);

  it('lists every manifest in the folder and holds the objects a site needs', () => {
    const manifests = readdirSync('deploy/k8s').filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(manifests.sort());
    const kinds = objects.map((o) => o.kind).sort();
    expect(kinds).toEqual(
      [
        'ConfigMap',
        'ConfigMap',
        'CronJob',
        'Deployment',
        'HorizontalPodAutoscaler',
        'Namespace',
        'NetworkPolicy',
        'NetworkPolicy',
        'NetworkPolicy',
        'PersistentVolumeClaim',
        'PodDisruptionBudget',
        'Secret',
        'Secret',
        'Service',
      ].sort(),
    );
  });

  it('is valid against the Kubernetes API schemas', async () => {
    for (const object of objects) {
      const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : [undefined, object.apiVersion];
      const module = await import(`kubernetes-models/${group ? `${group}/` : ''}${version}/${object.kind}`);
      const Model = module[object.kind] ?? module.default;
      expect(() => new Model(object).validate()).not.toThrow();
    }
  });

  it('a broken manifest is refused by the same check', async () => {
    const { Deployment } = await import('kubernetes-models/apps/v1/Deployment');
    const broken = structuredClone(find('Deployment'));
    broken.spec.replicas = 'three';
    expect(() => new Deployment(broken).validate()).toThrow();
  });

  it('runs three replicas with the README’s probes, a grace period longer than the drain, spread over nodes', () => {
    const deployment = find('Deployment');
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    expect(deployment.spec.replicas).toBe(3);
    expect(container.livenessProbe.httpGet.path).toBe('/api/health');
    expect(container.readinessProbe.httpGet.path).toBe('/api/health/detail');
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(Number(find('ConfigMap').data.SHUTDOWN_DRAIN_SECONDS) + 15);
    expect(pod.affinity.podAntiAffinity).toBeDefined();
    expect(container.resources.requests).toBeDefined();
    expect(find('PodDisruptionBudget').spec.minAvailable).toBe(2);
    expect(find('HorizontalPodAutoscaler').spec.minReplicas).toBe(3);
  });

  it('configures the controller only with variables it knows, which its configuration accepts once the secrets are filled in', () => {
    const variables = { ...find('ConfigMap').data, ...find('Secret').stringData };
    for (const name of Object.keys(variables)) expect(CONFIG_VARIABLES).toContain(name);
    const filled = Object.fromEntries(Object.entries(variables as Record<string, string>).map(([k, v]) => [k, v.replace('CHANGE-ME', secretFor(k))]));
    expect(() => loadConfig(filled)).not.toThrow();
    // The placeholders themselves cannot run: the secret is too short.
    expect(() => loadConfig(variables)).toThrow(/JWT_SECRET/);
  });

  it('lets only the ingress controller reach the replicas, and only the replicas (and the backup job) reach the database and brokers', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    const toReplicas = policies.find((p) => p.spec.podSelector.matchLabels.app === 'nmos-control');
    expect(toReplicas.spec.ingress).toHaveLength(1);
    expect(toReplicas.spec.ingress[0].ports).toEqual([{ port: 8080, protocol: 'TCP' }]);
    for (const app of ['postgres', 'mqtt']) {
      const policy = policies.find((p) => p.spec.podSelector.matchLabels.app === app);
      const sources = policy.spec.ingress.flatMap((rule: any) => rule.from.map((f: any) => f.podSelector?.matchLabels));
      expect(sources).toContainEqual({ app: 'nmos-control' });
      const allowed = (s: any) =>
        s && (s.app === 'nmos-control' || s.app === app || s['nmos-control/mqtt-client'] === 'true' || (app === 'postgres' && s.app === 'nmos-control-backup'));
      expect(sources.every(allowed)).toBe(true);
    }
  });
});

describe('deploy/traefik', () => {
  const staticConfig = parse(readFileSync('deploy/traefik/traefik.yml', 'utf8'));
  const dynamic = parse(readFileSync('deploy/traefik/dynamic.yml', 'utf8'));

  it('is the guide’s option 2, routing to the three replicas with an active readiness check and no retry of sent requests', () => {
    expect(Object.keys(staticConfig.entryPoints)).toEqual(['web', 'websecure']);
    expect(staticConfig.certificatesResolvers.letsencrypt.acme.httpChallenge.entryPoint).toBe('web');
    const service = dynamic.http.services['nmos-control'].loadBalancer;
    expect(service.servers.map((s: { url: string }) => s.url)).toEqual(['http://controller-1:8080', 'http://controller-2:8080', 'http://controller-3:8080']);
    expect(service.healthCheck.path).toBe('/api/health/detail');
    expect(dynamic.http.middlewares).toBeUndefined();
    expect(dynamic.http.services['mqtt-websockets'].loadBalancer.sticky).toBeDefined();
  });
});

describe('backups (deploy/backup, HA guide §8)', () => {
  const archiving = Object.fromEntries(
    readFileSync('deploy/backup/postgresql-archiving.conf', 'utf8')
      .split('\n')
      .filter((line) => /^\w/.test(line))
      .map((line) => line.split(/\s*=\s*/, 2) as [string, string])
      .map(([k, v]) => [k, v.replace(/^'(.*)'$/, '$1')]),
  );
  const script = readFileSync('deploy/backup/nmos-backup.sh', 'utf8');

  it('archives WAL the same way in compose and Patroni as postgresql-archiving.conf says, never overwriting a segment', () => {
    expect(archiving).toMatchObject({ archive_mode: 'on', archive_timeout: '60' });
    expect(archiving.archive_command).toMatch(/^test ! -f (\S+)\/%f && cp %p \1\/%f$/);
    const compose = parse(readFileSync('docker-compose.ha.yml', 'utf8'), { merge: true });
    const settings = (compose.services['db-primary'].command as string[]).filter((_, i, all) => all[i - 1] === '-c');
    for (const name of ['archive_mode', 'archive_command', 'archive_timeout']) expect(settings).toContain(`${name}=${archiving[name]}`);
    expect(compose.services['db-primary'].volumes).toContain('backup:/backup');
    const patroni = parse(readFileSync('deploy/patroni/patroni.yml', 'utf8')).bootstrap.dcs.postgresql.parameters;
    expect({ archive_mode: patroni.archive_mode, archive_command: patroni.archive_command, archive_timeout: String(patroni.archive_timeout) }).toEqual({
      archive_mode: 'on',
      archive_command: archiving.archive_command,
      archive_timeout: '60',
    });
  });

  it('runs the shipped script daily in compose and as a Kubernetes CronJob, whose ConfigMap holds it verbatim', () => {
    const compose = parse(readFileSync('docker-compose.ha.yml', 'utf8'), { merge: true });
    const job = compose.services['db-backup'];
    expect(job.volumes).toEqual(['backup:/backup', './deploy/backup/nmos-backup.sh:/nmos-backup.sh:ro']);
    expect(job.entrypoint.join(' ')).toContain('sh /nmos-backup.sh all');
    expect(job.environment.NMOS_CONTROL_URL).toBe('http://controller-1:8080');
    const objects = parseAllDocuments(readFileSync('deploy/k8s/backup.yaml', 'utf8')).map((d) => d.toJS());
    const configMap = objects.find((o) => o.kind === 'ConfigMap');
    expect(configMap.data['nmos-backup.sh']).toBe(script);
    const cronJob = objects.find((o) => o.kind === 'CronJob');
    const pod = cronJob.spec.jobTemplate.spec.template;
    expect(pod.spec.containers[0].command).toEqual(['sh', '/scripts/nmos-backup.sh', 'all']);
    expect(cronJob.spec.concurrencyPolicy).toBe('Forbid');
    // The network policy that keeps PostgreSQL to the replicas lets the backup job in too.
    const policies = parseAllDocuments(readFileSync('deploy/k8s/networkpolicy.yaml', 'utf8')).map((d) => d.toJS());
    const toPostgres = policies.find((p) => p.spec.podSelector.matchLabels.app === 'postgres');
    expect(toPostgres.spec.ingress[0].from).toContainEqual({ podSelector: { matchLabels: { app: pod.metadata.labels.app } } });
  });
});
