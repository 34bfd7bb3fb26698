export { HealthModule } from './health.module.js';
export { HealthContributors, PROBE_QUERY_TIMEOUT_MS, type HealthContributor } from './application/health-contributors.js';
export { ReadinessState } from './application/readiness-state.js';
export { AlertConditions, type ActiveCondition, type ConditionSource } from './application/alert-conditions.js';
