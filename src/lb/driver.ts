import type { Logger } from 'pino';
import type {
  DataPlaneDriver,
  ListenerFault,
  LoadBalancingModel,
  ModelListener,
  ModelLoadBalancer,
  ModelTargetGroup,
} from '../core/elbv2/data-plane.js';
import type { HttpListenerDeps } from './http/forward.js';
import { startHttpListener } from './http/listener.js';
import { originOf, Upstreams } from './http/upstreams.js';
import { LbMetrics, type HostCount } from './metrics.js';
import { Pools } from './pools.js';
import type { ConnectionMetrics, HealthView, ListenerHandle, PoolLookup } from './types.js';

/** The health checker as the driver drives it (src/lb/health/ implements it). */
export interface HealthChecker extends HealthView {
  /** The groups to check; `usedGroupArns` are those a listener forwards to (the others are `unused`). */
  update(groups: readonly ModelTargetGroup[], usedGroupArns: ReadonlySet<string>): void;
  close(): Promise<void>;
}

/** Serves a TCP, TLS or UDP listener (src/lb/stream/ implements it). */
export type StreamListenerFactory = (
  listener: ModelListener,
  loadBalancer: ModelLoadBalancer,
  deps: { readonly pools: PoolLookup; readonly metrics: ConnectionMetrics },
) => Promise<ListenerHandle>;

export interface BuiltInDriverOptions {
  /** The health checker, or a function that makes it (called once, in the constructor). */
  readonly health: HealthChecker | (() => HealthChecker);
  /** Without it, TCP/TLS/UDP listeners are reported as faults. */
  readonly streamListener?: StreamListenerFactory;
  readonly log: Logger;
  /** ELB's idle timeout for HTTP listeners (default 60 s). */
  readonly idleTimeoutMs?: number;
  /** In [0, 1), for weighted forwarding (default Math.random). */
  readonly random?: () => number;
}

interface Bound {
  readonly protocol: ModelListener['protocol'];
  readonly handle: ListenerHandle;
}

/**
 * The built-in data plane: one TargetPool per target group, one bound listener per model
 * listener (keyed by port, since a port is unique across load balancers), shared keep-alive
 * pools to targets, and the metrics. `apply` converges on the model it is given; applies are
 * queued, so a periodic re-read and a change notification never reconfigure at the same time.
 */
