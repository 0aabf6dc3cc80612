import type { ModelListener, ModelLoadBalancer } from '../core/elbv2/data-plane.js';

/**
 * The seams inside the built-in data plane (src/lb/): the driver (driver.ts) keeps one
 * `TargetPool` per target group and one listener per model listener; the HTTP listeners
 * (lb/http/) and the TCP/TLS/UDP ones (lb/stream/) pick endpoints from the pools; the health
 * checker (lb/health/) tells the pools which targets are healthy.
 */

/** Where one request or connection goes. */
export interface Endpoint {
  readonly groupArn: string;
  readonly id: string;
  readonly port: number;
  readonly address: string;
}

/** What the health checker last concluded of a target ('initial' until its first verdict). */
export type TargetVerdict = 'initial' | 'healthy' | 'unhealthy' | 'unavailable';

export interface HealthView {
  verdict(groupArn: string, id: string, port: number): TargetVerdict;
}

/** A target group's live view, for choosing where a request or connection goes. */
export interface TargetPool {
  /**
   * The next endpoint by the group's algorithm among its routable targets: not draining, with an
   * address, healthy — or, when none is healthy, all of them (ELB fails open). `affinityKey` is the
   * client's address for `source_ip` stickiness. Undefined when the group has no routable target.
   */
  pick(affinityKey?: string): Endpoint | undefined;
  /** Picks this endpoint again if it is still routable (lb_cookie stickiness), else undefined. */
  sticky(id: string, port: number): Endpoint | undefined;
  /**
   * Counts a request or connection in flight to the endpoint (least outstanding requests, the
   * ActiveConnectionCount metric, draining); call the returned function once when it ends.
   */
  begin(endpoint: Endpoint): () => void;
}

export type PoolLookup = (groupArn: string) => TargetPool | undefined;

/** What listeners tell the metrics (lb/metrics.ts) besides HTTP requests. */
export interface ConnectionMetrics {
  connectionOpened(loadBalancerArn: string): void;
  connectionClosed(loadBalancerArn: string): void;
}

/** One bound port serving one model listener; the driver calls `update` when the listener's rules, certificates or groups change. */
export interface ListenerHandle {
  update(listener: ModelListener, loadBalancer: ModelLoadBalancer): void;
  /** Stops accepting; in-flight requests and connections are left to finish (bounded by the caller). */
  close(): Promise<void>;
}
