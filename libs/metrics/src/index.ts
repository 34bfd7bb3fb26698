export { MetricsModule } from './metrics.module.js';
export { MetricsService, METRIC_PREFIX } from './application/metrics.service.js';
export type { Counter, Gauge, Histogram } from 'prom-client';
