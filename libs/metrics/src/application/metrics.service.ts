import { Injectable } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';
import { INSTANCE_ID } from '#common';

/** Every series is named under this prefix. */
export const METRIC_PREFIX = 'nmos_control_';

/**
 * This replica's Prometheus registry: every module registers its series here (counters and histograms
 * moved where things happen, gauges read from what the process already holds when scraped, so a
 * scrape never scans a table). Every series carries `instance`: the replica (a Kubernetes pod or a
 * process), so figures of several replicas add up or compare in one query.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  constructor() {
    this.registry.setDefaultLabels({ instance: INSTANCE_ID });
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
  }

  counter<L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    return (this.existing(config.name) as Counter<L>) ?? new Counter({ ...config, name: config.name, registers: [this.registry] });
  }

  gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    return (this.existing(config.name) as Gauge<L>) ?? new Gauge({ ...config, registers: [this.registry] });
  }

  histogram<L extends string>(config: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
    return (this.existing(config.name) as Histogram<L>) ?? new Histogram({ ...config, registers: [this.registry] });
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }

  private existing(name: string) {
    return this.registry.getSingleMetric(name);
  }
}
