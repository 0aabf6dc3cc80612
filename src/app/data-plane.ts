import type { Logger } from 'pino';
import { BuiltInDriver } from '../lb/driver.js';
import { HealthChecker } from '../lb/health/checker.js';
import { startStreamListener } from '../lb/stream/index.js';
import type { ServerOptions } from './server.js';

/**
 * The built-in load-balancer data plane (src/lb/) as the server runs it: HTTP/HTTPS listeners,
 * TCP/TLS/UDP listeners, the active health checker reporting to the control plane, and the
 * metrics served on `GET /metrics`. A second driver (e.g. one programming HAProxy) would be
 * another function of this shape.
 */
export interface BuiltInDataPlaneOptions {
  readonly logger: Logger;
  /** Multiplies health-check intervals and timeouts (tests: e.g. 0.1 for checks every 500 ms). */
  readonly healthCheckScale?: number;
  /** ELB's idle timeout for HTTP listeners (default 60 s). */
  readonly idleTimeoutMs?: number;
  /** Between model reads (default 250 ms). */
  readonly intervalMs?: number;
}

export function builtInDataPlane(options: BuiltInDataPlaneOptions): NonNullable<ServerOptions['dataPlane']> {
  const log = options.logger.child({ component: 'load-balancer' });
  let driver: BuiltInDriver | undefined;
  return {
    driver: (sink) =>
      (driver = new BuiltInDriver({
        health: () =>
          new HealthChecker({
            sink,
            log,
            ...(options.healthCheckScale !== undefined ? { intervalScale: options.healthCheckScale } : {}),
          }),
        streamListener: (listener, loadBalancer, deps) =>
          startStreamListener(listener, loadBalancer, { ...deps, log }),
        log,
        ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
      })),
    metricsText: () => driver?.metrics.metricsText() ?? Promise.resolve(''),
    ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
  };
}
