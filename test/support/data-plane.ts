import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { builtInDataPlane, haproxyDataPlane } from '../../src/app/data-plane.js';
import type { ServerOptions } from '../../src/app/server.js';

const logger = () => pino({ level: process.env.BERTH_TEST_LOG_LEVEL ?? 'silent' });

/**
 * The built-in data plane with health checks ten times faster than ELB's (an interval of 5 s
 * checks every 500 ms) and a short idle timeout, for tests that put real traffic through Berth.
 */
export function fastDataPlane(): NonNullable<ServerOptions['dataPlane']> {
  return builtInDataPlane({
    logger: logger(),
    healthCheckScale: 0.1,
    idleTimeoutMs: 10_000,
    intervalMs: 100,
  });
}

/** The HAProxy driver, with the same fast health checks, in a temporary work dir. */
export function fastHaproxyDataPlane(): NonNullable<ServerOptions['dataPlane']> {
  return haproxyDataPlane({
    logger: logger(),
    workDir: mkdtempSync(join(tmpdir(), 'berth-haproxy-')),
    healthCheckScale: 0.1,
    statsIntervalMs: 250,
    intervalMs: 100,
  });
}

/** Why HAProxy tests cannot run here, or false (in CI, .ci/setup installs it). */
export function haproxySkipReason(): string | false {
  const probe = spawnSync('haproxy', ['-v']);
  return probe.error === undefined && probe.status === 0
    ? false
    : 'haproxy is not installed (apt-get install haproxy)';
}
