import { Controller, Get, Global, Header, Injectable, Logger, Module } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';

/**
 * The service's Prometheus metrics: one registry per service instance (not prom-client's global
 * one, so that tests running several services in one process keep them apart), with Node's
 * standard process metrics. Everything the operator sees is listed in docs/operations.md.
 *
 * Counters and histograms are updated where things happen; values that are read from elsewhere
 * (a stream's last sequence, the outbox backlog) are refreshed by `beforeScrape` hooks when
 * Prometheus asks, so they cost nothing between scrapes.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

@Injectable()
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly logger = new Logger(ServiceMetrics.name);
  private readonly refreshers: { name: string; refresh: () => Promise<void> }[] = [];

  constructor() {
    // The event-loop lag histogram samples the loop every 100 ms rather than prom-client's 10: a
    // timer every 10 ms woke each idle service 100 times a second, about 1% of a core apiece.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
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

  /** Runs `refresh` before every scrape. A refresh that fails is logged; the others still count. */
  beforeScrape(name: string, refresh: () => Promise<void>): void {
    this.refreshers.push({ name, refresh });
  }

  /** The exposition text for GET /metrics. */
  async scrape(): Promise<string> {
    const results = await Promise.allSettled(this.refreshers.map((r) => r.refresh()));
    results.forEach((result, i) => {
      if (result.status === 'rejected') this.logger.warn(`Metrics of ${this.refreshers[i]?.name} not refreshed: ${String(result.reason)}`);
    });
    return this.registry.metrics();
  }
}

/** Global, so that any feature module can add its own metrics to the service's registry. */
@Global()
@Module({ providers: [ServiceMetrics], exports: [ServiceMetrics] })
export class MetricsModule {}

// Prometheus text for the scraper, not part of the JSON API that /docs describes (docs/operations.md does).
@ApiExcludeController()
@Controller()
export class MetricsController {
  constructor(private readonly metrics: ServiceMetrics) {}

  /** Prometheus scrape endpoint. */
  @Get('metrics')
  @Header('content-type', Registry.PROMETHEUS_CONTENT_TYPE)
  scrape(): Promise<string> {
    return this.metrics.scrape();
  }
}
