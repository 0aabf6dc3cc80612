import type { ModelTargetGroup } from '../../core/elbv2/data-plane.js';
import type { HealthCheck } from '../../core/elbv2/types.js';
import { backendName, serverName, word } from './names.js';

/**
 * One target group as a HAProxy backend. Pure.
 *
 * - Algorithm: `round_robin` → `balance roundrobin`, `least_outstanding_requests` → `leastconn`;
 *   `source_ip` stickiness (TCP/TLS groups) → `balance source` with consistent hashing, so a client
 *   moves only when its own target leaves; `lb_cookie` stickiness → an inserted `AWSALB` cookie
 *   with ELB's Max-Age.
 * - Health: ELB's interval, timeout and thresholds; HTTP(S) checks `GET <path>` with ELB's
 *   User-Agent and the matcher as HAProxy's status list (`200`, `200,202`, `200-299` are written
 *   the same in both); TCP checks a connect.
 * - Servers: one per target with an address that is not draining. A draining target is left out,
 *   so it gets no new requests; its in-flight ones finish on the old worker after the reload.
 */

export interface BackendInput {
  readonly group: ModelTargetGroup;
  /** Multiplies intervals and timeouts (tests run checks faster than ELB). */
  readonly healthCheckScale: number;
  readonly idleSeconds: number;
}

export function backendSection(input: BackendInput): string[] {
  const { group } = input;
  const http = group.protocol === 'HTTP' || group.protocol === 'HTTPS';
  const attr = group.attributes;
  const stickiness = attr['stickiness.enabled'] === 'true' ? attr['stickiness.type'] : undefined;
  const cookie = http && stickiness === 'lb_cookie';
  const lines = [
    `backend ${backendName(group)}`,
    `  mode ${http ? 'http' : 'tcp'}`,
    `  balance ${balance(group, stickiness)}`,
  ];
  if (stickiness === 'source_ip' && !http) lines.push('  hash-type consistent');
  if (cookie) {
    const maxAge = Number(attr['stickiness.lb_cookie.duration_seconds'] ?? 86400);
    lines.push(`  cookie AWSALB insert indirect nocache attr ${word(`Max-Age=${maxAge}`)}`);
  }
  lines.push(
    `  timeout server ${input.idleSeconds}s`,
    ...healthLines(group.healthCheck, input.healthCheckScale),
  );
  lines.push(`  default-server ${defaultServer(group, input.healthCheckScale)}`);
  for (const target of group.targets) {
    if (target.drainUntil !== undefined || target.address === undefined) continue;
    const name = serverName(target);
    lines.push(`  server ${name} ${target.address}:${target.port} check${cookie ? ` cookie ${name}` : ''}`);
  }
  return lines;
}

function balance(group: ModelTargetGroup, stickiness: string | undefined): string {
  if (stickiness === 'source_ip') return 'source';
  return group.attributes['load_balancing.algorithm.type'] === 'least_outstanding_requests'
    ? 'leastconn'
    : 'roundrobin';
}

const scaled = (seconds: number, scale: number): string =>
  `${Math.max(1, Math.round(seconds * 1000 * scale))}`;

function healthLines(check: HealthCheck, scale: number): string[] {
  const lines = [`  timeout check ${scaled(check.timeoutSeconds, scale)}`];
  if (check.protocol === 'HTTP' || check.protocol === 'HTTPS') {
    lines.push(
      `  option httpchk GET ${word(check.path ?? '/')}`,
      '  http-check send hdr User-Agent ELB-HealthChecker/2.0',
      `  http-check expect status ${(check.httpCode ?? '200').replace(/\s+/g, '')}`,
    );
  }
  return lines;
}

/** Settings every server of the group shares: check timing, TLS to targets, slow start. */
function defaultServer(group: ModelTargetGroup, scale: number): string {
  const check = group.healthCheck;
  const parts = [
    `inter ${scaled(check.intervalSeconds, scale)}`,
    `rise ${check.healthyThreshold}`,
    `fall ${check.unhealthyThreshold}`,
  ];
  if (check.port !== 'traffic-port') parts.push(`port ${Number(check.port)}`);
  // Targets' certificates are not verified, as ELB does not verify them.
  if (group.protocol === 'HTTPS' || group.protocol === 'TLS') parts.push('ssl verify none');
  parts.push(check.protocol === 'HTTPS' ? 'check-ssl verify none' : 'no-check-ssl');
  const slowStart = Number(group.attributes['slow_start.duration_seconds'] ?? 0);
  if (slowStart > 0) parts.push(`slowstart ${slowStart}s`);
  return parts.join(' ');
}
