import { Injectable } from '@nestjs/common';

/** A condition that holds now, as one module sees it: an alert fires when one holds long enough. */
export interface ActiveCondition {
  /** The rule, e.g. `registry_down`. */
  alert: string;
  severity: 'critical' | 'warning';
  /** What it is about, when a rule can hold for several things at once (a registry's name, a lease). */
  subject?: string;
  summary: string;
}

/** Answers the conditions that hold now; bounded in time like a probe (a failed read answers nothing, it never throws). */
export type ConditionSource = () => Promise<ActiveCondition[]>;

/**
 * Where modules say what is wrong, for the alert hooks (HA guide §7 "configured alert hooks"):
 * `cluster` sources are read by the one replica that evaluates alerts (they read shared state: the
 * registries, the outbox, the leases); `replica` sources by every replica about itself (its broker link),
 * reported to the evaluator through the database.
 */
@Injectable()
export class AlertConditions {
  private readonly sources = new Map<string, { scope: 'cluster' | 'replica'; source: ConditionSource }>();

  register(name: string, scope: 'cluster' | 'replica', source: ConditionSource): void {
    if (this.sources.has(name)) throw new Error(`alert condition source ${name} is already registered`);
    this.sources.set(name, { scope, source });
  }

  /** Every condition that holds now among the sources of `scope`; a source that fails adds nothing. */
  async holding(scope: 'cluster' | 'replica'): Promise<ActiveCondition[]> {
    const found = await Promise.all([...this.sources.values()].filter((s) => s.scope === scope).map((s) => s.source().catch(() => [])));
    return found.flat();
  }
}
