import type { Logger } from 'pino';
import { BuiltInDriver } from '../lb/driver.js';
import { HaproxyDriver } from '../lb/haproxy/driver.js';
import { HealthChecker } from '../lb/health/checker.js';
import { startStreamListener } from '../lb/stream/index.js';
import type { ServerOptions } from './server.js';

/**
 * The built-in load-balancer data plane (src/lb/) as the server runs it: HTTP/HTTPS listeners,
 * TCP/TLS/UDP listeners, the active health checker reporting to the control plane, and the
 * metrics served on `GET /metrics`. `haproxyDataPlane` below is the other driver, of the same shape.
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

export interface HaproxyDataPlaneOptions {
  readonly logger: Logger;
  /** Where the driver keeps haproxy.cfg, certificates and sockets (`<data-dir>/haproxy`). */
  readonly workDir: string;
  /** Default `haproxy` on PATH. */
  readonly haproxyBinary?: string;
  /** Multiplies health-check intervals and timeouts (tests). */
  readonly healthCheckScale?: number;
  /** How often HAProxy's `show stat` is read for health verdicts (default 1000 ms). */
  readonly statsIntervalMs?: number;
  /** Between model reads (default 250 ms). */
  readonly intervalMs?: number;
}

/** The data plane served by HAProxy (src/lb/haproxy/) instead of Node: `--load-balancer haproxy`. */
export function haproxyDataPlane(options: HaproxyDataPlaneOptions): NonNullable<ServerOptions['dataPlane']> {
  const log = options.logger.child({ component: 'load-balancer', driver: 'haproxy' });
  let driver: HaproxyDriver | undefined;
  return {
    driver: (sink) =>
      (driver = new HaproxyDriver({
        sink,
        log,
        workDir: options.workDir,
        ...(options.haproxyBinary !== undefined ? { haproxyBinary: options.haproxyBinary } : {}),
        ...(options.healthCheckScale !== undefined ? { healthCheckScale: options.healthCheckScale } : {}),
        ...(options.statsIntervalMs !== undefined ? { statsIntervalMs: options.statsIntervalMs } : {}),
      })),
    metricsText: () => driver?.metricsText() ?? Promise.resolve(''),
    ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
  };
}
