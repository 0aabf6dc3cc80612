import { drainMs } from '../../core/elbv2/attributes.js';
import { isPresent } from '../../core/elbv2/targets.js';
import type {
  Action,
  Certificate,
  HealthCheck,
  HealthReport,
  LoadBalancerType,
  Protocol,
  RuleCondition,
  Scheme,
  TargetGroupAttributes,
  TargetType,
} from '../../core/elbv2/types.js';
import type { ControlDeps } from '../context.js';

/**
 * The boundary between the load-balancing control plane and a data-plane driver (the built-in
 * proxy, or one that programs HAProxy). The driver reads the whole model with `loadBalancingModel`
 * — plain data, no store types — and programs itself from it; after each health check it writes the
 * outcome back with `reportTargetHealth`. Nothing else crosses: the driver never sees the store and
 * the control plane never sees a socket. See docs/load-balancing.md.
 */
export interface LoadBalancingModel {
  readonly loadBalancers: readonly ModelLoadBalancer[];
  readonly targetGroups: readonly ModelTargetGroup[];
}

export interface ModelLoadBalancer {
  readonly arn: string;
  readonly name: string;
  readonly type: LoadBalancerType;
  /** `internal` listens on loopback only; `internet-facing` on every interface. */
  readonly scheme: Scheme;
  readonly dnsName: string;
  readonly listeners: readonly ModelListener[];
}

export interface ModelListener {
  readonly arn: string;
  /** The host port this listener binds. */
  readonly port: number;
  readonly protocol: Protocol;
  readonly sslPolicy?: string;
  readonly certificates: readonly Certificate[];
  /** By priority, lowest first; the default rule last (no conditions, `isDefault`). */
  readonly rules: readonly ModelRule[];
}

export interface ModelRule {
  readonly arn: string;
  readonly priority?: number;
  readonly isDefault: boolean;
  /** ELB's condition shapes, normalized (the `*Config` member always filled). */
  readonly conditions: readonly RuleCondition[];
  /** ELB's action shapes: forward (ForwardConfig always filled), redirect, fixed-response. */
  readonly actions: readonly Action[];
}

export interface ModelTargetGroup {
  readonly arn: string;
  readonly name: string;
  readonly protocol: Protocol;
  readonly port: number;
  readonly targetType: TargetType;
  readonly healthCheck: HealthCheck;
  /** Every attribute with its value (defaults filled in), by ELB's keys. */
  readonly attributes: TargetGroupAttributes;
  readonly deregistrationDelayMs: number;
  readonly targets: readonly ModelTarget[];
}

export interface ModelTarget {
  /** An IP address for `ip` target groups, an instance id for `instance` ones. */
  readonly id: string;
  readonly port: number;
  readonly registeredAt: number;
  /** Set while the target drains: send it no new requests, let in-flight ones finish until then. */
  readonly drainUntil?: number;
  /** The last reported health-check outcome; absent until the first check. */
  readonly health?: HealthReport;
}

export async function loadBalancingModel(
  deps: Pick<ControlDeps, 'store' | 'now'>,
): Promise<LoadBalancingModel> {
  const repo = deps.store.loadBalancing;
  const now = deps.now();
  const [lbs, listeners, groups, targets] = await Promise.all([
    repo.loadBalancers(),
    repo.listeners(),
    repo.targetGroups(),
    repo.targets(),
  ]);
  const loadBalancers: ModelLoadBalancer[] = [];
  for (const lb of lbs) {
    const own: ModelListener[] = [];
    for (const l of listeners.filter((x) => x.loadBalancerArn === lb.arn)) {
      const rules = (await repo.rules(l.arn)).map((r) => ({
        arn: r.arn,
        ...(r.priority !== undefined ? { priority: r.priority } : {}),
        isDefault: r.priority === undefined,
        conditions: r.conditions,
        actions: r.actions,
      }));
      own.push({
        arn: l.arn,
        port: l.port,
        protocol: l.protocol,
        ...(l.sslPolicy !== undefined ? { sslPolicy: l.sslPolicy } : {}),
        certificates: l.certificates,
        rules,
      });
    }
    loadBalancers.push({
      arn: lb.arn,
      name: lb.name,
      type: lb.type,
      scheme: lb.scheme,
      dnsName: lb.dnsName,
      listeners: own,
    });
  }
  return {
    loadBalancers,
    targetGroups: groups.map((g) => ({
      arn: g.arn,
      name: g.name,
      protocol: g.protocol,
      port: g.port,
      targetType: g.targetType,
      healthCheck: g.healthCheck,
      attributes: g.attributes,
      deregistrationDelayMs: drainMs(g.attributes),
      targets: targets
        .filter((t) => t.targetGroupArn === g.arn && isPresent(t, now))
        .map((t) => ({
          id: t.id,
          port: t.port,
          registeredAt: t.registeredAt,
          ...(t.drainUntil !== undefined ? { drainUntil: t.drainUntil } : {}),
          ...(t.health !== undefined ? { health: t.health } : {}),
        })),
    })),
  };
}

/** One health-check outcome, as the data plane reports it. */
export interface TargetHealthReport extends HealthReport {
  readonly targetGroupArn: string;
  readonly id: string;
  readonly port: number;
}

/**
 * Writes health-check outcomes back. A report for a target that is draining or gone is dropped
 * (answered false): the control plane's state wins once a target is deregistered.
 */
export async function reportTargetHealth(
  deps: Pick<ControlDeps, 'store'>,
  reports: readonly TargetHealthReport[],
): Promise<boolean[]> {
  const written: boolean[] = [];
  for (const { targetGroupArn, id, port, ...report } of reports) {
    written.push(await deps.store.loadBalancing.writeHealth(targetGroupArn, id, port, report));
  }
  return written;
}
