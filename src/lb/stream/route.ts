import type { ModelListener } from '../../core/elbv2/data-plane.js';
import { chooseTargetGroup } from '../../core/elbv2/routing.js';
import type { ForwardConfig } from '../../core/elbv2/types.js';
import type { Endpoint, PoolLookup, TargetPool } from '../types.js';

/**
 * Where a network load balancer listener sends a new connection or flow. An NLB listener has only
 * its default rule, with one forward action; with several weighted groups (ForwardConfig) each new
 * connection picks a group in proportion to its weight, then that group's pool picks the target,
 * keyed by the client's address for `source_ip` stickiness.
 */

export interface Routed {
  readonly pool: TargetPool;
  readonly endpoint: Endpoint;
}

/** The listener's default forward action, or undefined if it has none (the control plane forbids that). */
export function defaultForward(listener: ModelListener): ForwardConfig | undefined {
  const rule = listener.rules.find((r) => r.isDefault) ?? listener.rules.at(-1);
  for (const action of rule?.actions ?? []) if (action.Type === 'forward') return action.ForwardConfig;
  return undefined;
}

/** The endpoint for a new connection from `clientAddress`, or undefined (no group, no routable target). */
export function route(
  forward: ForwardConfig | undefined,
  pools: PoolLookup,
  clientAddress: string | undefined,
): Routed | undefined {
  const groupArn = forward === undefined ? undefined : chooseTargetGroup(forward, Math.random());
  const pool = groupArn === undefined ? undefined : pools(groupArn);
  const endpoint = pool?.pick(clientAddress);
  return pool === undefined || endpoint === undefined ? undefined : { pool, endpoint };
}
