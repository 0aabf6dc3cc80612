import type { Logger } from 'pino';
import type { ModelTargetGroup } from '../../core/elbv2/data-plane.js';
import { chooseTargetGroup } from '../../core/elbv2/routing.js';
import type { ForwardConfig } from '../../core/elbv2/types.js';
import type { LbMetrics } from '../metrics.js';
import type { Endpoint, PoolLookup, TargetPool } from '../types.js';
import { stickyCookie, stickyTarget } from './sticky.js';
import type { Upstreams } from './upstreams.js';

/** What an HTTP listener needs from the driver besides its model listener. */
export interface HttpListenerDeps {
  readonly pools: PoolLookup;
  /** The target group as the model last said (protocol, stickiness attributes). */
  readonly groupOf: (groupArn: string) => ModelTargetGroup | undefined;
  readonly metrics: LbMetrics;
  readonly upstreams: Upstreams;
  /** ELB's idle timeout: a target silent this long is answered 504. */
  readonly idleTimeoutMs: number;
  /** In [0, 1), for weighted target-group choice. */
  readonly random: () => number;
  readonly log: Logger;
}

/** Where a forward action sends one request. */
export interface ForwardTarget {
  readonly group: ModelTargetGroup;
  readonly pool: TargetPool;
  readonly endpoint: Endpoint;
  readonly protocol: 'http' | 'https';
  /** The `AWSALB` cookie to set on the response when the group is lb_cookie-sticky. */
  readonly setCookie?: string;
}

/**
 * The group (by weight) and target (by the group's algorithm) for one request — or, when the
 * request's `AWSALB` cookie names a target of a sticky group this action forwards to and that
 * target is still routable, that target. Undefined when the chosen group has no routable target
 * (ELB answers 503).
 */
export function forwardTarget(
  config: ForwardConfig,
  deps: HttpListenerDeps,
  client: string,
  cookieHeader: string | undefined,
): ForwardTarget | undefined {
  const remembered = stickyTarget(cookieHeader);
  if (
    remembered &&
    config.TargetGroups.some((g) => g.TargetGroupArn === remembered.groupArn && g.Weight > 0)
  ) {
    const group = deps.groupOf(remembered.groupArn);
    const pool = deps.pools(remembered.groupArn);
    const endpoint =
      group && isLbCookieSticky(group) ? pool?.sticky(remembered.id, remembered.port) : undefined;
    if (group && pool && endpoint) return target(group, pool, endpoint);
  }
  const groupArn = chooseTargetGroup(config, deps.random());
  const group = groupArn === undefined ? undefined : deps.groupOf(groupArn);
  const pool = groupArn === undefined ? undefined : deps.pools(groupArn);
  const endpoint = pool?.pick(client);
  return group && pool && endpoint ? target(group, pool, endpoint) : undefined;
}

function target(group: ModelTargetGroup, pool: TargetPool, endpoint: Endpoint): ForwardTarget {
  const protocol = group.protocol === 'HTTPS' ? 'https' : 'http';
  if (!isLbCookieSticky(group)) return { group, pool, endpoint, protocol };
  const duration = Number(group.attributes['stickiness.lb_cookie.duration_seconds'] ?? '86400');
  return { group, pool, endpoint, protocol, setCookie: stickyCookie(endpoint, duration) };
}

function isLbCookieSticky(group: ModelTargetGroup): boolean {
  return (
    group.attributes['stickiness.enabled'] === 'true' &&
    (group.attributes['stickiness.type'] ?? 'lb_cookie') === 'lb_cookie'
  );
}
