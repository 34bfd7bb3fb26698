export { HealthModule } from './health.module.js';
export { HealthContributors, type HealthContributor } from './application/health-contributors.js';
export { ReadinessState } from './application/readiness-state.js';
