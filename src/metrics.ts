import client from 'prom-client';

/** One registry per server instance (tests run several in one process). Modules add their metrics here. */
export class Metrics {
  readonly registry = new client.Registry();
  readonly httpRequests = new client.Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  });
  readonly httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor(defaultMetrics = true) {
    if (defaultMetrics) client.collectDefaultMetrics({ register: this.registry });
  }

  counter(name: string, help: string, labelNames: string[] = []) {
    return new client.Counter({ name, help, labelNames, registers: [this.registry] });
  }
  gauge(name: string, help: string, labelNames: string[] = []) {
    return new client.Gauge({ name, help, labelNames, registers: [this.registry] });
  }
  histogram(name: string, help: string, buckets: number[], labelNames: string[] = []) {
    return new client.Histogram({ name, help, buckets, labelNames, registers: [this.registry] });
  }
}
