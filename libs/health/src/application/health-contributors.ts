import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';

/**
 * One component's part of /api/health/detail, built with terminus' HealthIndicatorService:
 * `up`, `degraded` (the API still serves what it knows: answers 200) or `down` (this replica is not
 * ready: 503). Keep it cheap and bounded in time; probes call it every few seconds.
 */
export type HealthContributor = () => Promise<HealthIndicatorResult>;

/** Every query a contributor makes is bounded by this: a probe must answer whatever the database does. */
export const PROBE_QUERY_TIMEOUT_MS = 2_000;

/** Where modules add their part of readiness (the database, the broker link, the registries, …). */
@Injectable()
export class HealthContributors {
  private readonly contributors = new Map<string, HealthContributor>();

  register(name: string, contributor: HealthContributor): void {
    if (this.contributors.has(name)) throw new Error(`health contributor ${name} is already registered`);
    this.contributors.set(name, contributor);
  }

  all(): HealthContributor[] {
    return [...this.contributors.values()];
  }
}
