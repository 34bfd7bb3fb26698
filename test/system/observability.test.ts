import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { PostgresServer } from '#database';
import { startController, type RunningController } from '../support/controller.js';
import { metricNames } from '../support/metrics.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';

const RULES = 'deploy/prometheus/nmos-control.rules.yml';
const DASHBOARD = 'deploy/grafana/nmos-control.json';

/** The metric names a PromQL text uses (a histogram's _bucket/_count/_sum are its own name). */
function namesIn(promql: string): string[] {
  return [...promql.matchAll(/\bnmos_control_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, ''));
}

/** In the second suite: it needs Debian's promtool (package prometheus). */
describe('the monitoring files', () => {
  let dir: string;
  let pg: PostgresServer;
  let controller: RunningController;
  let exported: Set<string>;
  let scrape: string;

  beforeAll(async () => {
    dir = await scratchDir('observability');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    controller = await startController({ DATABASE_URL: urlOf(pg.port, 'app') });
    scrape = (await controller.api.get('/metrics')).body as string;
    exported = metricNames(scrape);
  });

  afterAll(async () => {
    await controller?.close();
    await pg?.stop();
    await removeDir(dir);
  });

  it('has alert rules promtool accepts, naming only metrics the product exports', () => {
    expect(execFileSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' })).toMatch(/SUCCESS: 7 rules found/);
    const named = namesIn(readFileSync(RULES, 'utf8'));
    expect(named.length).toBeGreaterThan(7);
    expect(named.filter((n) => !exported.has(n))).toEqual([]);
  });

  it('has a dashboard whose every query names metrics the product exports', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
    const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    expect(queries.length).toBeGreaterThan(15);
    const unknown = queries.flatMap((q) =>
      namesIn(q.expr)
        .filter((n) => !exported.has(n))
        .map((n) => `${q.panel}: ${n}`),
    );
    expect(unknown).toEqual([]);
    for (const q of queries) expect(namesIn(q.expr).length).toBeGreaterThan(0);
  });

  it("exposes what promtool's metrics linter accepts", () => {
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: scrape, encoding: 'utf8' });
    // Problems are listed one per line, naming the metric; none may be ours. prom-client's default
    // process and Node.js series (prefixed like ours) name some gauges `_total`: not ours to rename.
    const ours = `${lint.stdout}${lint.stderr}`.split('\n').filter((line) => line.includes('nmos_control_') && !/nmos_control_(nodejs|process)_/.test(line));
    expect(ours).toEqual([]);
  });
});
