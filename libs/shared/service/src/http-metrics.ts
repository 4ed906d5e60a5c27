import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import type { FastifyInstance } from 'fastify';
import type { Counter, Histogram } from 'prom-client';
import { ServiceMetrics } from './metrics';

/** The route label of a request no route matched (404s, scanners): one series, not one per URL. */
export const UNMATCHED_ROUTE = '(unmatched)';

const EXPRESS_CATCH_ALL = /^\{?\/\*/;

/** From a fast SSO (about a millisecond) to a slow admin import. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Labels = 'method' | 'route' | 'status';

/**
 * Counts every HTTP answer and its duration by method, route pattern (`/v1/users/:id`, never
 * the URL itself, so ids do not become series) and status. It hooks the HTTP framework itself,
 * not a Nest interceptor, so that answers Nest never routes (404, 413, a guard's 401) count too.
 * Per request: one map lookup and two increments on label sets resolved once.
 */
@Injectable()
export class HttpMetrics {
  private readonly requests: Counter<Labels>;
  private readonly duration: Histogram<Labels>;
  private readonly series = new Map<string, { requests: Counter.Internal; duration: Histogram.Internal<Labels> }>();

  constructor(metrics: ServiceMetrics, host: HttpAdapterHost) {
    this.requests = metrics.counter({
      name: 'jit_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
    });
    this.duration = metrics.histogram({
      name: 'jit_http_request_duration_seconds',
      help: 'Time from request received to response sent, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: DURATION_BUCKETS,
    });
    // Hooked while the app is being created: before Nest registers its routes (Express runs
    // middleware in order) and before Fastify starts (it takes no hooks after).
    const adapter = host.httpAdapter;
    if (adapter.getType() === 'fastify') this.hookFastify(adapter.getInstance<FastifyInstance>());
    else if (adapter.getType() === 'express') this.hookExpress(adapter.getInstance<{ use(fn: unknown): void }>());
  }

  record(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let series = this.series.get(key);
    if (!series) {
      series = {
        requests: this.requests.labels(method, route, String(status)),
        duration: this.duration.labels(method, route, String(status)),
      };
      this.series.set(key, series);
    }
    series.requests.inc();
    series.duration.observe(seconds);
  }

  private hookFastify(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', (request, reply, done) => {
      this.record(request.method, request.routeOptions.url ?? UNMATCHED_ROUTE, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  }

  private hookExpress(express: { use(fn: unknown): void }): void {
    express.use((req: Request, res: Response, next: NextFunction) => {
      const started = process.hrtime.bigint();
      res.once('finish', () => {
        // Express sets req.route to the last route that matched; its path is the pattern. Nest
        // runs middleware (the request logger) as a catch-all route, `{/*splat}`: a request that
        // matched nothing else still carries that one.
        const path = (req.route as { path?: string } | undefined)?.path;
        const route = path !== undefined && !EXPRESS_CATCH_ALL.test(path) ? `${req.baseUrl}${path}` : UNMATCHED_ROUTE;
        this.record(req.method, route, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
      });
      next();
    });
  }
}
