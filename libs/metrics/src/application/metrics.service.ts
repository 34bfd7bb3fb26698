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
 * This replica's Prometheus registry: every module registers its series here, once, from the provider
 * that owns them (a second registration of a name throws). Counters and histograms move where things
 * happen; gauges read at scrape time what the process already holds, or a read their module shares and
 * keeps (see each module's metrics). Every series carries `instance`: the replica (a Kubernetes pod or
 * a process), so figures of several replicas add up or compare in one query.
 */
@Injectable()
export class MetricsService {
  private readonly registry = new Registry();

  constructor() {
    this.registry.setDefaultLabels({ instance: INSTANCE_ID });
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
  }

  counter<L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    return new Counter({ ...config, registers: [this.registry] });
  }

  gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    return new Gauge({ ...config, registers: [this.registry] });
  }

  histogram<L extends string>(config: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
    return new Histogram({ ...config, registers: [this.registry] });
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
