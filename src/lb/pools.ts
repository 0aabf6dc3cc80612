import {
  pickByAlgorithm,
  pickBySourceIp,
  routableTargets,
  targetKey,
  type BalancingAlgorithm,
} from '../core/elbv2/balancing.js';
import type { ModelTarget, ModelTargetGroup } from '../core/elbv2/data-plane.js';
import type { Endpoint, HealthView, TargetPool } from './types.js';

/**
 * One target group's live pool: the group's targets as the model last said, the health checker's
 * verdicts (read at each pick, so a new verdict counts at once), the round-robin cursor and the
 * requests in flight per target. The driver updates it in place on every model change, so the
 * cursor and the in-flight counts survive — a draining target's in-flight requests stay counted.
 */
export class GroupPool implements TargetPool {
  #group: ModelTargetGroup;
  readonly #health: HealthView;
  #cursor = 0;
  readonly #inFlight = new Map<string, number>();

  constructor(group: ModelTargetGroup, health: HealthView) {
    this.#group = group;
    this.#health = health;
  }

  get group(): ModelTargetGroup {
    return this.#group;
  }

  update(group: ModelTargetGroup): void {
    this.#group = group;
  }

  pick(affinityKey?: string): Endpoint | undefined {
    const routable = this.#routable();
    const attributes = this.#group.attributes;
    if (
      affinityKey !== undefined &&
      attributes['stickiness.enabled'] === 'true' &&
      attributes['stickiness.type'] === 'source_ip'
    ) {
      return this.#endpoint(pickBySourceIp(routable, unmapped(affinityKey)));
    }
    const choice = pickByAlgorithm(this.#algorithm(), routable, this.#cursor, (t) => this.inFlight(t));
    if (!choice) return undefined;
    this.#cursor = choice.cursor;
    return this.#endpoint(choice.target);
  }

  sticky(id: string, port: number): Endpoint | undefined {
    return this.#endpoint(this.#routable().find((t) => t.id === id && t.port === port));
  }

  begin(endpoint: Endpoint): () => void {
    const key = targetKey(endpoint);
    this.#inFlight.set(key, (this.#inFlight.get(key) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.#inFlight.get(key) ?? 1) - 1;
      if (left > 0) this.#inFlight.set(key, left);
      else this.#inFlight.delete(key);
    };
  }

  /** Requests or connections in flight to a target. */
  inFlight(target: { readonly id: string; readonly port: number }): number {
    return this.#inFlight.get(targetKey(target)) ?? 0;
  }

  /** Healthy and unhealthy (or unavailable) targets not draining, for the host-count metrics. */
  hostCounts(): { healthy: number; unhealthy: number } {
    let healthy = 0;
    let unhealthy = 0;
    for (const t of this.#group.targets) {
      if (t.drainUntil !== undefined) continue;
      const verdict = this.#health.verdict(this.#group.arn, t.id, t.port);
      if (verdict === 'healthy') healthy++;
      else if (verdict !== 'initial') unhealthy++;
    }
    return { healthy, unhealthy };
  }

  #routable(): ModelTarget[] {
    return routableTargets(this.#group.targets, (t) => this.#health.verdict(this.#group.arn, t.id, t.port));
  }

  #algorithm(): BalancingAlgorithm {
    return this.#group.attributes['load_balancing.algorithm.type'] === 'least_outstanding_requests'
      ? 'least_outstanding_requests'
      : 'round_robin';
  }

  #endpoint(target: ModelTarget | undefined): Endpoint | undefined {
    if (target?.address === undefined) return undefined;
    return { groupArn: this.#group.arn, id: target.id, port: target.port, address: target.address };
  }
}

/** `::ffff:10.0.0.1` and `10.0.0.1` are one client. */
function unmapped(address: string): string {
  return address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : address;
}

/** Every target group's pool, kept in step with the model. */
export class Pools {
  readonly #pools = new Map<string, GroupPool>();
  readonly #health: HealthView;

  constructor(health: HealthView) {
    this.#health = health;
  }

  /** Updates existing pools in place, adds new groups' pools and drops deleted groups'. */
  apply(groups: readonly ModelTargetGroup[]): void {
    const present = new Set(groups.map((g) => g.arn));
    for (const arn of this.#pools.keys()) if (!present.has(arn)) this.#pools.delete(arn);
    for (const group of groups) {
      const pool = this.#pools.get(group.arn);
      if (pool) pool.update(group);
      else this.#pools.set(group.arn, new GroupPool(group, this.#health));
    }
  }

  /** A PoolLookup that also answers the concrete pool, for the driver's own use. */
  readonly lookup = (groupArn: string): GroupPool | undefined => this.#pools.get(groupArn);

  all(): IterableIterator<GroupPool> {
    return this.#pools.values();
  }
}
