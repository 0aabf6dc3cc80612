import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ConnectionMetrics } from './types.js';

/**
 * The data plane's Prometheus metrics, named after ELB's CloudWatch metrics and labelled with
 * CloudWatch's dimensions (`LoadBalancer` = `app/<name>/<id>`, `TargetGroup` =
 * `targetgroup/<name>/<id>`), in a registry of its own so that several drivers (tests) and the
 * control plane's metrics never collide. The driver owns one and serves `metricsText()`.
 */

/** Healthy and unhealthy targets of one group, read when the metrics are scraped. */
export interface HostCount {
  readonly loadBalancerArn: string;
  readonly targetGroupArn: string;
  readonly healthy: number;
  readonly unhealthy: number;
}

type Labels = 'LoadBalancer' | 'TargetGroup';
type StatusClass = '2XX' | '3XX' | '4XX' | '5XX';
const TARGET_CLASSES: readonly StatusClass[] = ['2XX', '3XX', '4XX', '5XX'];
const ELB_CLASSES: readonly StatusClass[] = ['4XX', '5XX'];

export class LbMetrics implements ConnectionMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<Labels>;
  readonly #targetCodes: Partial<Record<StatusClass, Counter<Labels>>> = {};
  readonly #elbCodes: Partial<Record<StatusClass, Counter<'LoadBalancer'>>> = {};
  readonly #fixed: Counter<'LoadBalancer'>;
  readonly #redirects: Counter<'LoadBalancer'>;
  readonly #responseTime: Histogram<Labels>;
  readonly #active: Gauge<'LoadBalancer'>;
  readonly #newConnections: Counter<'LoadBalancer'>;
  /** Requests forwarded per group (by its labels' key), for RequestCountPerTarget at scrape time. */
  readonly #forwarded = new Map<string, number>();

  constructor(hostCounts: () => readonly HostCount[]) {
    const registers = [this.registry];
    const perGroup = ['LoadBalancer', 'TargetGroup'] as const;
    const perLoadBalancer = ['LoadBalancer'] as const;
    this.#requests = new Counter({
      name: 'RequestCount',
      help: 'Requests processed (TargetGroup empty when not forwarded)',
      labelNames: perGroup,
      registers,
    });
    for (const c of TARGET_CLASSES) {
      this.#targetCodes[c] = new Counter({
        name: `HTTPCode_Target_${c}_Count`,
        help: `${c} responses from targets`,
        labelNames: perGroup,
        registers,
      });
    }
    for (const c of ELB_CLASSES) {
      this.#elbCodes[c] = new Counter({
        name: `HTTPCode_ELB_${c}_Count`,
        help: `${c} errors the load balancer answered itself`,
        labelNames: perLoadBalancer,
        registers,
      });
    }
    this.#fixed = new Counter({
      name: 'HTTP_Fixed_Response_Count',
      help: 'Fixed-response actions answered',
      labelNames: perLoadBalancer,
      registers,
    });
    this.#redirects = new Counter({
      name: 'HTTP_Redirect_Count',
      help: 'Redirect actions answered',
      labelNames: perLoadBalancer,
      registers,
    });
    this.#responseTime = new Histogram({
      name: 'TargetResponseTime',
      help: 'Seconds from sending a request to a target to its response headers',
      labelNames: perGroup,
      registers,
    });
    this.#active = new Gauge({
      name: 'ActiveConnectionCount',
      help: 'Client connections open',
      labelNames: perLoadBalancer,
      registers,
    });
    this.#newConnections = new Counter({
      name: 'NewConnectionCount',
      help: 'Client connections opened',
      labelNames: perLoadBalancer,
      registers,
    });
    // Host counts change with every health verdict, not with requests: they are read at scrape time.
    const hostGauge = (name: string, help: string, pick: (c: HostCount) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: perGroup,
        registers,
        collect() {
          this.reset();
          for (const count of hostCounts()) {
            const labels = {
              LoadBalancer: dimension(count.loadBalancerArn),
              TargetGroup: dimension(count.targetGroupArn),
            };
            this.set(labels, pick(count));
          }
        },
      });
    };
    hostGauge('HealthyHostCount', 'Healthy targets per target group', (c) => c.healthy);
    // CloudWatch's RequestCountPerTarget: a group's RequestCount over its healthy targets.
    const forwarded = this.#forwarded;
    hostGauge('RequestCountPerTarget', 'Requests forwarded to the group per healthy target', (c) => {
      const requests = forwarded.get(groupKey(c.loadBalancerArn, c.targetGroupArn)) ?? 0;
      return c.healthy > 0 ? requests / c.healthy : requests;
    });
    hostGauge('UnHealthyHostCount', 'Unhealthy targets per target group', (c) => c.unhealthy);
  }

  /** One request the listener handled; `targetGroupArn` when it was forwarded. */
  request(loadBalancerArn: string, targetGroupArn?: string): void {
    this.#requests.inc(labels(loadBalancerArn, targetGroupArn));
    if (targetGroupArn !== undefined) {
      const key = groupKey(loadBalancerArn, targetGroupArn);
      this.#forwarded.set(key, (this.#forwarded.get(key) ?? 0) + 1);
    }
  }

  /** A target's response: its status class and how long the target took to answer. */
  targetResponse(loadBalancerArn: string, targetGroupArn: string, status: number, seconds: number): void {
    const groupLabels = labels(loadBalancerArn, targetGroupArn);
    const known = statusClass(status);
    if (known) this.#targetCodes[known]?.inc(groupLabels);
    this.#responseTime.observe(groupLabels, seconds);
  }

  /** An error the load balancer answered itself (400, 502, 503, 504 …). */
  elbError(loadBalancerArn: string, status: number): void {
    const known = statusClass(status);
    if (known) this.#elbCodes[known]?.inc({ LoadBalancer: dimension(loadBalancerArn) });
  }

  fixedResponse(loadBalancerArn: string): void {
    this.#fixed.inc({ LoadBalancer: dimension(loadBalancerArn) });
  }

  redirect(loadBalancerArn: string): void {
    this.#redirects.inc({ LoadBalancer: dimension(loadBalancerArn) });
  }

  connectionOpened(loadBalancerArn: string): void {
    const lb = { LoadBalancer: dimension(loadBalancerArn) };
    this.#newConnections.inc(lb);
    this.#active.inc(lb);
  }

  connectionClosed(loadBalancerArn: string): void {
    this.#active.dec({ LoadBalancer: dimension(loadBalancerArn) });
  }

  /** The Prometheus text exposition of every metric, for a `/metrics` endpoint. */
  metricsText(): Promise<string> {
    return this.registry.metrics();
  }
}

const groupKey = (loadBalancerArn: string, targetGroupArn: string): string =>
  `${loadBalancerArn} ${targetGroupArn}`;

function labels(loadBalancerArn: string, targetGroupArn: string | undefined): Record<Labels, string> {
  return {
    LoadBalancer: dimension(loadBalancerArn),
    TargetGroup: targetGroupArn === undefined ? '' : dimension(targetGroupArn),
  };
}

/** CloudWatch's dimension value: the ARN's resource part after `loadbalancer/` or from `targetgroup/`. */
export function dimension(arn: string): string {
  const resource = arn.split(':').slice(5).join(':');
  return resource.startsWith('loadbalancer/') ? resource.slice('loadbalancer/'.length) : resource;
}

function statusClass(status: number): StatusClass | undefined {
  const c = `${Math.floor(status / 100)}XX`;
  return TARGET_CLASSES.find((known) => known === c);
}