export class BuiltInDriver implements DataPlaneDriver {
  readonly metrics: LbMetrics;
  readonly #health: HealthChecker;
  readonly #pools: Pools;
  readonly #upstreams: Upstreams;
  readonly #bound = new Map<number, Bound>();
  readonly #options: BuiltInDriverOptions;
  readonly #httpDeps: HttpListenerDeps;
  /** Which load balancer forwards to each group (a group serves one), for the metrics' labels. */
  #loadBalancerOf = new Map<string, string>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: BuiltInDriverOptions) {
    this.#options = options;
    this.#health = typeof options.health === 'function' ? options.health() : options.health;
    this.#pools = new Pools(this.#health);
    const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.#upstreams = new Upstreams(idleTimeoutMs);
    this.metrics = new LbMetrics(() => this.#hostCounts());
    this.#httpDeps = {
      pools: this.#pools.lookup,
      groupOf: (arn) => this.#pools.lookup(arn)?.group,
      metrics: this.metrics,
      upstreams: this.#upstreams,
      idleTimeoutMs,
      random: options.random ?? Math.random,
      log: options.log,
    };
  }

  apply(model: LoadBalancingModel): Promise<{ readonly faults: readonly ListenerFault[] }> {
    const applied = this.#queue.then(() => this.#apply(model));
    this.#queue = applied.catch(() => undefined);
    return applied;
  }

  metricsText(): Promise<string> {
    return this.metrics.metricsText();
  }

  async close(): Promise<void> {
    await this.#queue;
    const bound = [...this.#bound.values()];
    this.#bound.clear();
    await Promise.all(bound.map((b) => b.handle.close()));
    await Promise.all([this.#health.close(), this.#upstreams.close()]);
  }

  async #apply(model: LoadBalancingModel): Promise<{ faults: ListenerFault[] }> {
    this.#pools.apply(model.targetGroups);
    this.#loadBalancerOf = groupsInUse(model);
    this.#health.update(model.targetGroups, new Set(this.#loadBalancerOf.keys()));

    const wanted = new Map<number, { listener: ModelListener; loadBalancer: ModelLoadBalancer }>();
    for (const loadBalancer of model.loadBalancers) {
      for (const listener of loadBalancer.listeners) wanted.set(listener.port, { listener, loadBalancer });
    }
    // Gone, or the same port with another protocol: close first, so the port is free to bind again.
    const closing: Promise<void>[] = [];
    for (const [port, bound] of this.#bound) {
      if (wanted.get(port)?.listener.protocol === bound.protocol) continue;
      this.#bound.delete(port);
      closing.push(bound.handle.close());
    }
    await Promise.all(closing);

    const faults: ListenerFault[] = [];
    for (const [port, { listener, loadBalancer }] of wanted) {
      const fault = (error: unknown): void => {
        const message = error instanceof Error ? error.message : String(error);
        this.#options.log.warn({ listenerArn: listener.arn, port, err: error }, 'listener fault');
        faults.push({ listenerArn: listener.arn, port, message });
      };
      const bound = this.#bound.get(port);
      if (bound) {
        // A bad update (a certificate without PEMs) leaves the listener serving as it was.
        try {
          bound.handle.update(listener, loadBalancer);
        } catch (error) {
          fault(error);
        }
        continue;
      }
      try {
        this.#bound.set(port, {
          protocol: listener.protocol,
          handle: await this.#bind(listener, loadBalancer),
        });
      } catch (error) {
        fault(error);
      }
    }
    void this.#upstreams.retain(targetOrigins(model.targetGroups)).catch((error: unknown) => {
      this.#options.log.warn({ err: error }, 'closing connections to removed targets failed');
    });
    return { faults };
  }

  #bind(listener: ModelListener, loadBalancer: ModelLoadBalancer): Promise<ListenerHandle> {
    switch (listener.protocol) {
      case 'HTTP':
      case 'HTTPS':
        return startHttpListener(listener, loadBalancer, this.#httpDeps);
      case 'TCP':
      case 'TLS':
      case 'UDP': {
        const stream = this.#options.streamListener;
        if (!stream) return Promise.reject(new Error(`no data plane for ${listener.protocol} listeners`));
        return stream(listener, loadBalancer, { pools: this.#pools.lookup, metrics: this.metrics });
      }
    }
  }

  #hostCounts(): HostCount[] {
    const counts: HostCount[] = [];
    for (const pool of this.#pools.all()) {
      const loadBalancerArn = this.#loadBalancerOf.get(pool.group.arn);
      if (loadBalancerArn === undefined) continue;
      counts.push({ loadBalancerArn, targetGroupArn: pool.group.arn, ...pool.hostCounts() });
    }
    return counts;
  }
}

/** Each target group a listener forwards to, with the load balancer it serves. */
function groupsInUse(model: LoadBalancingModel): Map<string, string> {
  const used = new Map<string, string>();
  for (const loadBalancer of model.loadBalancers) {
    for (const listener of loadBalancer.listeners) {
      for (const rule of listener.rules) {
        for (const action of rule.actions) {
          if (action.Type !== 'forward') continue;
          for (const group of action.ForwardConfig.TargetGroups)
            used.set(group.TargetGroupArn, loadBalancer.arn);
        }
      }
    }
  }
  return used;
}

/** The origins of every target still in the model (draining ones included: they finish requests). */
function targetOrigins(groups: readonly ModelTargetGroup[]): Set<string> {
  const origins = new Set<string>();
  for (const group of groups) {
    const protocol = group.protocol === 'HTTPS' ? 'https' : 'http';
    for (const target of group.targets) {
      if (target.address !== undefined)
        origins.add(originOf({ address: target.address, port: target.port }, protocol));
    }
  }
  return origins;
}
